/*
 * watch: inotify (through uv_fs_event) on every folder of a tree, new
 * folders followed, changes debounced into one callback. See watch.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clm/common.h"
#include "clm/log.h"
#include "clm/watch.h"

struct wdir {
	uv_fs_event_t	 h;
	struct watch	*w;
	char		*path;		/* absolute */
	size_t		 root;		/* its root's length in path */
	struct wdir	*next;
};

struct watch {
	uv_loop_t	*loop;
	char		*name;
	char	       **ignore;
	char		*logdir;
	uint32_t	 delay_ms;
	watch_fire_cb	 fire;
	void		*arg;
	struct wdir	*dirs;
	size_t		 ndirs;
	uv_timer_t	 timer;
	int		 open;		/* handles not closed yet */
	bool		 freeing;
	char		*failure;	/* the first error of a new folder */
};

static const char *const watch_always_ignored[] = { "node_modules", ".git" };

static void	watch_event_cb(uv_fs_event_t *, const char *, int, int);

/* Whether path (rel: relative to its root) is never to be watched. */
static bool
watch_ignored(const struct watch *w, const char *path, const char *rel)
{
	const char	*base = strrchr(path, '/');
	size_t		 i;

	base = base != NULL ? base + 1 : path;
	for (i = 0; i < CLM_ARRAY_SIZE(watch_always_ignored); i++) {
		if (strcmp(base, watch_always_ignored[i]) == 0)
			return true;
	}
	if (w->logdir != NULL && strncmp(path, w->logdir,
	    strlen(w->logdir)) == 0 && (path[strlen(w->logdir)] == '\0' ||
	    path[strlen(w->logdir)] == '/'))
		return true;
	for (i = 0; w->ignore != NULL && w->ignore[i] != NULL; i++) {
		if (fnmatch(w->ignore[i], base, 0) == 0 ||
		    (*rel != '\0' && fnmatch(w->ignore[i], rel, 0) == 0) ||
		    (*rel != '\0' && fnmatch(w->ignore[i], rel,
		    FNM_LEADING_DIR) == 0))
			return true;
	}
	return false;
}

static unsigned long
watch_limit(void)
{
	FILE		*f = fopen("/proc/sys/fs/inotify/max_user_watches", "r");
	unsigned long	 n = 0;

	if (f != NULL) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

static char *
watch_error(struct watch *w, const char *path, int err)
{
	if (err == UV_ENOSPC)
		return clm_asprintf("watch: %s: the kernel's inotify limit of "
		    "%lu watched folders (fs.inotify.max_user_watches) is "
		    "reached with %zu of %s's: raise it (sysctl -w "
		    "fs.inotify.max_user_watches=524288) or leave folders out "
		    "(ignore_watch)", path, watch_limit(), w->ndirs, w->name);
	return clm_asprintf("watch: %s: %s", path, uv_strerror(err));
}

/* Watch one path (a folder or a file); the folder's subfolders too. */
static int
watch_add(struct watch *w, const char *path, size_t root, char **cause)
{
	struct wdir	*d;
	struct dirent	*e;
	struct stat	 st;
	DIR		*dir;
	char		*sub;
	int		 r, rc = 0;

	for (d = w->dirs; d != NULL; d = d->next) {
		if (strcmp(d->path, path) == 0)
			return 0;
	}
	d = clm_calloc(1, sizeof *d);
	d->w = w;
	d->path = clm_strdup(path);
	d->root = root;
	uv_fs_event_init(w->loop, &d->h);
	d->h.data = d;
	w->open++;
	d->next = w->dirs;
	w->dirs = d;
	w->ndirs++;
	if ((r = uv_fs_event_start(&d->h, watch_event_cb, path, 0)) != 0) {
		*cause = watch_error(w, path, r);
		return -1;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if ((dir = opendir(path)) == NULL)
		return 0;	/* gone, or not ours to read */
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN)
			continue;
		sub = clm_asprintf("%s/%s", path, e->d_name);
		/* lstat: a link to a folder is not followed (no loops). */
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) &&
		    !watch_ignored(w, sub, sub + root + (sub[root] == '/')))
			rc = watch_add(w, sub, root, cause);
		free(sub);
	}
	closedir(dir);
	return rc;
}

static void
watch_timer_cb(uv_timer_t *t)
{
	struct watch	*w = t->data;

	w->fire(w->arg, w->name);
}

static void
watch_event_cb(uv_fs_event_t *h, const char *filename, int events,
    int status)
{
	struct wdir	*d = h->data;
	struct watch	*w = d->w;
	struct stat	 st;
	char		*path, *cause = NULL;
	const char	*rel;

	if (w->freeing)
		return;
	if (status != 0 || filename == NULL) {
		path = clm_strdup(d->path);
	} else
		path = clm_asprintf("%s/%s", d->path, filename);
	rel = path + d->root + (path[d->root] == '/');
	if (strlen(path) < d->root)
		rel = "";
	if (watch_ignored(w, path, rel)) {
		free(path);
		return;
	}
	/* A new folder: watched too, with what it already holds. */
	if ((events & UV_RENAME) && filename != NULL &&
	    stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    watch_add(w, path, d->root, &cause) != 0) {
		if (w->failure == NULL) {
			log_warnx("%s: %s", w->name, cause);
			w->failure = cause;
		} else
			free(cause);
	}
	log_debug("%s: watch: %s changed", w->name, path);
	free(path);
	uv_timer_start(&w->timer, watch_timer_cb, w->delay_ms, 0);
}

static void
watch_close_cb(uv_handle_t *h)
{
	struct watch	*w;

	if (h->type == UV_FS_EVENT) {
		struct wdir *d = h->data;

		w = d->w;
		free(d->path);
		free(d);
	} else
		w = h->data;
	if (--w->open > 0)
		return;
	clm_strv_free(w->ignore);
	free(w->logdir);
	free(w->name);
	free(w->failure);
	free(w);
}

struct watch *
watch_new(uv_loop_t *loop, const char *name, char *const *paths,
    char *const *ignore, const char *logdir, uint32_t delay_ms,
    watch_fire_cb fire, void *arg, char **cause)
{
	struct watch	*w = clm_calloc(1, sizeof *w);
	size_t		 i;

	w->loop = loop;
	w->name = clm_strdup(name);
	w->ignore = clm_strv_dup(ignore);
	w->logdir = logdir != NULL ? clm_strdup(logdir) : NULL;
	w->delay_ms = delay_ms;
	w->fire = fire;
	w->arg = arg;
	uv_timer_init(loop, &w->timer);
	w->timer.data = w;
	w->open = 1;
	for (i = 0; paths != NULL && paths[i] != NULL; i++) {
		if (watch_add(w, paths[i], strlen(paths[i]), cause) != 0) {
			watch_free(w);
			return NULL;
		}
	}
	return w;
}

size_t
watch_count(const struct watch *w)
{
	return w->ndirs;
}

void
watch_free(struct watch *w)
{
	struct wdir	*d, *next;

	if (w == NULL)
		return;
	w->freeing = true;
	uv_timer_stop(&w->timer);
	for (d = w->dirs; d != NULL; d = next) {
		next = d->next;
		uv_fs_event_stop(&d->h);
		uv_close((uv_handle_t *)&d->h, watch_close_cb);
	}
	w->dirs = NULL;
	uv_close((uv_handle_t *)&w->timer, watch_close_cb);
}
