/* Starting a worker's program with posix_spawn() (see spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "clm/nametab.h"
#include "clm/spawn.h"

/* valgrind stops a program at a clone() that is neither a fork nor a
 * thread ("Unsupported clone() flags"): under it, posix_spawn(). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SPAWN_UNDER_VALGRIND()	RUNNING_ON_VALGRIND
#endif
#endif
#ifndef SPAWN_UNDER_VALGRIND
#define SPAWN_UNDER_VALGRIND()	0
#endif

#define SPAWN_DEFAULT_PATH	"/bin:/usr/bin"	/* execvp's */

static const char *
spawn_env_path(char *const *env)
{
	size_t	i;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (strncmp(env[i], "PATH=", 5) == 0)
			return env[i] + 5;
	}
	return SPAWN_DEFAULT_PATH;
}

int
spawn_lookup(const char *file, char *const *env, char **path)
{
	const char	*dirs, *end;
	struct stat	 st;
	char		*cand;
	int		 err = -ENOENT;
	size_t		 len;

	if (*file == '\0')
		return -ENOENT;
	if (strchr(file, '/') != NULL) {
		*path = clm_strdup(file);
		return 0;
	}
	for (dirs = spawn_env_path(env);; dirs = end + 1) {
		end = strchrnul(dirs, ':');
		len = (size_t)(end - dirs);
		/* An empty entry is the current directory. */
		cand = len == 0 ? clm_strdup(file) : clm_asprintf("%.*s/%s",
		    (int)len, dirs, file);
		if (stat(cand, &st) == 0) {
			if (S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
				*path = cand;
				return 0;
			}
			err = -EACCES;	/* as execvp: said if nothing runs */
		}
		free(cand);
		if (*end == '\0')
			break;
	}
	return err;
}

/* The child's fds, and the copies made of sources in its range. */
static int
spawn_actions(posix_spawn_file_actions_t *fa, const struct spawn_opts *o,
    int *dups)
{
	int	i, src;

	for (i = 0; i < o->nfds; i++) {
		dups[i] = -1;
		src = o->fds[i];
		if (src == -1) {
			if (posix_spawn_file_actions_addopen(fa, i,
			    "/dev/null", i == 0 ? O_RDONLY : O_RDWR, 0) != 0)
				return -ENOMEM;
			continue;
		}
		/* A source among the child's numbers would be overwritten
		 * before its own dup2: a copy above them goes instead. */
		if (src < o->nfds) {
			if ((dups[i] = fcntl(src, F_DUPFD_CLOEXEC,
			    o->nfds)) == -1)
				return -errno;
			src = dups[i];
		}
		if (posix_spawn_file_actions_adddup2(fa, src, i) != 0)
			return -ENOMEM;
	}
	if (posix_spawn_file_actions_addclosefrom_np(fa, o->nfds) != 0)
		return -ENOMEM;
	if (o->cwd != NULL &&
	    posix_spawn_file_actions_addchdir_np(fa, o->cwd) != 0)
		return -ENOMEM;
	return 0;
}

/*
 * A file execve() refused as no program (ENOEXEC): /bin/sh runs it, as
 * execvp() would, with /bin/sh, path, argv[1]... (argv[0] gives way):
 * spawn_sh_argc() entries, the NULL included, that spawn_sh_fill() sets.
 */
static size_t
spawn_sh_argc(char *const *argv)
{
	size_t	n;

	for (n = 0; argv[n] != NULL; n++)
		;
	return (n > 0 ? n : 1) + 2;
}

static void
spawn_sh_fill(char **dst, const char *path, char *const *argv)
{
	size_t	i;

	dst[0] = "/bin/sh";
	dst[1] = (char *)path;
	for (i = 1; argv[0] != NULL && argv[i] != NULL; i++)
		dst[i + 1] = argv[i];
	dst[i + 1] = NULL;
}

static int
spawn_sh(int *pid, const char *path, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *at, const struct spawn_opts *o)
{
	char	**argv;
	int	  r;

	argv = clm_calloc(spawn_sh_argc(o->argv), sizeof *argv);
	spawn_sh_fill(argv, path, o->argv);
	r = posix_spawn(pid, "/bin/sh", fa, at, argv, o->env);
	free(argv);
	return r;
}

/* posix_spawn(): the kernel copies clmd's whole table of fds for the child,
 * which closes them at exec. */
static int
spawn_posix(const struct spawn_opts *o, const char *path, int *pid)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 set;
	int				*dups, r, i;
	short				 flags;

	dups = clm_calloc((size_t)o->nfds, sizeof *dups);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (o->setsid)
		flags |= POSIX_SPAWN_SETSID;
	posix_spawnattr_setflags(&at, flags);
	sigemptyset(&set);
	posix_spawnattr_setsigmask(&at, &set);
	sigfillset(&set);
	posix_spawnattr_setsigdefault(&at, &set);
	if ((r = spawn_actions(&fa, o, dups)) == 0) {
		r = -posix_spawn(pid, path, &fa, &at, o->argv, o->env);
		if (r == -ENOEXEC)
			r = -spawn_sh(pid, path, &fa, &at, o);
	}
	for (i = 0; i < o->nfds; i++) {
		if (dups[i] != -1)
			close(dups[i]);
	}
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free(dups);
	return r;
}

/*
 * The fast ways: clone(CLONE_VM | CLONE_FILES), the child sharing clmd's
 * memory and table of fds until close_range(slots_end, ~0,
 * CLOSE_RANGE_UNSHARE) gives it a table of its own holding only the fds
 * below slots_end: clmd's first few, the slots and /dev/null. The worker's
 * fds wait in a group of slots, low fds reserved by spawn_reserve() (each
 * holds /dev/null between spawns), so that nothing of clmd's thousands of
 * fds is copied nor closed for a worker.
 *
 * A group's slots are a child's from the dup3() that fills them until the
 * child has its own table; then spawn_sweep() gives them back (a pipe's
 * end held here would never see its reader's EOF).
 */
#define SPAWN_GROUPS	2

static int	slots[SPAWN_GROUPS][SPAWN_SLOTS], slots_end, devnull = -1;
static int	held[SPAWN_GROUPS];	/* slots [0, held) hold a child's */
static bool	slots_broken;	/* close_range(UNSHARE) refused: posix_spawn */
static struct nametab	*started;	/* programs that exec'd the way
					   that waits (each child had a
					   table of its own) */

/* Give group g's slots back. */
static void
slots_release(int g)
{
	int	k;

	for (k = 0; k < held[g]; k++)
		(void)dup3(devnull, slots[g][k], O_CLOEXEC);
	held[g] = 0;
}

/* Fill group g's slots with the child's fds (-1: /dev/null there). */
static int
slots_fill(int g, const struct spawn_opts *o)
{
	int	k;

	held[g] = o->nfds;
	for (k = 0; k < o->nfds; k++) {
		if (o->fds[k] != -1 &&
		    dup3(o->fds[k], slots[g][k], O_CLOEXEC) == -1)
			return -errno;
	}
	return 0;
}

/*
 * The way that waits: CLONE_VFORK, clmd sleeps until the child has
 * exec'd (or failed: why is in c->err), the child on a static stack.
 * Group 0's slots.
 */
struct child {
	const struct spawn_opts	*o;
	const char		*path;
	char		       **sh_argv;	/* ENOEXEC: /bin/sh path ... */
	int			 err;		/* why the child failed */
	bool			 unshared;	/* it had a table of its own */
};

#define SPAWN_STACK	(64 * 1024)
static char	spawn_stack[SPAWN_STACK] __attribute__((aligned(64)));

/* The child, on spawn_stack, in clmd's memory: system calls only. */
__attribute__((no_sanitize("address", "undefined")))
static int
spawn_child(void *arg)
{
	struct child		*c = arg;
	const struct spawn_opts	*o = c->o;
	struct sigaction	 sa;
	sigset_t		 none;
	int			 tmp[SPAWN_SLOTS], i, hi;

	/* clmd's handlers are not the worker's (signals are blocked). The
	 * standard signals, as uv_spawn() did: clmd handles no real-time
	 * one, and each is a system call while clmd waits. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (i = 1; i < 32; i++) {
		if (i != SIGKILL && i != SIGSTOP)
			(void)sigaction(i, &sa, NULL);
	}
	if (o->setsid && setsid() == -1)
		goto fail;
	if (syscall(SYS_close_range, (unsigned)slots_end, ~0U,
	    CLOSE_RANGE_UNSHARE) == -1)
		goto fail;
	c->unshared = true;
	/* Its own table now: sources above every target, then in place. */
	hi = o->nfds > slots_end ? o->nfds : slots_end;
	for (i = 0; i < o->nfds; i++) {
		if ((tmp[i] = fcntl(o->fds[i] == -1 ? devnull : slots[0][i],
		    F_DUPFD, hi)) == -1)
			goto fail;
	}
	for (i = 0; i < o->nfds; i++) {
		if (dup2(tmp[i], i) == -1)
			goto fail;
	}
	if (syscall(SYS_close_range, (unsigned)o->nfds, ~0U, 0) == -1)
		goto fail;
	if (o->cwd != NULL && chdir(o->cwd) == -1)
		goto fail;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(c->path, o->argv, o->env);
	if (errno == ENOEXEC)
		execve("/bin/sh", c->sh_argv, o->env);
fail:
	c->err = errno;
	_exit(127);
}

static bool	group_wait(int);

static int
spawn_clone(const struct spawn_opts *o, const char *path, int *pid)
{
	struct child	c;
	sigset_t	all, old;
	int		r;

	memset(&c, 0, sizeof c);
	c.o = o;
	c.path = path;
	c.sh_argv = clm_calloc(spawn_sh_argc(o->argv), sizeof *c.sh_argv);
	spawn_sh_fill(c.sh_argv, path, o->argv);
	if (!group_wait(0)) {
		free(c.sh_argv);
		return 1;	/* a child stopped before its execve holds it */
	}
	if ((r = slots_fill(0, o)) == 0) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		*pid = clone(spawn_child, spawn_stack + SPAWN_STACK,
		    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &c);
		if (*pid == -1)
			r = -errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	slots_release(0);
	if (r == 0 && c.err != 0) {
		(void)waitpid(*pid, NULL, 0);
		r = -c.err;
		/* A kernel before 5.9 (close_range) or without its UNSHARE:
		 * the portable way from now on. */
		if (!c.unshared)
			slots_broken = true;
	}
	if (r == 0) {
		if (started == NULL)
			started = nametab_new();
		nametab_put(started, path, started);
	}
	free(c.sh_argv);
	return r;
}

/*
 * The way that does not wait, on x86-64: the same clone without
 * CLONE_VFORK, so that clmd goes on while the child reaches its execve
 * (a spawn was mostly that wait: the child waiting for a core, then its
 * execve, while clmd's core idled). The child runs beside clmd in its
 * memory, so it touches nothing clmd may change: it works from a block of
 * its own (a copy of path, argv, env and cwd; its stack at the end), with
 * a group of slots of its own, and makes raw system calls (a libc wrapper
 * would write errno into clmd's thread). The kernel clears the block's
 * ctid at the child's execve or exit (CLONE_CHILD_CLEARTID): the block and
 * its group are free again.
 *
 * Only a program that has started once the way that waits starts this
 * way (what its execve could refuse, a missing #! interpreter, was said
 * then, at once), in a cwd that exists and may be entered (checked); so do
 * arguments that fit a block (E2BIG is said the way that waits). What
 * fails later (the file changed) is a worker that says why on its stderr
 * and exits with 127.
 */
#if defined(__x86_64__)
#include <linux/futex.h>
#include <sys/mman.h>

#define BLOCK_SIZE	(512 * 1024)	/* the copies, then the stack */
#define BLOCK_STACK	(64 * 1024)
#define BLOCK_ARG_MAX	(128 * 1024)	/* MAX_ARG_STRLEN: one string */

struct block {
	volatile int	 ctid;		/* != 0: a child uses the block */
	volatile int	 stage;		/* 1: its own fds, -1: failed */
	int		 nfds;
	int		 src[SPAWN_SLOTS];	/* its fds wait there */
	int		 hi;		/* above every fd of its own */
	bool		 setsid;
	char		*path;
	char		*cwd;
	char		*said;		/* "clm: cannot start PROG: " */
	char		*where;		/* " (in CWD)\n" */
	char	       **argv;
	char	       **env;
	char	       **sh_argv;
	char		 data[];
};

static struct block	*blocks[SPAWN_GROUPS];

__attribute__((always_inline, no_sanitize("address", "undefined")))
static inline long
raw_sc(long n, long a1, long a2, long a3, long a4)
{
	register long	r10 __asm__("r10") = a4;
	long		ret;

	__asm__ volatile ("syscall" : "=a"(ret) : "a"(n), "D"(a1), "S"(a2),
	    "d"(a3), "r"(r10) : "rcx", "r11", "memory");
	return ret;
}

struct k_sigaction {
	void		(*handler)(int);
	unsigned long	 flags;
	void		(*restorer)(void);
	unsigned long	 mask;
};

/* What uv_strerror() says, for what a changed file can make an execve or
 * a chdir refuse (the child cannot call libc). */
static const struct {
	int		 err;
	const char	*text;
} block_errors[] = {
	{ ENOENT, "no such file or directory" },
	{ EACCES, "permission denied" },
	{ ENOEXEC, "exec format error" },
	{ ENOTDIR, "not a directory" },
	{ ETXTBSY, "text file is busy" },
	{ E2BIG, "argument list too long" },
	{ ELOOP, "too many symbolic links encountered" },
	{ EISDIR, "illegal operation on a directory" },
	{ ENOMEM, "not enough memory" },
	{ EPERM, "operation not permitted" },
	{ 0, "cannot exec" },
};

__attribute__((always_inline, no_sanitize("address", "undefined")))
static inline void
block_say(const char *s)
{
	long	n;

	for (n = 0; s[n] != '\0'; n++)
		;
	(void)raw_sc(SYS_write, 2, (long)s, n, 0);
}

/* The child gives up: with its fds in place, it says why on its stderr
 * (the worker's error log), as the way that waits has clmd say. */
__attribute__((no_sanitize("address", "undefined"), noinline))
static void
block_fail(struct block *b, long r, bool say)
{
	int	i;

	__atomic_store_n(&b->stage, -1, __ATOMIC_RELEASE);
	if (say) {
		for (i = 0; block_errors[i].err != 0 &&
		    block_errors[i].err != (int)-r; i++)
			;
		block_say(b->said);
		block_say(block_errors[i].text);
		block_say(b->where);
	}
	raw_sc(SYS_exit, 127, 0, 0, 0);
}

/* The child, on its block's stack: raw system calls, its block only. */
__attribute__((no_sanitize("address", "undefined")))
static int
block_child(void *arg)
{
	static const struct k_sigaction	sa = { SIG_DFL, 0, NULL, 0 };
	struct block		*b = arg;
	unsigned long		 none = 0;
	long			 r, tmp[SPAWN_SLOTS];
	int			 i;

	for (i = 1; i < 32; i++) {
		if (i != SIGKILL && i != SIGSTOP)
			(void)raw_sc(SYS_rt_sigaction, i, (long)&sa, 0,
			    sizeof sa.mask);
	}
	if (b->setsid && (r = raw_sc(SYS_setsid, 0, 0, 0, 0)) < 0)
		block_fail(b, r, false);
	if ((r = raw_sc(SYS_close_range, slots_end, ~0U,
	    CLOSE_RANGE_UNSHARE, 0)) < 0)
		block_fail(b, r, false);
	for (i = 0; i < b->nfds; i++) {
		if ((tmp[i] = raw_sc(SYS_fcntl, b->src[i], F_DUPFD, b->hi,
		    0)) < 0)
			block_fail(b, tmp[i], false);
	}
	/* Its fds are its own: clmd may have the slots back. */
	__atomic_store_n(&b->stage, 1, __ATOMIC_RELEASE);
	for (i = 0; i < b->nfds; i++) {
		if ((r = raw_sc(SYS_dup2, tmp[i], i, 0, 0)) < 0)
			block_fail(b, r, false);
	}
	if ((r = raw_sc(SYS_close_range, b->nfds, ~0U, 0, 0)) < 0)
		block_fail(b, r, true);
	if (b->cwd != NULL && (r = raw_sc(SYS_chdir, (long)b->cwd, 0, 0,
	    0)) < 0)
		block_fail(b, r, true);
	raw_sc(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, sizeof none);
	r = raw_sc(SYS_execve, (long)b->path, (long)b->argv, (long)b->env, 0);
	if (r == -ENOEXEC)
		r = raw_sc(SYS_execve, (long)"/bin/sh", (long)b->sh_argv,
		    (long)b->env, 0);
	block_fail(b, r, true);
	return 0;
}

static bool
block_busy(int g)
{
	return blocks[g] != NULL &&
	    __atomic_load_n(&blocks[g]->ctid, __ATOMIC_ACQUIRE) != 0;
}

/* Until group g's child has left its block (a second at most: a child
 * stopped before its execve holds it): true when it has. */
static bool
group_wait(int g)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		v, n;

	for (n = 0; blocks[g] != NULL && (v = __atomic_load_n(&blocks[g]->ctid,
	    __ATOMIC_ACQUIRE)) != 0; n++) {
		if (n == 100)
			return false;
		(void)syscall(SYS_futex, &blocks[g]->ctid, FUTEX_WAIT, v, &ts,
		    NULL, 0);
	}
	if (held[g] > 0)
		slots_release(g);
	return true;
}

/* Copy a string into the block at *at; NULL if it does not fit. */
static char *
block_str(struct block *b, size_t *at, size_t cap, const char *str)
{
	size_t	n = strlen(str) + 1;
	char	*d;

	if (n > BLOCK_ARG_MAX || *at + n > cap)
		return NULL;
	d = b->data + *at;
	memcpy(d, str, n);
	*at += n;
	return d;
}

/* A copy of v (NULL-terminated) after `extra` entries left for the
 * caller; NULL if it does not fit. */
static char **
block_strv(struct block *b, size_t *at, size_t cap, char *const *v,
    size_t extra)
{
	char	**d;
	size_t	  n, i;

	for (n = 0; v != NULL && v[n] != NULL; n++)
		;
	*at = (*at + sizeof(char *) - 1) & ~(sizeof(char *) - 1);
	if (*at + (n + extra + 1) * sizeof *d > cap)
		return NULL;
	d = (char **)(void *)(b->data + *at);
	*at += (n + extra + 1) * sizeof *d;
	for (i = 0; i < n; i++) {
		if ((d[extra + i] = block_str(b, at, cap, v[i])) == NULL)
			return NULL;
	}
	d[extra + n] = NULL;
	return d;
}

/* A group whose block is free (waiting for the oldest child's execve
 * when none is), or -1. */
static int
group_take(void)
{
	static int	next;
	int		i, g;

	for (i = 0; i < SPAWN_GROUPS; i++) {
		g = (next + i) % SPAWN_GROUPS;
		if (blocks[g] == NULL) {
			blocks[g] = mmap(NULL, BLOCK_SIZE, PROT_READ |
			    PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_NORESERVE, -1, 0);
			if (blocks[g] == MAP_FAILED) {
				blocks[g] = NULL;
				return -1;
			}
		}
		if (!block_busy(g))
			break;
	}
	if (i == SPAWN_GROUPS)
		g = next;
	if (!group_wait(g))
		return -1;
	next = (g + 1) % SPAWN_GROUPS;
	return g;
}

/* The cwd exists and may be entered. */
static int
spawn_check_cwd(const char *cwd)
{
	struct stat	st;

	if (cwd == NULL)
		return 0;
	if (stat(cwd, &st) == -1)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (access(cwd, X_OK) == -1)
		return -errno;
	return 0;
}

/* 0 and *pid, 1: not this way (take the one that waits), or a negative
 * errno. */
static int
spawn_nowait(const struct spawn_opts *o, const char *path, int *pid)
{
	struct block	*b;
	sigset_t	 all, old;
	size_t		 at = 0, cap = BLOCK_SIZE - BLOCK_STACK - sizeof *b, n;
	char		*said, *where;
	int		 r, g, k;

	/* A program that has not started yet, or one relative to a cwd
	 * of its own (checked from clmd's), goes the way that waits. */
	if (o->argv[0] == NULL || started == NULL ||
	    nametab_get(started, path) == NULL ||
	    (path[0] != '/' && o->cwd != NULL))
		return 1;
	if ((r = spawn_check_cwd(o->cwd)) != 0)
		return r;
	if ((g = group_take()) == -1)
		return 1;
	b = blocks[g];
	b->nfds = o->nfds;
	b->setsid = o->setsid;
	b->stage = 0;
	b->cwd = NULL;
	b->hi = o->nfds > slots_end ? o->nfds : slots_end;
	if ((b->path = block_str(b, &at, cap, path)) == NULL ||
	    (o->cwd != NULL &&
	    (b->cwd = block_str(b, &at, cap, o->cwd)) == NULL) ||
	    (b->argv = block_strv(b, &at, cap, o->argv, 0)) == NULL ||
	    (b->env = block_strv(b, &at, cap, o->env, 0)) == NULL)
		return 1;
	/* What the child says if its execve fails, as the way that waits
	 * has clmd say it. */
	said = clm_asprintf("clm: cannot start %s: ", o->argv[0]);
	where = clm_asprintf(" (in %s)\n", o->cwd != NULL ? o->cwd : ".");
	b->said = block_str(b, &at, cap, said);
	b->where = block_str(b, &at, cap, where);
	free(said);
	free(where);
	if (b->said == NULL || b->where == NULL)
		return 1;
	n = spawn_sh_argc(b->argv);
	at = (at + sizeof(char *) - 1) & ~(sizeof(char *) - 1);
	if (at + n * sizeof(char *) > cap)
		return 1;
	b->sh_argv = (char **)(void *)(b->data + at);
	spawn_sh_fill(b->sh_argv, b->path, b->argv);
	for (k = 0; k < o->nfds; k++)
		b->src[k] = o->fds[k] == -1 ? devnull : slots[g][k];
	if ((r = slots_fill(g, o)) != 0) {
		slots_release(g);
		return r;
	}
	b->ctid = 1;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	*pid = clone(block_child, (char *)b + BLOCK_SIZE, CLONE_VM |
	    CLONE_FILES | CLONE_CHILD_CLEARTID | SIGCHLD, b, NULL, NULL,
	    &b->ctid);
	if (*pid == -1) {
		r = -errno;
		b->ctid = 0;
		slots_release(g);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* Give back the slots of the children that have their own fds. */
static bool
spawn_sweep(void)
{
	bool	left = false;
	int	g;

	for (g = 0; g < SPAWN_GROUPS; g++) {
		if (held[g] == 0)
			continue;
		if (!block_busy(g) ||
		    __atomic_load_n(&blocks[g]->stage, __ATOMIC_ACQUIRE) != 0)
			slots_release(g);
		else
			left = true;
	}
	return left;
}
#else
static bool
group_wait(int g)
{
	if (held[g] > 0)
		slots_release(g);
	return true;
}

static int
spawn_nowait(const struct spawn_opts *o, const char *path, int *pid)
{
	(void)o;
	(void)path;
	(void)pid;
	return 1;
}

static bool
spawn_sweep(void)
{
	return false;
}
#endif

/* While a child may hold slots: a sweep every millisecond. */
static uv_timer_t	*sweep_timer;

static void
sweep_cb(uv_timer_t *t)
{
	if (!spawn_sweep())
		uv_timer_stop(t);
}

void
spawn_reserve(void)
{
	int	g, i;

	if (devnull != -1 || SPAWN_UNDER_VALGRIND())
		return;
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return;
	slots_end = devnull + 1;
	for (g = 0; g < SPAWN_GROUPS; g++) {
		for (i = 0; i < SPAWN_SLOTS; i++) {
			if ((slots[g][i] = fcntl(devnull, F_DUPFD_CLOEXEC,
			    0)) == -1)
				goto fail;
			if (slots[g][i] >= slots_end)
				slots_end = slots[g][i] + 1;
		}
	}
	return;
fail:
	while (i-- > 0)
		close(slots[g][i]);
	while (g-- > 0) {
		for (i = 0; i < SPAWN_SLOTS; i++)
			close(slots[g][i]);
	}
	close(devnull);
	devnull = -1;
}

void
spawn_watch(uv_loop_t *loop)
{
	if (sweep_timer != NULL || devnull == -1)
		return;
	sweep_timer = clm_calloc(1, sizeof *sweep_timer);
	uv_timer_init(loop, sweep_timer);
}

static void
sweep_closed(uv_handle_t *h)
{
	free(h);
}

void
spawn_unwatch(void)
{
	if (sweep_timer == NULL)
		return;
	(void)spawn_sweep();
	uv_close((uv_handle_t *)sweep_timer, sweep_closed);
	sweep_timer = NULL;
}

bool
spawn_reserved(void)
{
	return devnull != -1 && !slots_broken;
}

int
spawn_start(const struct spawn_opts *o, int *pid)
{
	char	*path = NULL;
	int	 r = 1, i, fl;

	if ((r = spawn_lookup(o->file, o->env, &path)) != 0)
		return r;
	/* stdin, stdout and stderr blocking, as uv_spawn() made them (the
	 * open file is shared with clmd's end), whichever way starts it. */
	for (i = 0; i < o->nfds && i <= 2; i++) {
		if (o->fds[i] != -1 && (fl = fcntl(o->fds[i], F_GETFL)) != -1 &&
		    (fl & O_NONBLOCK) != 0)
			(void)fcntl(o->fds[i], F_SETFL, fl & ~O_NONBLOCK);
	}
	if (devnull == -1 || slots_broken || o->nfds > SPAWN_SLOTS) {
		r = spawn_posix(o, path, pid);
		goto out;
	}
	(void)spawn_sweep();
	/* The way that waits while no sweep can give slots back, and for a
	 * program not started that way yet (spawn_nowait()). */
	r = sweep_timer != NULL ? spawn_nowait(o, path, pid) : 1;
	if (r == 0 && !uv_is_active((uv_handle_t *)sweep_timer))
		uv_timer_start(sweep_timer, sweep_cb, 1, 1);
	if (r == 1)
		r = spawn_clone(o, path, pid);
	if (r == 1 || (r != 0 && slots_broken))
		r = spawn_posix(o, path, pid);
out:
	free(path);
	return r;
}
