/* The registry of clmd's children, and reaping the orphans. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/log.h"
#include "clm/reaper.h"

#define REAPER_RETRY_MS	20	/* again, once libuv has taken its own */
#define REAPER_SWEEP_MS	5000

/* A child of clmd: libuv's (proc set) or adopted (exited set). */
struct child {
	int		 pid;
	uv_process_t	*proc;
	uv_exit_cb	 exit_cb;	/* the spawner's */
	reaper_exit_cb	 exited;
	void		*arg;
	uv_poll_t	*poll;		/* on its pidfd: not our child */
};

static struct child	*children;
static size_t		 nchildren, children_cap;
static uv_loop_t	*reaper_loop;
static uv_signal_t	 reaper_sig;
static uv_timer_t	 reaper_timer;
static uint64_t		 reaper_sweep_ms = REAPER_SWEEP_MS;
static bool		 reaper_on;

static void	reaper_timer_cb(uv_timer_t *);

static struct child *
child_find(int pid)
{
	size_t	i;

	for (i = 0; i < nchildren; i++) {
		if (children[i].pid == pid)
			return &children[i];
	}
	return NULL;
}

static struct child *
child_of_proc(const uv_process_t *proc)
{
	size_t	i;

	for (i = 0; i < nchildren; i++) {
		if (children[i].proc == proc)
			return &children[i];
	}
	return NULL;
}

static void
child_add(const struct child *c)
{
	if (nchildren == children_cap) {
		children_cap = children_cap ? children_cap * 2 : 64;
		children = clm_realloc(children,
		    children_cap * sizeof *children);
	}
	children[nchildren++] = *c;
}

static void
poll_close_cb(uv_handle_t *h)
{
	free(h);
}

static void
child_remove(struct child *c)
{
	if (c->poll != NULL)
		uv_close((uv_handle_t *)c->poll, poll_close_cb);
	*c = children[--nchildren];
	if (nchildren == 0) {
		free(children);
		children = NULL;
		children_cap = 0;
	}
}

/* libuv has reaped one of ours: forget it, then tell its spawner. */
static void
reaper_libuv_exit_cb(uv_process_t *proc, int64_t status, int sig)
{
	struct child	*c = child_of_proc(proc);
	uv_exit_cb	 cb = NULL;

	if (c != NULL) {
		cb = c->exit_cb;
		child_remove(c);
	}
	if (cb != NULL)
		cb(proc, status, sig);
}

int
reaper_spawn(uv_loop_t *loop, uv_process_t *proc,
    const uv_process_options_t *opts)
{
	uv_process_options_t	o = *opts;
	struct child		c = { 0 };
	int			r;

	o.exit_cb = reaper_libuv_exit_cb;
	if ((r = uv_spawn(loop, proc, &o)) != 0)
		return r;
	c.pid = proc->pid;
	c.proc = proc;
	c.exit_cb = opts->exit_cb;
	child_add(&c);
	return 0;
}

void
reaper_forget(uv_process_t *proc)
{
	struct child	*c = child_of_proc(proc);

	if (c != NULL)
		child_remove(c);
}

/* A pid both adopted and spawned by libuv: the adopted one ended and the
 * pid was given again. waitpid() would steal libuv's child. */
static bool
pid_spawned(int pid)
{
	size_t	i;

	for (i = 0; i < nchildren; i++) {
		if (children[i].pid == pid && children[i].proc != NULL)
			return true;
	}
	return false;
}

/* An adopted process's pidfd is readable: it has ended. Our child (clm
 * update): reap it; another's (a dead clmd's worker, reaped by init or a
 * subreaper): its status is not ours to know. */
static void
reaper_pidfd_cb(uv_poll_t *p, int status, int events)
{
	struct child	*c = NULL, adopted;
	size_t		 i;
	int		 wstatus = REAPER_STATUS_UNKNOWN;

	for (i = 0; i < nchildren; i++) {
		if (children[i].poll == p)
			c = &children[i];
	}
	if (c == NULL)
		return;
	if (!pid_spawned(c->pid) && waitpid(c->pid, &wstatus, WNOHANG) <= 0)
		wstatus = REAPER_STATUS_UNKNOWN;
	adopted = *c;
	child_remove(c);
	adopted.exited(adopted.arg, adopted.pid, wstatus);
}

void
reaper_adopt(int pid, int pidfd, reaper_exit_cb exited, void *arg)
{
	struct child	c = { 0 };

	c.pid = pid;
	c.exited = exited;
	c.arg = arg;
	if (pidfd >= 0 && reaper_loop != NULL) {
		c.poll = clm_calloc(1, sizeof *c.poll);
		if (uv_poll_init(reaper_loop, c.poll, pidfd) != 0) {
			free(c.poll);
			c.poll = NULL;
		} else
			uv_poll_start(c.poll, UV_READABLE, reaper_pidfd_cb);
	}
	child_add(&c);
}

int
reaper_pidfd(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

bool
reaper_knows(int pid)
{
	return child_find(pid) != NULL;
}

/* Reap the zombies that are not libuv's. Peeks first (WNOWAIT): the first
 * zombie may be libuv's; then we look again soon. */
static void
reap(void)
{
	struct child	*c, adopted;
	siginfo_t	 si;
	int		 i, status;

	for (i = 0; i < 256; i++) {
		si.si_pid = 0;
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			break;
		if ((c = child_find(si.si_pid)) != NULL && c->proc != NULL) {
			uv_timer_start(&reaper_timer, reaper_timer_cb,
			    REAPER_RETRY_MS, reaper_sweep_ms);
			return;
		}
		if (waitpid(si.si_pid, &status, WNOHANG) <= 0)
			continue;
		if (c == NULL) {
			log_debug("reaped orphan pid %d", si.si_pid);
			continue;
		}
		adopted = *c;
		child_remove(c);
		adopted.exited(adopted.arg, adopted.pid, status);
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
	uv_timer_start(&reaper_timer, reaper_timer_cb, 1, reaper_sweep_ms);
}

void
reaper_start(uv_loop_t *loop)
{
	const char	*env = getenv("CLM_REAPER_SWEEP_MS");
	long long	 ms;

	reaper_loop = loop;
	if (env != NULL && clm_parse_int(env, 1, 3600000, &ms) == 0)
		reaper_sweep_ms = (uint64_t)ms;
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("prctl(PR_SET_CHILD_SUBREAPER)");
	uv_signal_init(loop, &reaper_sig);
	uv_signal_start(&reaper_sig, reaper_signal_cb, SIGCHLD);
	uv_unref((uv_handle_t *)&reaper_sig);
	uv_timer_init(loop, &reaper_timer);
	uv_timer_start(&reaper_timer, reaper_timer_cb, reaper_sweep_ms,
	    reaper_sweep_ms);
	uv_unref((uv_handle_t *)&reaper_timer);
	reaper_on = true;
}

void
reaper_stop(void)
{
	size_t	i;

	if (!reaper_on)
		return;
	reaper_on = false;
	reaper_loop = NULL;
	for (i = nchildren; i-- > 0;) {
		if (children[i].poll != NULL)
			child_remove(&children[i]);
	}
	uv_close((uv_handle_t *)&reaper_sig, NULL);
	uv_close((uv_handle_t *)&reaper_timer, NULL);
}
