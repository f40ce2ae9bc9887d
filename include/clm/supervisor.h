/*
 * The process table: apps, their workers, and the state machine that
 * starts, watches, restarts and stops them. Every long operation (stop,
 * restart, delete, ...) completes through a callback once the workers have
 * reached the state it waits for; nothing here blocks.
 */
#ifndef CLM_SUPERVISOR_H
#define CLM_SUPERVISOR_H

#include <uv.h>

#include "clm/app.h"
#include "clm/home.h"
#include "clm/proto.h"

struct clm_supervisor;

/*
 * Completion of a long operation: code is NULL on success, else one of the
 * CLM_E_* codes with message saying what failed (owned by the callee;
 * copy it to keep it).
 */
typedef void (*supervisor_done_cb)(void *arg, const char *code,
    const char *message);

struct clm_daemon_config;

struct clm_supervisor *supervisor_new(uv_loop_t *, const struct clm_home *,
    const struct clm_daemon_config *);
struct worker_procs;
/*
 * For tests: a supervisor whose workers' processes are procs' fakes, on
 * the clock now_ms, with rss for their memory, no clm-logd, and room for
 * 64 workers an app whatever the cores.
 */
struct clm_supervisor *supervisor_new_fake(uv_loop_t *,
    const struct clm_home *, const struct clm_daemon_config *,
    const struct worker_procs *procs, uint64_t (*now_ms)(void),
    int (*rss)(int pid, uint64_t *rss));
/* Close every handle; all workers must be down (see supervisor_stop). */
void supervisor_free(struct clm_supervisor *);

/*
 * Add the app that spec describes and start its workers; done fires when
 * they are online (or failed). The supervisor takes spec. Adding a name that
 * is running fails at once (-1, *code, *cause); a stopped app of that name
 * is replaced. Notes for the user (clamping) are appended to *notes.
 */
int supervisor_add(struct clm_supervisor *, struct clm_app_spec *spec,
    char ***notes, supervisor_done_cb, void *arg, const char **code,
    char **cause);

/* Add several apps, all or none: no name may be running. Takes specs'
 * elements (not the array). */
int supervisor_add_apps(struct clm_supervisor *, struct clm_app_spec **specs,
    size_t n, char ***notes, supervisor_done_cb, void *arg,
    const char **code, char **cause);
/*
 * Apply an app file: apps that run get the new options and instance count
 * and a rolling reload; the others start. Takes specs (array and elements).
 * --listen addresses of a running app are kept: changing them needs a
 * delete and a start.
 */
void supervisor_apply(struct clm_supervisor *, struct clm_app_spec **specs,
    size_t n, char ***notes, supervisor_done_cb, void *arg);
/* Copies of every app's spec (for save); *out is NULL-terminated. */
void supervisor_specs(struct clm_supervisor *, struct clm_app_spec ***out,
    size_t *n);
/* The options set in set (the [defaults] kind) to the named apps (clm
 * restart NAME --listen-timeout 10s). */
void supervisor_set_options(struct clm_supervisor *, char **names,
    const struct clm_app_spec *set);
/* Give the named apps a new environment (restart --update-env): env is
 * shared (clm_strv_share()), the caller keeps its own reference. */
int supervisor_update_env(struct clm_supervisor *, char **names,
    char **env);

/* The names of the apps that target denotes ("all" or a name), or -1
 * with *code, *cause when there is no such app. */
int supervisor_select(struct clm_supervisor *, const char *target,
    char ***names, const char **code, char **cause);

/* Operations on the named apps. Apps deleted meanwhile count as done. */
void supervisor_start(struct clm_supervisor *, char **names,
    supervisor_done_cb, void *arg);
void supervisor_stop(struct clm_supervisor *, char **names,
    supervisor_done_cb, void *arg);
void supervisor_restart(struct clm_supervisor *, char **names,
    supervisor_done_cb, void *arg);
void supervisor_delete(struct clm_supervisor *, char **names,
    supervisor_done_cb, void *arg);
/*
 * Rolling reload, one slot at a time: start a new worker, wait until it is
 * online, then stop the old one. A new worker that fails is stopped, the old
 * one keeps serving, and done reports the failure.
 */
void supervisor_reload(struct clm_supervisor *, char **names,
    supervisor_done_cb, void *arg);
/*
 * stop, restart or reload (verb) one worker, "NAME:ID"; -1 with *code,
 * *cause when there is no such worker. A worker stopped alone stays
 * stopped until a restart of it or of its app.
 */
int supervisor_worker(struct clm_supervisor *, const char *verb,
    const char *target, supervisor_done_cb, void *arg, const char **code,
    char **cause);
/* Set the number of workers of an app (relative: add count). */
int supervisor_scale(struct clm_supervisor *, const char *name,
    long long count, bool relative, char ***notes, supervisor_done_cb,
    void *arg, const char **code, char **cause);
/* Stop every app (shutdown); done fires when no worker runs. */
/* Stops so far that needed a SIGKILL after the kill timeout. */
unsigned supervisor_sigkills(const struct clm_supervisor *);
void supervisor_stop_all(struct clm_supervisor *, supervisor_done_cb,
    void *arg);

/* --max-memory-restart, max_uptime: replace the workers past their app's
 * limits; cron_restart: reload the apps whose time has come (a timer
 * calls it every second). */
void supervisor_check_memory(struct clm_supervisor *);

/* Worker rows for list/describe: the app named (NULL: all), or the
 * worker of "NAME:ID". */
void supervisor_info(struct clm_supervisor *, const char *name,
    struct clm_worker_info **out, size_t *n);
struct clm_state;

/*
 * clm update. supervisor_export: the state to hand over, or -1 with *cause
 * when something is under way (an operation, a worker starting or
 * stopping): try again. anytime: as it is, whatever is under way (the
 * copy clm-keeper keeps for a crash: the operations are lost, their
 * workers are not). supervisor_import: take it over in the new image.
 */
int supervisor_export(struct clm_supervisor *, struct clm_state *,
    bool anytime, char **cause);
/* cb(arg) after every change of the apps or of a worker's state. */
void supervisor_on_change(struct clm_supervisor *, void (*cb)(void *),
    void *arg);
void supervisor_import(struct clm_supervisor *, struct clm_state *);

/* "3 apps, 5 of 6 workers online", for systemd's STATUS=. */
char *supervisor_status(struct clm_supervisor *);

/* The workers' logs (reopen them). */
struct clm_logs *supervisor_logs(struct clm_supervisor *);

/* Add an app stopped (resurrect of an app saved stopped); takes spec. */
int supervisor_add_stopped(struct clm_supervisor *, struct clm_app_spec *spec,
    char ***notes, char **cause);
/* Is there an app of this name that runs (is wanted up)? */
bool supervisor_running(struct clm_supervisor *, const char *name);

/* The spec of a named app (or of the app of "NAME:ID"), or NULL. */
const struct clm_app_spec *supervisor_spec(struct clm_supervisor *,
    const char *name);

#endif
