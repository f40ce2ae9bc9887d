/*
 * spawn_start(): what a worker gets from it is what uv_spawn() gave one
 * (see spawn.h): its fds in place and no others, its cwd, a session of its
 * own, signals at their defaults, the program on its own PATH.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/spawn.h"
#include "unit.h"

static char	*read_to_eof(uv_loop_t *, int, int);
/* With spawn_watch(): the loop that gives the slots back (run while run()
 * reads, or the child's stdout would not end). */
static uv_loop_t	*run_loop;

/* A worker's options: argv with env and fds in cwd, a session of its own. */
static void
opts_of(struct spawn_opts *o, char *const *argv, char *const *env,
    const char *cwd, const int *fds, int nfds)
{
	memset(o, 0, sizeof *o);
	o->file = argv[0];
	o->argv = argv;
	o->env = env;
	o->cwd = cwd;
	o->fds = fds;
	o->nfds = nfds;
	o->setsid = true;
}

/* Run argv with fds and env in cwd; its stdout (fd 1), its exit status. */
static char *
run(char *const *argv, char *const *env, const char *cwd, int *fds,
    int nfds, int *status)
{
	struct spawn_opts	 o;
	static char		 buf[4096];
	size_t			 off = 0;
	ssize_t			 n;
	int			 p[2], pid;

	ASSERT_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	fds[1] = p[1];
	opts_of(&o, argv, env, cwd, fds, nfds);
	ASSERT_EQ_INT(spawn_start(&o, &pid), 0);
	close(p[1]);
	if (run_loop != NULL) {
		char	*out;

		ASSERT_EQ_INT(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
		ASSERT_NOT_NULL(out = read_to_eof(run_loop, p[0], 10000));
		close(p[0]);
		ASSERT_EQ_INT(waitpid(pid, status, 0), pid);
		return out;
	}
	while (off < sizeof buf - 1 &&
	    (n = read(p[0], buf + off, sizeof buf - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	close(p[0]);
	ASSERT_EQ_INT(waitpid(pid, status, 0), pid);
	return buf;
}

/* The sources at fds lo and lo + 1 (6: among the child's own numbers). */
static void
fds_cwd_session_signals(int lo)
{
	char	*argv[] = { "/bin/sh", "-c",
		"pwd; cat <&6; cat <&7; ls /proc/$$/fd | tr '\\n' ' '; echo;"
		"cut -d' ' -f6 /proc/$$/stat; echo $$;"
		/* read by sh itself: it blocks signals while it forks */
		"while read -r k v; do case $k in SigBlk:|SigIgn:)"
		" printf '%s\\t%s\\n' $k $v;; esac; done </proc/$$/status",
		NULL };
	char	*env[] = { "PATH=/bin:/usr/bin", NULL };
	char	*out, *p, *tok, blk[32], ign[32];
	int	 a[2], b[2], fds[8], i, status, sid, pid;
	sigset_t set;

	/* Two sources, crossed: lo goes to 7 and lo + 1 to 6; an fd left
	 * open without FD_CLOEXEC (50) stays behind. */
	ASSERT_EQ_INT(pipe(a), 0);
	ASSERT_EQ_INT(pipe(b), 0);
	/* Out of the way of lo and lo + 1 (ctest leaves other fds open:
	 * the pipes may be 6 and 7 themselves). */
	for (i = 0; i < 2; i++) {
		int	*fd = i == 0 ? a : b, k, moved;

		for (k = 0; k < 2; k++) {
			ASSERT_TRUE((moved = fcntl(fd[k], F_DUPFD_CLOEXEC,
			    60)) >= 60);
			close(fd[k]);
			fd[k] = moved;
		}
	}
	ASSERT_EQ_INT(write(a[1], "seven\n", 6), 6);
	ASSERT_EQ_INT(write(b[1], "six\n", 4), 4);
	close(a[1]);
	close(b[1]);
	ASSERT_EQ_INT(dup3(a[0], lo, O_CLOEXEC), lo);
	ASSERT_EQ_INT(dup3(b[0], lo + 1, O_CLOEXEC), lo + 1);
	ASSERT_EQ_INT(dup2(a[0], 50), 50);
	close(a[0]);
	close(b[0]);
	for (i = 0; i < 8; i++)
		fds[i] = -1;
	fds[2] = 2;
	fds[6] = lo + 1;
	fds[7] = lo;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	out = run(argv, env, "/tmp", fds, 8, &status);
	ASSERT_EQ_INT(status, 0);
	if (strncmp(out, "/tmp\nsix\nseven\n", 15) != 0 ||
	    (p = strchr(out + 15, '\n')) == NULL ||
	    sscanf(p + 1, "%d\n%d\nSigBlk:\t%31s\nSigIgn:\t%31s", &sid, &pid,
	    blk, ign) != 4)
		unit_fail(__FILE__, __LINE__, "the child said: %s", out);
	/* Its fds: 0 to 7, none of clmd's others (lo, 50, the pipes at 60
	 * and up); sh's own pipe for ls | tr may show as 8 or 9. */
	*p = '\0';
	for (i = 0, tok = strtok(out + 15, " "); tok != NULL;
	    tok = strtok(NULL, " ")) {
		if (atoi(tok) >= 20)
			unit_fail(__FILE__, __LINE__, "fd %s leaked into the "
			    "child", tok);
		if (atoi(tok) < 8)
			i++;
	}
	ASSERT_EQ_INT(i, 8);
	ASSERT_EQ_INT(sid, pid);	/* a session of its own */
	ASSERT_EQ_STR(blk, "0000000000000000");
	ASSERT_EQ_INT(strtoull(ign, NULL, 16) & (1ULL << (SIGPIPE - 1)), 0);
	close(lo);
	close(lo + 1);
	close(50);
}

/* posix_spawn(): no fds reserved. */
TEST(spawn_gives_its_fds_cwd_session_and_default_signals)
{
	fds_cwd_session_signals(6);
}

/* clone(CLONE_FILES) and the reserved slots: the same worker. */
TEST(spawn_reserved_gives_its_fds_cwd_session_and_default_signals)
{
	spawn_reserve();	/* fds 3 to 19 or so */
	fds_cwd_session_signals(40);
	ASSERT_TRUE(spawn_reserved());	/* it went the fast way */
}


TEST(spawn_finds_the_program_on_its_own_path)
{
	char	 dir[] = "/tmp/clm-spawn.XXXXXX", path[300], *out;
	char	*argv[] = { "clm-spawn-prog", "arg", NULL };
	char	*env[] = { NULL, NULL };
	int	 fds[3] = { -1, -1, 2 }, status;

	ASSERT_NOT_NULL(mkdtemp(dir));
	env[0] = path;
	snprintf(path, sizeof path, "PATH=/nonexistent::%s", dir);
	ASSERT_EQ_INT(chdir("/"), 0);
	snprintf(path + 200, 100, "%s/clm-spawn-prog", dir);
	/* No #!: /bin/sh runs it, as execvp would. */
	unit_write_file(path + 200, "echo ran \"$1\"\n", 0755);
	out = run(argv, env, NULL, fds, 3, &status);
	ASSERT_EQ_INT(status, 0);
	ASSERT_EQ_STR(out, "ran arg\n");
	unlink(path + 200);
	rmdir(dir);
}

TEST(spawn_says_why_a_program_cannot_start)
{
	struct spawn_opts	 o;
	char			*argv[] = { "/bin/true", NULL };
	char			*none[] = { "clm-no-such-program", NULL };
	char			*env[] = { "PATH=/bin", NULL };
	int			 fds[3] = { -1, -1, -1 }, pid = 0;

	memset(&o, 0, sizeof o);
	o.argv = argv;
	o.env = env;
	o.fds = fds;
	o.nfds = 3;
	o.file = argv[0];
	o.cwd = "/nonexistent/clm";
	ASSERT_EQ_INT(spawn_start(&o, &pid), -ENOENT);
	o.cwd = NULL;
	o.file = none[0];
	o.argv = none;
	ASSERT_EQ_INT(spawn_start(&o, &pid), -ENOENT);
	o.file = "/etc/passwd";		/* no x bit */
	ASSERT_EQ_INT(spawn_start(&o, &pid), -EACCES);
}

TEST(spawn_reserved_finds_the_program_and_says_why_not)
{
	spawn_reserve();
	unit_test_spawn_finds_the_program_on_its_own_path();
	unit_test_spawn_says_why_a_program_cannot_start();
}

int
unit_spawn_true(void)
{
	struct spawn_opts	 o;
	char			*argv[] = { "/bin/true", NULL };
	char			*env[] = { NULL };
	int			 fds[3] = { -1, -1, -1 }, pid;

	memset(&o, 0, sizeof o);
	o.file = argv[0];
	o.argv = argv;
	o.env = env;
	o.fds = fds;
	o.nfds = 3;
	ASSERT_EQ_INT(spawn_start(&o, &pid), 0);
	return pid;
}

/* CPU (this process and its reaped children) of n spawns of /bin/true. */
static double
spawn_cost_ms(int n)
{
	struct rusage	self0, kids0, self1, kids1;
	int		i, pid, status;

	getrusage(RUSAGE_SELF, &self0);
	getrusage(RUSAGE_CHILDREN, &kids0);
	for (i = 0; i < n; i++) {
		pid = unit_spawn_true();
		ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	}
	getrusage(RUSAGE_SELF, &self1);
	getrusage(RUSAGE_CHILDREN, &kids1);
#define MS(r)	((r).ru_utime.tv_sec * 1e3 + (r).ru_utime.tv_usec / 1e3 + \
	    (r).ru_stime.tv_sec * 1e3 + (r).ru_stime.tv_usec / 1e3)
	return MS(self1) - MS(self0) + MS(kids1) - MS(kids0);
#undef MS
}

/*
 * A spawn costs the same whatever clmd holds: with 15,000 fds open (what
 * thousands of workers' pipes and channels make), a fork or posix_spawn
 * copies them all and the child closes them all at exec; the reserved
 * way neither.
 */
TEST(spawn_reserved_costs_the_same_with_thousands_of_fds)
{
	struct rlimit	rl;
	double		few, many;
	int		i, nfds = 15000;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)nfds + 100) {
		fprintf(stderr, "skipped: %llu open files at most\n",
		    (unsigned long long)rl.rlim_cur);
		return;
	}
	spawn_reserve();
	ASSERT_TRUE(spawn_reserved());
	few = spawn_cost_ms(200);
	for (i = 0; i < nfds; i++)
		ASSERT_TRUE(fcntl(2, F_DUPFD_CLOEXEC, 0) != -1);
	many = spawn_cost_ms(200);
	fprintf(stderr, "200 spawns: %.1f ms of CPU, %.1f ms with %d fds "
	    "open\n", few, many, nfds);
	/* posix_spawn: 3.5 times as much here. */
	if (many >= few * 2 + 50)
		unit_fail(__FILE__, __LINE__, "200 spawns cost %.1f ms of CPU "
		    "with %d fds open, %.1f ms without", many, nfds, few);
}

/* ---- the way that does not wait (x86-64) ---- */

/* spawn_start() of argv, its stdout (and its stderr when err is not NULL)
 * a pipe: the read end (non-blocking). */
static int
spawn_piped2(char *const *argv, const char *cwd, int *pid, int *err)
{
	struct spawn_opts	 o;
	char			*env[] = { "PATH=/bin:/usr/bin", NULL };
	int			 p[2], e[2] = { -1, -1 }, fds[3] = { -1, -1, 2 };
	int			 r;

	ASSERT_EQ_INT(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	fds[1] = p[1];
	if (err != NULL) {
		ASSERT_EQ_INT(pipe2(e, O_CLOEXEC | O_NONBLOCK), 0);
		fds[2] = e[1];
		*err = e[0];
	}
	opts_of(&o, argv, env, cwd, fds, 3);
	r = spawn_start(&o, pid);
	close(p[1]);
	if (e[1] != -1)
		close(e[1]);
	if (r != 0) {
		close(p[0]);
		if (err != NULL)
			close(*err);
		return r;
	}
	return p[0];
}

static int
spawn_piped(char *const *argv, const char *cwd, int *pid)
{
	return spawn_piped2(argv, cwd, pid, NULL);
}

/* All of fd's bytes until its EOF, the loop running meanwhile (its sweep
 * gives the slots back: the last holder of the pipe's write end but the
 * child); NULL at the deadline. */
static char *
read_to_eof(uv_loop_t *loop, int fd, int deadline_ms)
{
	static char	buf[4096];
	size_t		off = 0;
	ssize_t		n;
	int		waited;

	for (waited = 0; waited < deadline_ms; waited++) {
		while ((n = read(fd, buf + off, sizeof buf - 1 - off)) > 0)
			off += (size_t)n;
		if (n == 0) {
			buf[off] = '\0';
			return buf;
		}
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	return NULL;
}

/*
 * argv went the way that does not wait: once it has exited, a slot still
 * holds its stdout's write end (no EOF) until the loop's sweep. (The way
 * that waits gives the slots back before spawn_start() returns.)
 */
static void
went_without_waiting(uv_loop_t *loop, char *const *argv)
{
	char	buf[512];
	int	fd, pid, status;

	ASSERT_TRUE((fd = spawn_piped(argv, NULL, &pid)) >= 0);
	ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	while (read(fd, buf, sizeof buf) > 0)	/* what it wrote */
		;
	ASSERT_EQ_INT(read(fd, buf, 1), -1);	/* and no EOF */
	ASSERT_EQ_INT(errno, EAGAIN);
	ASSERT_NOT_NULL(read_to_eof(loop, fd, 5000));
	close(fd);
}

/* The loop and a first start of each program (the way that waits: it
 * shows the program starts), so that the next ones do not wait. */
static void
watched(uv_loop_t *loop, char *const *argv)
{
	int	 fd, pid, status;

	ASSERT_EQ_INT(uv_loop_init(loop), 0);
	spawn_reserve();
	ASSERT_TRUE(spawn_reserved());
	spawn_watch(loop);
	ASSERT_TRUE((fd = spawn_piped(argv, NULL, &pid)) >= 0);
	ASSERT_NOT_NULL(read_to_eof(loop, fd, 5000));
	close(fd);
	ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
}

static void
unwatched(uv_loop_t *loop)
{
	spawn_unwatch();
	uv_run(loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(uv_loop_close(loop), 0);
}

#if defined(__x86_64__)
/*
 * Each child gets its own arguments, cwd and stdout, though clmd started
 * the next ones before it ran: 50 at once, each printing who it is.
 */
TEST(spawn_watched_children_each_get_their_own)
{
	uv_loop_t	 loop;
	char		*argv[] = { "/bin/sh", "-c", "exit 0", NULL };
	char		*out, want[64], cmd[64];
	int		 fd[50], pid[50], i, status;

	watched(&loop, argv);
	went_without_waiting(&loop, argv);
	for (i = 0; i < 50; i++) {
		snprintf(cmd, sizeof cmd, "echo %d $(pwd)", i);
		argv[2] = cmd;
		ASSERT_TRUE((fd[i] = spawn_piped(argv, i % 2 ? "/tmp" : "/",
		    &pid[i])) >= 0);
	}
	for (i = 0; i < 50; i++) {
		ASSERT_NOT_NULL(out = read_to_eof(&loop, fd[i], 10000));
		snprintf(want, sizeof want, "%d %s\n", i, i % 2 ? "/tmp" : "/");
		ASSERT_EQ_STR(out, want);
		close(fd[i]);
		ASSERT_EQ_INT(waitpid(pid[i], &status, 0), pid[i]);
		ASSERT_EQ_INT(status, 0);
	}
	unwatched(&loop);
}

/* The same worker as the other ways give: its fds in place and no
 * others, its cwd, a session of its own, signals at their defaults. */
TEST(spawn_watched_gives_its_fds_cwd_session_and_default_signals)
{
	uv_loop_t	 loop;
	char		*argv[] = { "/bin/sh", "-c", "exit 0", NULL };

	watched(&loop, argv);
	went_without_waiting(&loop, argv);
	run_loop = &loop;
	fds_cwd_session_signals(40);
	run_loop = NULL;
	unwatched(&loop);
}

/* A file with no #! (ENOEXEC): /bin/sh runs it, with its arguments. */
TEST(spawn_watched_runs_a_file_with_no_interpreter_line)
{
	uv_loop_t	 loop;
	char		 dir[] = "/tmp/clm-spawn.XXXXXX", prog[300], *out;
	char		*argv[] = { prog, "one", "two", NULL };
	int		 fd, pid, status;

	ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(prog, sizeof prog, "%s/prog", dir);
	unit_write_file(prog, "echo ran \"$1\" \"$2\"\n", 0755);
	watched(&loop, argv);
	went_without_waiting(&loop, argv);
	ASSERT_TRUE((fd = spawn_piped(argv, dir, &pid)) >= 0);
	ASSERT_NOT_NULL(out = read_to_eof(&loop, fd, 5000));
	ASSERT_EQ_STR(out, "ran one two\n");
	close(fd);
	ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	ASSERT_EQ_INT(status, 0);
	unlink(prog);
	rmdir(dir);
	unwatched(&loop);
}

/*
 * A program that started once and then changed (its x bit gone): the
 * child says why on its stderr, as clmd says it the way that waits, and
 * exits with 127.
 */
TEST(spawn_watched_child_says_why_its_execve_failed)
{
	uv_loop_t	 loop;
	char		 dir[] = "/tmp/clm-spawn.XXXXXX", prog[300], *out;
	char		*argv[] = { prog, NULL }, want[400];
	int		 fd, err, pid, status;

	ASSERT_NOT_NULL(mkdtemp(dir));
	snprintf(prog, sizeof prog, "%s/prog", dir);
	unit_write_file(prog, "#!/bin/sh\nexit 0\n", 0755);
	watched(&loop, argv);
	ASSERT_EQ_INT(chmod(prog, 0644), 0);
	ASSERT_TRUE((fd = spawn_piped2(argv, dir, &pid, &err)) >= 0);
	ASSERT_NOT_NULL(read_to_eof(&loop, fd, 5000));
	ASSERT_NOT_NULL(out = read_to_eof(&loop, err, 5000));
	snprintf(want, sizeof want, "clm: cannot start %s: permission "
	    "denied (in %s)\n", prog, dir);
	ASSERT_EQ_STR(out, want);
	close(fd);
	close(err);
	ASSERT_EQ_INT(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 127);
	unlink(prog);
	rmdir(dir);
	unwatched(&loop);
}

/* clmd does not wait for the child: the slot that held the pipe's write
 * end still does after the child has exited, until the loop's sweep
 * gives it back; then the timer stops. */
TEST(spawn_watched_gives_the_slots_back_on_the_loop)
{
	uv_loop_t	 loop;
	char		*argv[] = { "/bin/true", NULL };

	watched(&loop, argv);
	went_without_waiting(&loop, argv);
	ASSERT_EQ_INT(uv_run(&loop, UV_RUN_NOWAIT), 0);
	unwatched(&loop);
}
#endif

/* What the chdir would refuse is said at once, and a program not started
 * yet goes the way that waits, which says what its execve refused. */
TEST(spawn_watched_says_why_a_program_cannot_start)
{
	uv_loop_t	 loop;
	char		*argv[] = { "/bin/true", NULL };
	char		*noexec[] = { "/etc/passwd", NULL };
	char		*dir[] = { "/tmp", NULL };
	int		 pid;

	watched(&loop, argv);
	ASSERT_EQ_INT(spawn_piped(argv, "/nonexistent/clm", &pid), -ENOENT);
	ASSERT_EQ_INT(spawn_piped(argv, "/etc/passwd", &pid), -ENOTDIR);
	ASSERT_EQ_INT(spawn_piped(noexec, NULL, &pid), -EACCES);
	ASSERT_EQ_INT(spawn_piped(dir, NULL, &pid), -EACCES);
	unwatched(&loop);
}
