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

/* A file execve() refused as no program (ENOEXEC): /bin/sh runs it, as
 * execvp() would. */
static int
spawn_sh(int *pid, const char *path, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *at, const struct spawn_opts *o)
{
	char	**argv;
	size_t	  n, i;
	int	  r;

	for (n = 0; o->argv[n] != NULL; n++)
		;
	argv = clm_calloc(n + 2, sizeof *argv);
	argv[0] = "/bin/sh";
	argv[1] = (char *)path;
	for (i = 1; i < n; i++)
		argv[i + 1] = o->argv[i];
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
 * The fast way: clone(CLONE_VM | CLONE_VFORK | CLONE_FILES). The child
 * shares clmd's memory and table of fds until close_range(slots_end, ~0,
 * CLOSE_RANGE_UNSHARE) gives it a table of its own holding only the fds
 * below slots_end: clmd's first few, the slots and /dev/null. The worker's
 * fds wait in the slots, low fds reserved by spawn_reserve() (each holds
 * /dev/null between spawns), so that nothing of clmd's thousands of fds is
 * copied nor closed for a worker.
 */
static int	slots[SPAWN_SLOTS], slots_end, devnull = -1;
static bool	slots_broken;	/* close_range(UNSHARE) refused: posix_spawn */

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
		if ((tmp[i] = fcntl(o->fds[i] == -1 ? devnull : slots[i],
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

static int
spawn_clone(const struct spawn_opts *o, const char *path, int *pid)
{
	struct child	c;
	sigset_t	all, old;
	size_t		n, i;
	int		r = 0, k;

	memset(&c, 0, sizeof c);
	c.o = o;
	c.path = path;
	for (n = 0; o->argv[n] != NULL; n++)
		;
	c.sh_argv = clm_calloc(n + 2, sizeof *c.sh_argv);
	c.sh_argv[0] = "/bin/sh";
	c.sh_argv[1] = (char *)path;
	for (i = 1; i < n; i++)
		c.sh_argv[i + 1] = o->argv[i];
	for (k = 0; k < o->nfds && r == 0; k++) {
		if (o->fds[k] == -1)
			continue;
		if (dup3(o->fds[k], slots[k], O_CLOEXEC) == -1)
			r = -errno;
	}
	if (r == 0) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		*pid = clone(spawn_child, spawn_stack + SPAWN_STACK,
		    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &c);
		if (*pid == -1)
			r = -errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	/* The slots let go of the worker's fds (a pipe's end held here
	 * would never see its reader's EOF). */
	for (k = 0; k < o->nfds; k++) {
		if (o->fds[k] != -1)
			(void)dup3(devnull, slots[k], O_CLOEXEC);
	}
	if (r == 0 && c.err != 0) {
		(void)waitpid(*pid, NULL, 0);
		r = -c.err;
		/* A kernel before 5.9 (close_range) or without its UNSHARE:
		 * the portable way from now on. */
		if (!c.unshared)
			slots_broken = true;
	}
	free(c.sh_argv);
	return r;
}

void
spawn_reserve(void)
{
	int	i;

	if (devnull != -1 || SPAWN_UNDER_VALGRIND())
		return;
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return;
	slots_end = devnull + 1;
	for (i = 0; i < SPAWN_SLOTS; i++) {
		if ((slots[i] = fcntl(devnull, F_DUPFD_CLOEXEC, 0)) == -1) {
			while (i-- > 0)
				close(slots[i]);
			close(devnull);
			devnull = -1;
			return;
		}
		if (slots[i] >= slots_end)
			slots_end = slots[i] + 1;
	}
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
	int	 r, i, fl;

	if ((r = spawn_lookup(o->file, o->env, &path)) != 0)
		return r;
	/* stdin, stdout and stderr blocking, as uv_spawn() made them (the
	 * open file is shared with clmd's end), whichever way starts it. */
	for (i = 0; i < o->nfds && i <= 2; i++) {
		if (o->fds[i] != -1 && (fl = fcntl(o->fds[i], F_GETFL)) != -1 &&
		    (fl & O_NONBLOCK) != 0)
			(void)fcntl(o->fds[i], F_SETFL, fl & ~O_NONBLOCK);
	}
	if (devnull == -1 || slots_broken || o->nfds > SPAWN_SLOTS ||
	    ((r = spawn_clone(o, path, pid)) != 0 && slots_broken))
		r = spawn_posix(o, path, pid);
	free(path);
	return r;
}
