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
/*
 * A process libuv did not spawn: a worker started with spawn_start() or
 * from before clm update (our child, not libuv's: reaped here, on SIGCHLD,
 * every zombie waiting at once), or one a crashed clmd left
 * (not our child: its end is seen on its pidfd, and its status is
 * REAPER_STATUS_UNKNOWN). pidfd (-1: none, then only a child is seen)
 * stays the caller's. exited(arg, ...) is called once.
 */
#define REAPER_STATUS_UNKNOWN	(-1)
void	reaper_adopt(int pid, int pidfd, reaper_exit_cb exited, void *arg);
/* pidfd_open(pid), close-on-exec; -1 with errno. */
int	reaper_pidfd(int pid);

/* Become a subreaper (unless PID 1) and reap orphans from now on. */
/* Whether pid is a child clmd spawned or adopted (not yet reaped). */
bool	reaper_knows(int pid);
void	reaper_start(uv_loop_t *);
void	reaper_stop(void);

#endif
