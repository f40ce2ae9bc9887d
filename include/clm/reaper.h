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

/* Is pid a process libuv waits for (a worker)? */
typedef bool (*reaper_ours_cb)(void *arg, int pid);

/* Become a subreaper (unless PID 1) and reap orphans from now on. */
void reaper_start(uv_loop_t *, reaper_ours_cb, void *arg);
void reaper_stop(void);

#endif
