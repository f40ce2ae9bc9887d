/*
 * Workers' logs, clmd's side. A worker's stdout and stderr are pipes that
 * clm-logd (a process of its own) reads and writes to the log files, with
 * rotation and timestamps. clmd keeps a copy of every pipe's read end and
 * never reads it: if clm-logd dies, no worker sees EPIPE, the data waits in
 * the pipe, and clmd starts clm-logd again and hands it every stream; if
 * clmd dies, clm-logd goes on. Without clm-logd, workers write straight
 * into their files.
 */
#ifndef CLM_LOGS_H
#define CLM_LOGS_H

#include <uv.h>

#include "clm/app.h"
#include "clm/home.h"

struct clm_logs;

struct clm_logs *logs_new(uv_loop_t *, const struct clm_home *);
/* Stop: clm-logd drains what is left and exits; the loop then ends. */
void logs_free(struct clm_logs *);

/* A worker's log file: which is "out" or "err". */
char *logs_path(const struct clm_home *, const struct clm_app_spec *,
    int slot, const char *which);

/*
 * The fds a worker's run writes its stdout and stderr to (the caller
 * hands them to the child, then closes them). run identifies the run, for
 * logs_detach(). -1 on failure, errno saying why (the worker then runs
 * without logs, unless clmd is out of fds).
 */
int logs_attach(struct clm_logs *, const struct clm_app_spec *, int slot,
    unsigned long run, int *out, int *err);
/* The run's process is pid: clm-logd's console (log_target stdout) names
 * it. */
void logs_pid(struct clm_logs *, const char *app, int slot,
    unsigned long run, int pid);
/* The run has ended: clm-logd finishes reading what it wrote. */
void logs_detach(struct clm_logs *, const char *app, int slot,
    unsigned long run);
/*
 * These apps (NULL-terminated) are deleted: each of their log files gets a
 * last line saying so (after what its workers wrote: clm-logd writes it
 * once it has read their pipes). A re-created app's `clm logs` shows only
 * what follows it. One pass over the log folder for all of them.
 */
void logs_apps_deleted(struct clm_logs *, char *const *apps);
/* Is this line such a marker? */
bool logs_marker(const char *line, size_t len);
/* A log file's name: NAME-ID-out.log, NAME-all-out.log (merged; slot -1),
 * NAME-out.log (merged, before). -1 if it is none. */
int logs_file_name(const char *fname, char *app, size_t size, long *slot,
    char kind[4]);
/* Reopen every log file (SIGUSR1, clm reload-logs). */
void logs_reopen(struct clm_logs *);

struct clm_state;

/* clm update: the streams and clm-logd's pid to hand over; in the new
 * image, the streams taken over (and given to its new clm-logd). */
void logs_export(struct clm_logs *, struct clm_state *);
void logs_import(struct clm_logs *, struct clm_state *);

#endif
