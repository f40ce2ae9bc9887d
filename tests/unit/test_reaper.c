/*
 * The reaper's registry of clmd's children: a child spawned through
 * reaper_spawn() is known until libuv has reaped it and the spawner's exit
 * callback ran; reaper_forget(), reaper_child() and reaper_adopt() change
 * what is known.
 * (tests/e2e/test_reaper.sh races the sweep against libuv for real.)
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/reaper.h"
#include "unit.h"

static int	exits, exit_pid;
static bool	known_in_cb;

static void
exit_cb(uv_process_t *p, int64_t status, int sig)
{
	exits++;
	exit_pid = p->pid;
	known_in_cb = reaper_knows(p->pid);
	uv_close((uv_handle_t *)p, NULL);
}

static int
spawn_true(uv_loop_t *loop, uv_process_t *p)
{
	uv_process_options_t	 opts;
	char			*argv[] = { "/bin/true", NULL };

	memset(&opts, 0, sizeof opts);
	opts.file = argv[0];
	opts.args = argv;
	opts.exit_cb = exit_cb;
	return reaper_spawn(loop, p, &opts);
}

TEST(reaper_knows_a_spawned_child_until_libuv_reaps_it)
{
	uv_loop_t	loop;
	uv_process_t	p;
	int		pid;

	exits = 0;
	uv_loop_init(&loop);
	ASSERT_EQ_INT(spawn_true(&loop, &p), 0);
	pid = p.pid;
	ASSERT_TRUE(pid > 0);
	ASSERT_TRUE(reaper_knows(pid));
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(exits, 1);	/* the spawner's callback ran */
	ASSERT_EQ_INT(exit_pid, pid);
	ASSERT_FALSE(known_in_cb);	/* forgotten before it */
	ASSERT_FALSE(reaper_knows(pid));
	ASSERT_EQ_INT(uv_loop_close(&loop), 0);
}

TEST(reaper_forgets_and_adopts)
{
	uv_process_t	p;

	memset(&p, 0, sizeof p);
	reaper_child(4242, NULL, NULL);
	ASSERT_TRUE(reaper_knows(4242));
	reaper_forget(&p);		/* not one of ours: nothing */
	ASSERT_TRUE(reaper_knows(4242));
	ASSERT_FALSE(reaper_knows(4243));
}

TEST(reaper_a_failed_spawn_is_not_registered)
{
	uv_loop_t		 loop;
	uv_process_t		 p;
	uv_process_options_t	 opts;
	char			*argv[] = { "/nonexistent/clm-test", NULL };

	uv_loop_init(&loop);
	memset(&opts, 0, sizeof opts);
	opts.file = argv[0];
	opts.args = argv;
	opts.exit_cb = exit_cb;
	ASSERT_TRUE(reaper_spawn(&loop, &p, &opts) != 0);
	uv_close((uv_handle_t *)&p, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(uv_loop_close(&loop), 0);
	ASSERT_FALSE(reaper_knows(p.pid));
}

#define BURST	600	/* more than one pass of the reaper (256) */

static int	burst_exits, burst_known;
static uv_timer_t burst_guard;

static void
burst_exited(void *arg, int pid, int wstatus)
{
	burst_exits++;
	if (reaper_knows(pid))
		burst_known++;
	if (burst_exits == BURST)
		uv_timer_stop(&burst_guard);
}

static void
burst_timeout(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/*
 * Children spawned with spawn_start() and registered with reaper_child():
 * a burst of exits (one SIGCHLD for many) is reaped at once, not one pass
 * per 5 s sweep; each is known by its pid among hundreds until the reaper
 * forgets it, before its callback.
 */
TEST(reaper_reaps_a_burst_of_spawned_children)
{
	uv_loop_t		 loop;
	int			 pid, i;
	static int		 pids[BURST];

	burst_exits = burst_known = 0;
	uv_loop_init(&loop);
	reaper_start(&loop);
	for (i = 0; i < BURST; i++) {
		pid = unit_spawn_true();
		reaper_child(pid, burst_exited, NULL);
		ASSERT_TRUE(reaper_knows(pid));
		pids[i] = pid;
	}
	/* Every one a zombie before the loop runs: their SIGCHLDs make one
	 * wake-up of the reaper. */
	for (i = 0; i < BURST; i++) {
		siginfo_t	si;

		do {
			si.si_pid = 0;
			ASSERT_EQ_INT(waitid(P_PID, (id_t)pids[i], &si,
			    WEXITED | WNOWAIT), 0);
		} while (si.si_pid == 0);
	}
	/* Well below the sweep (5 s): the burst is reaped on SIGCHLD. */
	uv_timer_init(&loop, &burst_guard);
	uv_timer_start(&burst_guard, burst_timeout, 4000, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(burst_exits, BURST);
	ASSERT_EQ_INT(burst_known, 0);
	reaper_stop();
	uv_close((uv_handle_t *)&burst_guard, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(uv_loop_close(&loop), 0);
}

static int	adopt_calls, adopt_status;

static void
adopted_exited(void *arg, int pid, int wstatus)
{
	adopt_calls++;
	adopt_status = wstatus;
	uv_stop(arg);
}

static void
adopt_guard_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/*
 * A worker adopted after clm update or a crash of clmd is checked against
 * the start time its state recorded (/proc/PID/stat field 22): a process
 * of that pid that started at another time is another one, and the worker
 * has ended (reported from the loop, status unknown); the right one is
 * watched until it ends (ours: reaped, with its status).
 */
TEST(reaper_adopt_checks_the_start_time)
{
	uv_loop_t	loop;
	uv_timer_t	guard;
	uint64_t	start;
	int		pid;

	uv_loop_init(&loop);
	reaper_start(&loop);
	uv_timer_init(&loop, &guard);
	if ((pid = fork()) == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	ASSERT_TRUE(pid > 0);
	start = reaper_start_time(pid);
	ASSERT_TRUE(start > 0);

	adopt_calls = 0;
	reaper_adopt(pid, start + 1, adopted_exited, &loop);
	ASSERT_EQ_INT(adopt_calls, 0);		/* from the loop, not here */
	uv_timer_start(&guard, adopt_guard_cb, 4000, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(adopt_calls, 1);
	ASSERT_EQ_INT(adopt_status, REAPER_STATUS_UNKNOWN);
	ASSERT_FALSE(reaper_knows(pid));

	adopt_calls = 0;
	reaper_adopt(pid, start, adopted_exited, &loop);
	uv_timer_start(&guard, adopt_guard_cb, 300, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(adopt_calls, 0);		/* alive: the same process */
	ASSERT_TRUE(reaper_knows(pid));
	kill(pid, SIGKILL);
	uv_timer_start(&guard, adopt_guard_cb, 4000, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(adopt_calls, 1);
	ASSERT_TRUE(WIFSIGNALED(adopt_status) &&
	    WTERMSIG(adopt_status) == SIGKILL);

	reaper_stop();
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(uv_loop_close(&loop), 0);
}

/*
 * The start time of a child from the boot-time clock around its clone is
 * the one /proc/PID/stat shows: 300 spawns, each checked; most of them
 * within one clock tick, so that the reckoning (not the read) is tested.
 */
TEST(reaper_start_time_from_the_clock_around_the_clone)
{
	uint64_t	t0, t1, tick = 1000000000 / (uint64_t)sysconf(_SC_CLK_TCK);
	int		i, pid, same = 0;

	for (i = 0; i < 300; i++) {
		t0 = reaper_boottime_ns();
		pid = unit_spawn_true();
		t1 = reaper_boottime_ns();
		if (t0 / tick == t1 / tick)
			same++;
		ASSERT_EQ_INT(reaper_start_time_between(pid, t0, t1),
		    reaper_start_time(pid));
		ASSERT_EQ_INT(waitpid(pid, NULL, 0), pid);
	}
	ASSERT_TRUE(same >= 200);
}
