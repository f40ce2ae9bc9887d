/*
 * clmd as PID 1 (containers) or as a child subreaper: processes orphaned
 * below it are reparented to it, and it must reap them. libuv reaps the
 * workers it spawned (by pid); the reaper takes every other zombie child,
 * and never one of libuv's.
 */
#ifndef CLM_REAPER_H
#define CLM_REAPER_H

#include <uv.h>

#include "clm/common.h"

enum reaper_kind {
	REAPER_ORPHAN,		/* reap it, nothing more */
	REAPER_LIBUV,		/* a worker libuv waits for: leave it */
	REAPER_ADOPTED,		/* a worker from before clm update: reap it
				   and report its end */
};

/* What pid is to clmd. */
typedef enum reaper_kind (*reaper_kind_cb)(void *arg, int pid);
/* An adopted process ended; wstatus as from waitpid(). */
typedef void (*reaper_exit_cb)(void *arg, int pid, int wstatus);

/* Become a subreaper (unless PID 1) and reap orphans from now on. */
void reaper_start(uv_loop_t *, reaper_kind_cb, reaper_exit_cb, void *arg);
void reaper_stop(void);

#endif
