/*
 * watch: a rolling reload when the files of an app change. inotify through
 * libuv, one watch per folder (inotify is not recursive), new folders
 * followed as they appear; no polling, so an idle tree costs nothing.
 * Changes are debounced: the reload comes once `delay` has passed without
 * another change, so a burst (a checkout, a build) makes one.
 *
 * Never watched: node_modules, .git, and the log folder (the app's own
 * logs would reload it for ever); ignore globs (fnmatch) match a file's or
 * folder's name or its path relative to the watched root.
 */
#ifndef CLM_WATCH_H
#define CLM_WATCH_H

#include <stdint.h>
#include <uv.h>

struct watch;

/* The tree has changed (after the quiet delay): name is the watch's. */
typedef void (*watch_fire_cb)(void *arg, const char *name);

/*
 * Watch each of paths (absolute: folders, recursively, or files). NULL
 * with *cause when a path cannot be watched, or when the folders are more
 * than the kernel's inotify limit (the message names the limit and how to
 * raise it).
 */
struct watch	*watch_new(uv_loop_t *, const char *name, char *const *paths,
		    char *const *ignore, const char *logdir, uint32_t delay_ms,
		    watch_fire_cb, void *arg, char **cause);
/* Stop watching; the memory goes with the handles' close callbacks. */
void		 watch_free(struct watch *);
/* How many folders and files are watched (for the log and tests). */
size_t		 watch_count(const struct watch *);

#endif
