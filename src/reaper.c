/* The registry of clmd's children, and reaping the orphans. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/limits.h"
#include "clm/log.h"
#include "clm/reaper.h"

#define REAPER_RETRY_MS	20	/* again, once libuv has taken its own */
#define REAPER_SWEEP_MS	5000
#define REAPER_PASS	256	/* zombies reaped per turn of the loop */

/* A child of clmd: libuv's (proc set) or adopted (exited set). */
struct child {
	int		 pid;
	uv_process_t	*proc;
	uv_exit_cb	 exit_cb;	/* the spawner's */
	reaper_exit_cb	 exited;
	void		*arg;
	uv_poll_t	*poll;		/* on its pidfd: not our child */
	int		 pidfd;		/* the poll's; -1: none */
	uint64_t	 start;		/* adopted: its start time; 0 */
	bool		 gone;		/* adopted, found dead: report it */
	bool		 check;		/* adopted, not ours, no pidfd: swept */
};

static struct child	*children;
static size_t		 nchildren, children_cap;
/* children's indexes + 1 by pid (0: empty), open addressing: thousands of
 * workers are looked up in O(1). Twice children_cap slots. */
static size_t		*pidtab;
static size_t		 pidtab_cap;
static size_t		 nwatched;	/* children gone or check */
static uint64_t		 looked_ms;	/* the last look at /proc for them */
static uv_loop_t	*reaper_loop;
static uv_signal_t	 reaper_sig;
static uv_timer_t	 reaper_timer;
static uint64_t		 reaper_sweep_ms = REAPER_SWEEP_MS;
static bool		 reaper_on;

static void	reaper_timer_cb(uv_timer_t *);

static size_t
pidtab_home(int pid)
{
	return ((size_t)(unsigned)pid * 2654435761u) & (pidtab_cap - 1);
}

/* The slot holding index i (of pid). */
static size_t
pidtab_slot(int pid, size_t i)
{
	size_t	h = pidtab_home(pid);

	while (pidtab[h] != i + 1)
		h = (h + 1) & (pidtab_cap - 1);
	return h;
}

static void
pidtab_put(int pid, size_t i)
{
	size_t	h = pidtab_home(pid);

	while (pidtab[h] != 0)
		h = (h + 1) & (pidtab_cap - 1);
	pidtab[h] = i + 1;
}

/* Empty slot h, moving back the entries of its run that belong before. */
static void
pidtab_del(size_t h)
{
	size_t	j = h, home;

	pidtab[h] = 0;
	for (;;) {
		j = (j + 1) & (pidtab_cap - 1);
		if (pidtab[j] == 0)
			return;
		home = pidtab_home(children[pidtab[j] - 1].pid);
		/* j's entry stays when its home lies cyclically in (h, j]. */
		if ((h < j) ? (home > h && home <= j) : (home > h || home <= j))
			continue;
		pidtab[h] = pidtab[j];
		pidtab[j] = 0;
		h = j;
	}
}

static void
pidtab_build(void)
{
	size_t	i;

	free(pidtab);
	pidtab_cap = children_cap * 2;
	pidtab = clm_calloc(pidtab_cap, sizeof *pidtab);
	for (i = 0; i < nchildren; i++)
		pidtab_put(children[i].pid, i);
}

/* The first child registered with pid that pred(c, arg) accepts (NULL:
 * any). */
static struct child *
child_find_if(int pid, bool (*pred)(const struct child *, const void *),
    const void *arg)
{
	size_t	h;

	if (pidtab_cap == 0)
		return NULL;
	for (h = pidtab_home(pid); pidtab[h] != 0;
	    h = (h + 1) & (pidtab_cap - 1)) {
		if (children[pidtab[h] - 1].pid == pid &&
		    (pred == NULL || pred(&children[pidtab[h] - 1], arg)))
			return &children[pidtab[h] - 1];
	}
	return NULL;
}

static struct child *
child_find(int pid)
{
	return child_find_if(pid, NULL, NULL);
}

static bool
child_has_proc(const struct child *c, const void *proc)
{
	return c->proc == proc;
}

static bool
child_has_poll(const struct child *c, const void *poll)
{
	return c->poll == poll;
}

static struct child *
child_of_proc(const uv_process_t *proc)
{
	return child_find_if(proc->pid, child_has_proc, proc);
}

static void
child_add(const struct child *c)
{
	if (nchildren == children_cap) {
		children_cap = children_cap ? children_cap * 2 : 64;
		children = clm_realloc(children,
		    children_cap * sizeof *children);
		pidtab_build();
	}
	children[nchildren] = *c;
	pidtab_put(c->pid, nchildren++);
}

static void
poll_close_cb(uv_handle_t *h)
{
	free(h);
}

static void
child_remove(struct child *c)
{
	size_t	i = (size_t)(c - children), last = nchildren - 1;

	if (c->poll != NULL)
		uv_close((uv_handle_t *)c->poll, poll_close_cb);
	if (c->pidfd != -1)
		close(c->pidfd);
	if (c->gone || c->check)
		nwatched--;
	pidtab_del(pidtab_slot(c->pid, i));
	if (i != last) {
		/* The last one moves into i's place. */
		pidtab[pidtab_slot(children[last].pid, last)] = i + 1;
		*c = children[last];
	}
	if (--nchildren == 0) {
		free(children);
		children = NULL;
		children_cap = 0;
		free(pidtab);
		pidtab = NULL;
		pidtab_cap = 0;
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
	c.pidfd = -1;
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
child_is_libuvs(const struct child *c, const void *unused)
{
	return c->proc != NULL;
}

static bool
pid_spawned(int pid)
{
	return child_find_if(pid, child_is_libuvs, NULL) != NULL;
}

/* An adopted process's pidfd is readable: it has ended. Our child (clm
 * update): reap it; another's (a dead clmd's worker, reaped by init or a
 * subreaper): its status is not ours to know. */
static void
reaper_pidfd_cb(uv_poll_t *p, int status, int events)
{
	struct child	*c, adopted;
	int		 wstatus = REAPER_STATUS_UNKNOWN;

	if ((c = child_find_if((int)(intptr_t)p->data, child_has_poll,
	    p)) == NULL)
		return;
	if (!pid_spawned(c->pid) && waitpid(c->pid, &wstatus, WNOHANG) <= 0)
		wstatus = REAPER_STATUS_UNKNOWN;
	adopted = *c;
	child_remove(c);
	adopted.exited(adopted.arg, adopted.pid, wstatus);
}

int
reaper_proc_stat(int pid, struct reaper_stat *ps)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 start;
	ssize_t			 n;
	int			 fd, ppid;
	char			 state;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The name (field 2) may hold spaces and parentheses: after the
	 * last ')' come state (3), ppid (4), ... starttime (22). */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %c %d %*d %*d "
	    "%*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
	    &state, &ppid, &start) != 3)
		return -1;
	ps->state = state;
	ps->ppid = ppid;
	ps->start = start;
	return 0;
}

uint64_t
reaper_start_time(int pid)
{
	struct reaper_stat	ps;

	return reaper_proc_stat(pid, &ps) == -1 ? 0 : ps.start;
}

uint64_t
reaper_boottime_ns(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The kernel stamps a child with the boot-time clock during the clone
 * (start_boottime) and /proc shows it in whole clock ticks (USER_HZ),
 * rounded down: a clone between t0 and t1 of the same tick started in
 * that tick. Saves an open, a read and a close a spawn.
 */
uint64_t
reaper_start_time_between(int pid, uint64_t t0, uint64_t t1)
{
	static uint64_t	ns_per_tick;
	long		hz;

	if (ns_per_tick == 0 && (hz = sysconf(_SC_CLK_TCK)) > 0 &&
	    1000000000 % hz == 0)
		ns_per_tick = 1000000000 / (uint64_t)hz;
	if (ns_per_tick == 0 || t0 == 0 || t1 < t0 ||
	    t0 / ns_per_tick != t1 / ns_per_tick)
		return reaper_start_time(pid);
	return t0 / ns_per_tick;
}

/* Is the adopted process (not our child) still the one we adopted? */
static bool
adopted_alive(int pid, uint64_t start)
{
	struct reaper_stat	ps;

	return reaper_proc_stat(pid, &ps) == 0 && ps.state != 'Z' &&
	    ps.state != 'X' && (start == 0 || ps.start == start);
}

/* Room for one more descriptor that only saves a sweep: not the last
 * LIMITS_FDS_BASE ones, which clients and log files need. */
static bool
fd_room(int fd)
{
	struct rlimit	rl;

	return getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY ||
	    (rlim_t)fd + LIMITS_FDS_BASE < rl.rlim_cur;
}

void
reaper_child(int pid, reaper_exit_cb exited, void *arg)
{
	struct child	c = { 0 };

	c.pid = pid;
	c.pidfd = -1;
	c.exited = exited;
	c.arg = arg;
	child_add(&c);
}

void
reaper_adopt(int pid, uint64_t start, reaper_exit_cb exited, void *arg)
{
	struct child		c = { 0 };
	struct reaper_stat	ps = { 0 };

	c.pid = pid;
	c.pidfd = -1;
	c.start = start;
	c.exited = exited;
	c.arg = arg;
	if (reaper_loop == NULL) {
		child_add(&c);
		return;
	}
	if (reaper_proc_stat(pid, &ps) == -1 ||
	    (start != 0 && ps.start != start)) {
		/* Gone, or its pid is another's now. */
		c.gone = true;
	} else if (ps.ppid == getpid()) {
		/* Ours (clm update): SIGCHLD and reap() see its end. */
	} else if ((c.pidfd = reaper_pidfd(pid)) == -1) {
		c.gone = errno == ESRCH;
		c.check = !c.gone;
	} else if (!adopted_alive(pid, ps.start)) {
		/* It ended (or its pid went to another) before the pidfd
		 * was open: the pidfd may be the new one's. */
		c.gone = true;
	} else if (!fd_room(c.pidfd)) {
		close(c.pidfd);
		c.pidfd = -1;
		c.check = true;
	} else {
		c.poll = clm_calloc(1, sizeof *c.poll);
		if (uv_poll_init(reaper_loop, c.poll, c.pidfd) != 0) {
			free(c.poll);
			c.poll = NULL;
			close(c.pidfd);
			c.pidfd = -1;
			c.check = true;
		} else {
			c.poll->data = (void *)(intptr_t)pid;	/* its key */
			uv_poll_start(c.poll, UV_READABLE, reaper_pidfd_cb);
		}
	}
	if (c.gone && c.pidfd != -1) {
		close(c.pidfd);
		c.pidfd = -1;
	}
	c.start = start != 0 ? start : ps.start;
	nwatched += c.gone || c.check;
	child_add(&c);
	/* Report the dead and reap our zombies from the loop, soon. */
	uv_timer_start(&reaper_timer, reaper_timer_cb, c.gone ? 0 :
	    REAPER_RETRY_MS, reaper_sweep_ms);
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

	for (i = 0;; i++) {
		if (i == REAPER_PASS) {
			/* More may wait (one SIGCHLD for many): the rest
			 * on the next turn of the loop, not the sweep's. */
			uv_timer_start(&reaper_timer, reaper_timer_cb, 0,
			    reaper_sweep_ms);
			return;
		}
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

static bool
child_is_gone(const struct child *c, const void *unused)
{
	return c->gone;
}

/* The adopted ones found dead, and those without a pidfd that ended:
 * their ends, reported. */
static void
sweep_adopted(void)
{
	struct child	*c, adopted;
	int		*dead = NULL;
	size_t		 i, n = 0;
	bool		 look;

	if (nwatched == 0)
		return;
	/* /proc is looked at every sweep, not at every SIGCHLD. */
	look = clm_now_ms() - looked_ms >= reaper_sweep_ms / 2;
	if (look)
		looked_ms = clm_now_ms();
	for (i = 0; i < nchildren; i++) {
		c = &children[i];
		if (c->gone || (look && c->check &&
		    !adopted_alive(c->pid, c->start))) {
			c->gone = true;
			dead = clm_realloc(dead, (n + 1) * sizeof *dead);
			dead[n++] = c->pid;
		}
	}
	/* One at a time: a callback may spawn (or adopt) again. */
	for (i = 0; i < n; i++) {
		if ((c = child_find_if(dead[i], child_is_gone, NULL)) == NULL)
			continue;
		adopted = *c;
		adopted.poll = NULL;
		adopted.pidfd = -1;
		child_remove(c);
		adopted.exited(adopted.arg, adopted.pid, REAPER_STATUS_UNKNOWN);
	}
	free(dead);
}

static void
reaper_timer_cb(uv_timer_t *t)
{
	reap();
	sweep_adopted();
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
