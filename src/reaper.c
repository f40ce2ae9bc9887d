/* Reaping orphans that were reparented to clmd. */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/reaper.h"

#define REAPER_RETRY_MS	20	/* again, once libuv has taken its own */
#define REAPER_SWEEP_MS	5000

static uv_signal_t	reaper_sig;
static uv_timer_t	reaper_timer;
static reaper_kind_cb	reaper_kind;
static reaper_exit_cb	reaper_exit;
static void		*reaper_arg;
static bool		reaper_on;

static void	reaper_timer_cb(uv_timer_t *);

/* Reap the zombies that are not libuv's. Peeks first (WNOWAIT): the first
 * zombie may be a worker, which libuv reaps; then we look again soon. */
static void
reap(void)
{
	siginfo_t	si;
	int		i, status;

	for (i = 0; i < 256; i++) {
		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			break;
		switch (reaper_kind(reaper_arg, si.si_pid)) {
		case REAPER_LIBUV:
			uv_timer_start(&reaper_timer, reaper_timer_cb,
			    REAPER_RETRY_MS, REAPER_SWEEP_MS);
			return;
		case REAPER_ADOPTED:
			if (waitpid(si.si_pid, &status, WNOHANG) > 0)
				reaper_exit(reaper_arg, si.si_pid, status);
			break;
		case REAPER_ORPHAN:
			if (waitpid(si.si_pid, NULL, WNOHANG) > 0)
				log_debug("reaped orphan pid %d", si.si_pid);
			break;
		}
	}
}

static void
reaper_timer_cb(uv_timer_t *t)
{
	reap();
}

static void
reaper_signal_cb(uv_signal_t *s, int sig)
{
	/* Let libuv's own SIGCHLD handling run first. */
	uv_timer_start(&reaper_timer, reaper_timer_cb, 1, REAPER_SWEEP_MS);
}

void
reaper_start(uv_loop_t *loop, reaper_kind_cb kind, reaper_exit_cb exited,
    void *arg)
{
	reaper_kind = kind;
	reaper_exit = exited;
	reaper_arg = arg;
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("prctl(PR_SET_CHILD_SUBREAPER)");
	uv_signal_init(loop, &reaper_sig);
	uv_signal_start(&reaper_sig, reaper_signal_cb, SIGCHLD);
	uv_unref((uv_handle_t *)&reaper_sig);
	uv_timer_init(loop, &reaper_timer);
	uv_timer_start(&reaper_timer, reaper_timer_cb, REAPER_SWEEP_MS,
	    REAPER_SWEEP_MS);
	uv_unref((uv_handle_t *)&reaper_timer);
	reaper_on = true;
}

void
reaper_stop(void)
{
	if (!reaper_on)
		return;
	reaper_on = false;
	uv_close((uv_handle_t *)&reaper_sig, NULL);
	uv_close((uv_handle_t *)&reaper_timer, NULL);
}
