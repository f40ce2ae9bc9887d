/*
 * Every child of clmd, and the zombies reparented to it.
 *
 * One registry of pids: whoever spawns a process does it through
 * reaper_spawn() (libuv reaps it and calls the exit callback; the reaper
 * leaves it alone), and a process clmd did not spawn in this image (a
 * worker from before clm update) is handed over with reaper_adopt() (the
 * reaper reaps it and reports its end). Any other zombie child is an
 * orphan reparented to clmd (PID 1 in a container, or a child subreaper):
 * the reaper reaps it, every REAPER_SWEEP_MS and on SIGCHLD.
 *
 * CLM_REAPER_SWEEP_MS in the environment sets the sweep interval (for
 * tests that time things against it).
 */
#ifndef CLM_REAPER_H
#define CLM_REAPER_H

#include <uv.h>

#include "clm/common.h"

/* An adopted process ended; wstatus as from waitpid(). */
typedef void (*reaper_exit_cb)(void *arg, int pid, int wstatus);

/*
 * uv_spawn(), and the pid known to the reaper until libuv has reaped it
 * and called opts->exit_cb. Who closes the handle before that calls
 * reaper_forget() first.
 */
int	reaper_spawn(uv_loop_t *, uv_process_t *,
	    const uv_process_options_t *);
/* proc is closed before its exit: libuv will not reap it, the reaper
 * will (as an orphan). Nothing when libuv has reaped it already. */
void	reaper_forget(uv_process_t *);
/* A child clmd spawned itself (spawn_start()): reaped here, on SIGCHLD,
 * every zombie waiting at once; exited(arg, ...) is called once. */
void	reaper_child(int pid, reaper_exit_cb exited, void *arg);
/*
 * A process this image did not spawn: a worker from before clm update
 * (our child: reaped here, on SIGCHLD), or one a crashed clmd left (not
 * our child: its status is REAPER_STATUS_UNKNOWN). start: its start time
 * when it was spawned (reaper_start_time(); 0: unknown): a process of
 * that pid that started at another time is another, and the one adopted
 * has ended. One not ours is watched on a pidfd the reaper opens (and
 * checks against start, so a pid given again is never mistaken), or,
 * when none can be had (EMFILE, or too close to the limit), by a look at
 * /proc every sweep. exited(arg, ...) is called once, from the loop.
 */
#define REAPER_STATUS_UNKNOWN	(-1)
void	reaper_adopt(int pid, uint64_t start, reaper_exit_cb exited,
	    void *arg);
/* pidfd_open(pid), close-on-exec; -1 with errno. */
int	reaper_pidfd(int pid);

/* What /proc/PID/stat says of a process; -1 if it is gone. */
struct reaper_stat {
	char		state;		/* R, S, Z... */
	int		ppid;
	uint64_t	start;		/* field 22: clock ticks since boot */
};
int	reaper_proc_stat(int pid, struct reaper_stat *);
/* pid's start time (field 22 of /proc/PID/stat); 0 if it is gone. */
uint64_t reaper_start_time(int pid);
/* CLOCK_BOOTTIME in ns: before and after a clone, what the next gives. */
uint64_t reaper_boottime_ns(void);
/* The start time of a child cloned between t0 and t1 (reaper_boottime_ns()
 * before and after): the clock tick both fall in, which is what
 * /proc/PID/stat says, without reading it; read when they straddle one. */
uint64_t reaper_start_time_between(int pid, uint64_t t0, uint64_t t1);

/* Become a subreaper (unless PID 1) and reap orphans from now on. */
/* Whether pid is a child clmd spawned or adopted (not yet reaped). */
bool	reaper_knows(int pid);
void	reaper_start(uv_loop_t *);
void	reaper_stop(void);

#endif
