/*
 * The worker state machine (clm/worker.h), driven with a fake spawner and a
 * fake clock: no process is started. The first tests drive one worker
 * through worker_event(); the last ones drive the supervisor's operations
 * (reload, scale, memory replacement) over fake workers.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/config.h"
#include "clm/supervisor.h"
#include "clm/worker.h"
#include "unit.h"

#define FAKE_MAX 64

/* ---- the fakes ---- */

static uint64_t		 fake_now = 1000000;
static int		 fake_pid = 1000;
static int		 fake_spawns;
static bool		 fake_fail;		/* the next spawns fail */
static struct worker	*fake_workers[FAKE_MAX];	/* by pid - 1001 */
static int		 fake_last_sig, fake_last_sig_pid, fake_nsigs;
static int		 fake_rss_pid;		/* this one is big */

static uint64_t
fake_clock(void)
{
	return fake_now;
}

static int
fake_spawn(struct worker *w, char **cause)
{
	fake_spawns++;
	if (fake_fail) {
		*cause = clm_strdup("cannot start /fake: No such file");
		return -1;
	}
	fake_pid++;
	if (fake_pid - 1001 < FAKE_MAX)
		fake_workers[fake_pid - 1001] = w;
	return fake_pid;
}

static void
fake_signal(struct worker *w, int sig)
{
	fake_last_sig = sig;
	fake_last_sig_pid = w->pid;
	fake_nsigs++;
}

static void
fake_ended(struct worker *w)
{
}

static int	fake_busy_n;		/* connections a draining worker holds */

static int
fake_busy(struct worker *w, int *total)
{
	*total = fake_busy_n;
	return fake_busy_n;
}

static const struct worker_procs fake_procs = {
	fake_spawn, fake_signal, fake_ended, fake_busy
};

static int
fake_rss(int pid, uint64_t *rss)
{
	*rss = pid == fake_rss_pid ? 512 << 20 : 10 << 20;
	return 0;
}

static struct worker *
fake_worker_of(int pid)
{
	if (pid <= 1000 || pid - 1001 >= FAKE_MAX)
		unit_fail(__FILE__, __LINE__, "no fake worker with pid %d",
		    pid);
	return fake_workers[pid - 1001];
}

static void
fake_reset(void)
{
	fake_now = 1000000;
	fake_pid = 1000;
	fake_spawns = 0;
	fake_fail = false;
	fake_last_sig = fake_last_sig_pid = fake_nsigs = 0;
	fake_rss_pid = 0;
	fake_busy_n = 0;
	memset(fake_workers, 0, sizeof fake_workers);
}

/* ---- one worker ---- */

struct rig {
	uv_loop_t		loop;
	struct worker_ctx	ctx;
	struct worker_app	app;
	struct worker		*w;
	int			changes;
};

static void
rig_changed(void *arg, struct worker *w, enum wstate was)
{
	((struct rig *)arg)->changes++;
}

static void
rig_init(struct rig *r)
{
	struct clm_app_spec	*spec = clm_app_spec_new();

	fake_reset();
	memset(r, 0, sizeof *r);
	uv_loop_init(&r->loop);
	r->ctx.loop = &r->loop;
	r->ctx.now_ms = fake_clock;
	r->ctx.procs = &fake_procs;
	r->ctx.logdir = "/nonexistent/logs";
	r->ctx.backoff_first_ms = 100;
	r->ctx.backoff_max_ms = 15000;
	r->ctx.changed = rig_changed;
	r->ctx.arg = r;
	spec->name = clm_strdup("app");
	spec->script = clm_strdup("/fake");
	spec->kill_signal = SIGTERM;
	spec->kill_timeout_ms = 1600;
	spec->min_uptime_ms = 1000;
	spec->max_restarts = 3;
	spec->autorestart = true;
	spec->errored_retry_ms = 0;
	spec->listen_timeout_ms = 3000;
	r->app.spec = spec;
	r->w = worker_new(&r->ctx, &r->app, 0);
}

static void
rig_free(struct rig *r)
{
	worker_destroy(r->w);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(uv_loop_close(&r->loop), 0);
	clm_app_spec_free(r->app.spec);
}

/* The worker's timer: ms until it fires, -1 when it is not armed. */
static long long
due(const struct worker *w)
{
	if (!uv_is_active((const uv_handle_t *)&w->timer))
		return -1;
	return (long long)uv_timer_get_due_in(&w->timer);
}

#define ASSERT_STATE(w, s) ASSERT_EQ_STR(worker_state_names[(w)->state], s)

/* The running process ends after ms. */
static void
run_for(struct worker *w, uint64_t ms, int code)
{
	fake_now += ms;
	worker_exited(w, code, 0);
}

TEST(worker_starts_and_comes_online_when_ready)
{
	struct rig	r;

	rig_init(&r);
	ASSERT_STATE(r.w, "stopped");
	worker_want(r.w, WANT_UP);
	ASSERT_STATE(r.w, "launching");
	ASSERT_EQ_INT(fake_spawns, 1);
	ASSERT_EQ_INT(r.w->pid, 1001);
	ASSERT_EQ_INT(due(r.w), 1000);	/* min_uptime: it never said */
	worker_ready(r.w, "listening");
	ASSERT_STATE(r.w, "online");
	ASSERT_TRUE(r.app.signals_ready);
	ASSERT_EQ_INT(due(r.w), -1);
	worker_event(r.w, WE_READY);	/* again: nothing */
	ASSERT_STATE(r.w, "online");
	ASSERT_TRUE(r.changes >= 2);
	rig_free(&r);
}

TEST(worker_without_a_signal_is_online_after_min_uptime)
{
	struct rig	r;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "online");
	ASSERT_FALSE(r.w->ready_late);
	rig_free(&r);
}

TEST(worker_crash_loop_ends_errored)
{
	struct rig	r;
	char		*why;
	long long	delays[] = { 100, 200, 400 };
	int		i;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	for (i = 0; i < 3; i++) {
		run_for(r.w, 10, 1);
		ASSERT_STATE(r.w, "waiting-restart");
		ASSERT_EQ_INT(r.w->unstable, i + 1);
		ASSERT_EQ_INT(due(r.w), delays[i]);
		ASSERT_EQ_INT(r.w->exit_code, 1);
		ASSERT_EQ_INT(r.w->pid, 0);
		worker_event(r.w, WE_TIMER);
		ASSERT_STATE(r.w, "launching");
		ASSERT_EQ_INT(fake_spawns, i + 2);
	}
	/* The fourth unstable run in a row: max_restarts (3) is spent. */
	run_for(r.w, 10, 1);
	ASSERT_STATE(r.w, "errored");
	ASSERT_EQ_INT(due(r.w), -1);
	ASSERT_EQ_INT(r.w->restarts, 3);
	why = worker_failure(r.w);
	ASSERT_CONTAINS(why, "errored after 3 restarts");
	free(why);
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "errored");
	ASSERT_EQ_INT(fake_spawns, 4);
	/* Started again: a fresh tally. */
	worker_want(r.w, WANT_UP);
	ASSERT_STATE(r.w, "launching");
	ASSERT_EQ_INT(r.w->unstable, 0);
	ASSERT_EQ_INT(fake_spawns, 5);
	rig_free(&r);
}

TEST(worker_backoff_resets_after_min_uptime)
{
	struct rig	r;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	run_for(r.w, 10, 1);
	worker_event(r.w, WE_TIMER);
	run_for(r.w, 999, 1);		/* one ms short: still unstable */
	ASSERT_EQ_INT(r.w->unstable, 2);
	ASSERT_EQ_INT(due(r.w), 200);
	worker_event(r.w, WE_TIMER);
	worker_ready(r.w, "READY=1");
	run_for(r.w, 1000, 1);		/* a stable run */
	ASSERT_STATE(r.w, "waiting-restart");
	ASSERT_EQ_INT(r.w->unstable, 0);
	ASSERT_EQ_INT(due(r.w), 100);
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "launching");
	rig_free(&r);
}

TEST(worker_stop_during_launch)
{
	struct rig	r;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	worker_want(r.w, WANT_DOWN);
	ASSERT_STATE(r.w, "stopping");
	ASSERT_EQ_INT(fake_last_sig, SIGTERM);
	ASSERT_EQ_INT(fake_last_sig_pid, 1001);
	ASSERT_EQ_INT(due(r.w), 1600);
	/* Its readiness signal comes late: it stays stopping. */
	worker_ready(r.w, "listening");
	ASSERT_STATE(r.w, "stopping");
	worker_event(r.w, WE_TIMER);	/* kill_timeout */
	ASSERT_EQ_INT(fake_last_sig, SIGKILL);
	run_for(r.w, 2000, 0);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_EQ_INT(due(r.w), -1);
	ASSERT_EQ_INT(fake_spawns, 1);
	ASSERT_EQ_INT(r.w->pid, 0);
	rig_free(&r);
}

TEST(worker_drains_before_its_kill_signal)
{
	struct rig	r;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	worker_ready(r.w, "listening");
	r.w->drain = true;
	fake_busy_n = 2;
	worker_want(r.w, WANT_DOWN);
	ASSERT_STATE(r.w, "draining");
	ASSERT_TRUE(worker_running(r.w));
	ASSERT_EQ_INT(fake_nsigs, 0);
	fake_now += 100;
	worker_event(r.w, WE_TIMER);	/* still busy: no signal */
	ASSERT_STATE(r.w, "draining");
	ASSERT_EQ_INT(fake_nsigs, 0);
	fake_busy_n = 0;
	worker_event(r.w, WE_TIMER);	/* done: the kill signal */
	ASSERT_STATE(r.w, "stopping");
	ASSERT_EQ_INT(fake_last_sig, SIGTERM);
	ASSERT_EQ_INT(due(r.w), 1600);
	run_for(r.w, 10, 0);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_FALSE(r.w->drain);
	rig_free(&r);
}

TEST(worker_drain_ends_at_kill_timeout)
{
	struct rig	r;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	worker_ready(r.w, "listening");
	r.w->drain = true;
	fake_busy_n = 3;
	worker_restart(r.w);
	ASSERT_STATE(r.w, "draining");
	fake_now += 1600;
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "stopping");
	ASSERT_EQ_INT(fake_last_sig, SIGTERM);
	run_for(r.w, 10, 0);
	ASSERT_STATE(r.w, "launching");	/* a restart: wanted up */
	rig_free(&r);
}

TEST(worker_stop_during_backoff)
{
	struct rig	r;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	run_for(r.w, 10, 1);
	ASSERT_STATE(r.w, "waiting-restart");
	worker_want(r.w, WANT_DOWN);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_EQ_INT(due(r.w), -1);
	ASSERT_EQ_INT(fake_nsigs, 0);
	worker_event(r.w, WE_TIMER);	/* a late timer does nothing */
	ASSERT_STATE(r.w, "stopped");
	ASSERT_EQ_INT(fake_spawns, 1);
	rig_free(&r);
}

TEST(worker_restart_and_start_while_stopping)
{
	struct rig	r;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	worker_ready(r.w, "listening");
	worker_restart(r.w);
	ASSERT_STATE(r.w, "stopping");
	run_for(r.w, 50, 0);
	ASSERT_STATE(r.w, "launching");	/* wanted up: a new run at once */
	ASSERT_EQ_INT(fake_spawns, 2);
	ASSERT_EQ_INT(r.w->restarts, 1);
	/* Stop, then start before it has exited: it comes back. */
	worker_want(r.w, WANT_DOWN);
	worker_want(r.w, WANT_UP);
	ASSERT_STATE(r.w, "stopping");
	run_for(r.w, 50, 0);
	ASSERT_STATE(r.w, "launching");
	ASSERT_EQ_INT(fake_spawns, 3);
	rig_free(&r);
}

TEST(worker_that_cannot_start_waits_and_says_why)
{
	struct rig	r;
	char		*why;

	rig_init(&r);
	fake_fail = true;
	worker_want(r.w, WANT_UP);
	ASSERT_STATE(r.w, "waiting-restart");
	ASSERT_TRUE(r.w->launch_failed);
	ASSERT_EQ_INT(r.w->unstable, 1);
	why = worker_failure(r.w);
	ASSERT_CONTAINS(why, "cannot start /fake");
	ASSERT_CONTAINS(why, "keeps restarting");
	free(why);
	fake_fail = false;
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "launching");
	ASSERT_FALSE(r.w->launch_failed);
	rig_free(&r);
}

TEST(worker_autorestart_off_stays_stopped)
{
	struct rig	r;
	char		*why;

	rig_init(&r);
	r.app.spec->autorestart = false;
	worker_want(r.w, WANT_UP);
	run_for(r.w, 5000, 3);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_EQ_INT(due(r.w), -1);
	why = worker_failure(r.w);
	ASSERT_CONTAINS(why, "autorestart is off");
	free(why);
	rig_free(&r);
}

/* stop_exit_codes: an exit with one of them is done, whatever autorestart
 * says; another code is restarted. */
TEST(worker_stop_exit_codes_mean_done)
{
	struct rig	r;

	rig_init(&r);
	clm_strv_push(&r.app.spec->stop_exit_codes, "0");
	clm_strv_push(&r.app.spec->stop_exit_codes, "3");
	worker_want(r.w, WANT_UP);
	run_for(r.w, 5000, 1);
	ASSERT_STATE(r.w, "waiting-restart");
	worker_event(r.w, WE_TIMER);
	run_for(r.w, 5000, 3);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_EQ_INT(due(r.w), -1);
	ASSERT_TRUE(worker_finished(r.w));
	ASSERT_NULL(worker_failure(r.w));
	worker_want(r.w, WANT_UP);
	run_for(r.w, 10, 0);		/* even an unstable run */
	ASSERT_STATE(r.w, "stopped");
	ASSERT_EQ_INT(r.w->unstable, 0);
	ASSERT_TRUE(worker_finished(r.w));
	rig_free(&r);
}

/* autorestart on-failure: exit 0 is done; a non-zero code or a signal is
 * restarted. */
TEST(worker_on_failure_restarts_only_failures)
{
	struct rig	r;
	char		*why;

	rig_init(&r);
	r.app.spec->autorestart = CLM_RESTART_ON_FAILURE;
	worker_want(r.w, WANT_UP);
	run_for(r.w, 5000, 2);
	ASSERT_STATE(r.w, "waiting-restart");
	worker_event(r.w, WE_TIMER);
	fake_now += 5000;
	worker_exited(r.w, 0, SIGKILL);
	ASSERT_STATE(r.w, "waiting-restart");
	worker_event(r.w, WE_TIMER);
	run_for(r.w, 5000, 0);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_TRUE(worker_finished(r.w));
	ASSERT_NULL(worker_failure(r.w));
	/* A code of stop_exit_codes is done under on-failure too; one not
	 * listed and not 0 fails with autorestart never. */
	r.app.spec->autorestart = CLM_RESTART_NEVER;
	worker_want(r.w, WANT_UP);
	run_for(r.w, 5000, 4);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_FALSE(worker_finished(r.w));
	why = worker_failure(r.w);
	ASSERT_CONTAINS(why, "exited with code 4 and autorestart is off");
	free(why);
	rig_free(&r);
}

/* errored_retry: an errored worker gets one more run after that long; an
 * unstable one is errored again at once, a stable one is up. */
TEST(worker_errored_retry_tries_again)
{
	struct rig	r;
	int		i;

	rig_init(&r);
	r.app.spec->errored_retry_ms = 3000;
	worker_want(r.w, WANT_UP);
	for (i = 0; i < 3; i++) {
		run_for(r.w, 10, 1);
		worker_event(r.w, WE_TIMER);
	}
	run_for(r.w, 10, 1);
	ASSERT_STATE(r.w, "errored");
	ASSERT_EQ_INT(due(r.w), 3000);
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "launching");
	ASSERT_EQ_INT(fake_spawns, 5);
	run_for(r.w, 10, 1);		/* still failing: errored again */
	ASSERT_STATE(r.w, "errored");
	ASSERT_EQ_INT(due(r.w), 3000);
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "launching");
	worker_ready(r.w, "listening");
	ASSERT_STATE(r.w, "online");
	run_for(r.w, 5000, 1);		/* a stable run: the usual backoff */
	ASSERT_STATE(r.w, "waiting-restart");
	ASSERT_EQ_INT(r.w->unstable, 0);
	/* A stop ends the retries. */
	worker_event(r.w, WE_TIMER);
	for (i = 0; i < 3; i++) {
		run_for(r.w, 10, 1);
		worker_event(r.w, WE_TIMER);
	}
	run_for(r.w, 10, 1);
	ASSERT_STATE(r.w, "errored");
	worker_want(r.w, WANT_DOWN);
	ASSERT_EQ_INT(due(r.w), -1);
	ASSERT_STATE(r.w, "errored");
	rig_free(&r);
}

/* max_uptime: each run is due for replacement after max_uptime plus at
 * most the jitter. */
TEST(worker_max_uptime_sets_a_recycle_time)
{
	struct rig	r;
	uint64_t	at[8];
	int		i, differ = 0;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	ASSERT_EQ_INT(r.w->recycle_at_ms, 0);
	r.app.spec->max_uptime_ms = 5000;
	r.app.spec->max_uptime_jitter_ms = 3000;
	for (i = 0; i < 8; i++) {
		run_for(r.w, 6000, 1);
		worker_event(r.w, WE_TIMER);
		at[i] = r.w->recycle_at_ms - r.w->started_ms;
		ASSERT_TRUE(at[i] >= 5000 && at[i] <= 8000);
		differ += i > 0 && at[i] != at[0];
	}
	ASSERT_TRUE(differ > 0);
	rig_free(&r);
}

/* A one-shot job: exit 0 with autorestart off is done, not a failure;
 * under autorestart the failure gives the hint; a worker stopped alone
 * says so; a running worker shows no stale end. */
TEST(worker_job_that_ends_is_finished)
{
	struct clm_worker_info	 info;
	struct rig		 r;
	char			*why;

	rig_init(&r);
	r.app.spec->autorestart = false;
	worker_want(r.w, WANT_UP);
	run_for(r.w, 10, 0);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_TRUE(worker_finished(r.w));
	ASSERT_NULL(worker_failure(r.w));
	worker_info(r.w, &info, fake_now);
	ASSERT_EQ_INT(info.exit_code, 0);
	ASSERT_EQ_STR(info.reason, "exit 0");
	ASSERT_TRUE(info.ended_ms != 0);
	proto_worker_info_clear(&info);

	r.app.spec->autorestart = true;
	worker_want(r.w, WANT_UP);
	ASSERT_FALSE(worker_finished(r.w));
	worker_info(r.w, &info, fake_now);	/* running: no stale end */
	ASSERT_EQ_INT(info.exit_code, -1);
	ASSERT_NULL(info.reason);
	proto_worker_info_clear(&info);
	run_for(r.w, 10, 0);
	ASSERT_STATE(r.w, "waiting-restart");
	why = worker_failure(r.w);
	ASSERT_CONTAINS(why, "--no-autorestart");
	ASSERT_CONTAINS(why, "-0-out.log");
	free(why);

	worker_want(r.w, WANT_DOWN);
	ASSERT_STATE(r.w, "stopped");
	why = worker_failure(r.w);
	ASSERT_CONTAINS(why, "is stopped (clm restart app:0 starts it)");
	free(why);
	rig_free(&r);
}

/* A reload's new worker (want once): never restarted, and not taken as
 * online when it is late. */
TEST(worker_once_is_never_restarted)
{
	struct rig	r;
	char		*why;

	rig_init(&r);
	worker_want(r.w, WANT_ONCE);
	ASSERT_STATE(r.w, "launching");
	run_for(r.w, 10, 1);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_EQ_INT(due(r.w), -1);
	why = worker_failure(r.w);
	ASSERT_CONTAINS(why, "before it was ready");
	free(why);
	rig_free(&r);
}

TEST(worker_once_late_stays_launching)
{
	struct rig	r;
	char		*why;

	rig_init(&r);
	r.app.signals_ready = true;	/* its app says when it is ready */
	worker_want(r.w, WANT_ONCE);
	ASSERT_EQ_INT(due(r.w), 3000);	/* listen_timeout */
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "launching");
	ASSERT_TRUE(r.w->ready_late);
	why = worker_failure(r.w);
	ASSERT_CONTAINS(why, "did not listen nor say READY=1 within 3000 ms");
	free(why);
	/* Wanted up instead, a late worker is taken as online. */
	worker_want(r.w, WANT_DOWN);
	run_for(r.w, 10, 0);
	worker_want(r.w, WANT_UP);
	worker_event(r.w, WE_TIMER);
	ASSERT_STATE(r.w, "online");
	ASSERT_TRUE(r.w->ready_late);
	rig_free(&r);
}

/* Scaled down (want down): stopped for good, whatever the exit. */
TEST(worker_down_is_stopped_for_good)
{
	struct rig	r;

	rig_init(&r);
	worker_want(r.w, WANT_UP);
	worker_ready(r.w, "listening");
	worker_want(r.w, WANT_DOWN);
	run_for(r.w, 10, 1);		/* it crashed while stopping */
	ASSERT_STATE(r.w, "stopped");
	worker_event(r.w, WE_TIMER);
	worker_event(r.w, WE_EXIT);
	ASSERT_STATE(r.w, "stopped");
	ASSERT_EQ_INT(fake_spawns, 1);
	ASSERT_FALSE(worker_running(r.w));
	rig_free(&r);
}

/* ---- the supervisor's operations over fake workers ---- */

struct srig {
	uv_loop_t		 loop;
	struct clm_home		 home;
	struct clm_daemon_config cfg;
	struct clm_supervisor	*sup;
	int			 done;
	char			*code;
	char			*message;
};

static void
srig_done(void *arg, const char *code, const char *message)
{
	struct srig	*r = arg;

	r->done++;
	free(r->code);
	free(r->message);
	r->code = code ? clm_strdup(code) : NULL;
	r->message = message ? clm_strdup(message) : NULL;
}

static void
srig_run(struct srig *r)
{
	int	i;

	for (i = 0; i < 10; i++)
		uv_run(&r->loop, UV_RUN_NOWAIT);
}

/* An app of n workers, all online. */
static void
srig_init(struct srig *r, int n, uint64_t max_memory)
{
	struct clm_app_spec	*spec = clm_app_spec_new();
	const char		*code = NULL;
	char			*cause = NULL, **notes = NULL;
	int			 i;

	fake_reset();
	memset(r, 0, sizeof *r);
	uv_loop_init(&r->loop);
	r->home.logdir = "/nonexistent/logs";
	config_daemon_defaults(&r->cfg);
	r->sup = supervisor_new_fake(&r->loop, &r->home, &r->cfg, &fake_procs,
	    fake_clock, fake_rss);
	spec->name = clm_strdup("web");
	spec->script = clm_strdup("/fake");
	spec->cwd = clm_strdup("/");
	spec->instances = n;
	spec->max_memory = max_memory;
	if (supervisor_add(r->sup, spec, &notes, srig_done, r, &code,
	    &cause) == -1)
		unit_fail(__FILE__, __LINE__, "supervisor_add: %s", cause);
	clm_strv_free(notes);
	ASSERT_EQ_INT(fake_spawns, n);
	for (i = 0; i < n; i++)
		worker_ready(fake_worker_of(1001 + i), "listening");
	srig_run(r);
	ASSERT_EQ_INT(r->done, 1);
	ASSERT_NULL(r->code);
	r->done = 0;
}

static void
srig_free(struct srig *r)
{
	supervisor_free(r->sup);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(uv_loop_close(&r->loop), 0);
	config_daemon_free(&r->cfg);
	free(r->code);
	free(r->message);
}

static void
infos_free(struct clm_worker_info *info, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		proto_worker_info_clear(&info[i]);
	free(info);
}

/* The pid of slot id of app web when it is in status, or -1. */
static int
slot_pid(struct srig *r, int id, const char *status)
{
	struct clm_worker_info	*info;
	size_t			 n, i;
	int			 pid = -1;

	supervisor_info(r->sup, "web", &info, &n);
	for (i = 0; i < n; i++) {
		if (info[i].id == id && strcmp(info[i].status, status) == 0)
			pid = info[i].pid;
	}
	infos_free(info, n);
	return pid;
}

static int
kill_signal(struct srig *r)
{
	return supervisor_spec(r->sup, "web")->kill_signal;
}

static int
nworkers(struct srig *r)
{
	struct clm_worker_info	*info;
	size_t			 n;

	supervisor_info(r->sup, "web", &info, &n);
	infos_free(info, n);
	return (int)n;
}

/* The worker of pid drains (nothing busy): its kill signal goes. */
static void
drained(struct srig *r, int pid)
{
	struct worker	*w = fake_worker_of(pid);

	ASSERT_STATE(w, "draining");
	fake_now += 100;
	worker_event(w, WE_TIMER);
	ASSERT_STATE(w, "stopping");
	srig_run(r);
}

TEST(supervisor_reload_replaces_slot_by_slot)
{
	struct srig	 r;
	char		*names[] = { "web", NULL };

	srig_init(&r, 2, 0);
	supervisor_reload(r.sup, names, srig_done, &r);
	srig_run(&r);
	/* Slot 0 first: a new worker, the old one still serves. */
	ASSERT_EQ_INT(fake_spawns, 3);
	ASSERT_EQ_INT(fake_nsigs, 0);
	ASSERT_EQ_INT(slot_pid(&r, 0, "online"), 1001);
	worker_ready(fake_worker_of(1003), "listening");
	srig_run(&r);
	/* Online: it takes the slot, the old one drains, then is asked to
	 * stop. */
	ASSERT_EQ_INT(slot_pid(&r, 0, "online"), 1003);
	ASSERT_EQ_INT(fake_nsigs, 0);
	ASSERT_EQ_INT(nworkers(&r), 3);	/* the draining one is listed */
	drained(&r, 1001);
	ASSERT_EQ_INT(fake_last_sig, kill_signal(&r));
	ASSERT_EQ_INT(fake_last_sig_pid, 1001);
	ASSERT_EQ_INT(fake_spawns, 3);	/* slot 1 waits for the old one */
	worker_exited(fake_worker_of(1001), 0, SIGTERM);
	srig_run(&r);
	ASSERT_EQ_INT(fake_spawns, 4);
	worker_ready(fake_worker_of(1004), "listening");
	srig_run(&r);
	drained(&r, 1002);
	ASSERT_EQ_INT(fake_last_sig_pid, 1002);
	ASSERT_EQ_INT(r.done, 0);
	worker_exited(fake_worker_of(1002), 0, SIGTERM);
	srig_run(&r);
	ASSERT_EQ_INT(r.done, 1);
	ASSERT_NULL(r.code);
	ASSERT_EQ_INT(slot_pid(&r, 0, "online"), 1003);
	ASSERT_EQ_INT(slot_pid(&r, 1, "online"), 1004);
	ASSERT_EQ_INT(nworkers(&r), 2);
	srig_free(&r);
}

TEST(supervisor_reload_keeps_the_old_worker_when_the_new_fails)
{
	struct srig	 r;
	char		*names[] = { "web", NULL };

	srig_init(&r, 1, 0);
	supervisor_reload(r.sup, names, srig_done, &r);
	srig_run(&r);
	ASSERT_EQ_INT(fake_spawns, 2);
	fake_now += 20;
	worker_exited(fake_worker_of(1002), 1, 0);
	srig_run(&r);
	ASSERT_EQ_INT(r.done, 1);
	ASSERT_EQ_STR(r.code, CLM_E_SPAWN);
	ASSERT_CONTAINS(r.message, "before it was ready");
	/* Not restarted, and the old worker was never touched. */
	ASSERT_EQ_INT(fake_spawns, 2);
	ASSERT_EQ_INT(fake_nsigs, 0);
	ASSERT_EQ_INT(slot_pid(&r, 0, "online"), 1001);
	ASSERT_EQ_INT(nworkers(&r), 1);
	srig_free(&r);
}

TEST(supervisor_scale_down_stops_for_good)
{
	struct srig	r;
	const char	*code = NULL;
	char		*cause = NULL, **notes = NULL;

	srig_init(&r, 3, 0);
	ASSERT_EQ_INT(supervisor_scale(r.sup, "web", 1, false, &notes,
	    srig_done, &r, &code, &cause), 0);
	clm_strv_free(notes);
	srig_run(&r);
	ASSERT_EQ_INT(fake_nsigs, 0);
	drained(&r, 1002);
	drained(&r, 1003);
	ASSERT_EQ_INT(fake_nsigs, 2);
	ASSERT_EQ_INT(r.done, 0);
	/* One exits as asked, one crashes while stopping: neither comes
	 * back. */
	worker_exited(fake_worker_of(1002), 0, SIGTERM);
	fake_now += 10;
	worker_exited(fake_worker_of(1003), 1, 0);
	srig_run(&r);
	ASSERT_EQ_INT(r.done, 1);
	ASSERT_NULL(r.code);
	ASSERT_EQ_INT(fake_spawns, 3);
	ASSERT_EQ_INT(nworkers(&r), 1);
	ASSERT_EQ_INT(slot_pid(&r, 0, "online"), 1001);
	srig_free(&r);
}

TEST(supervisor_replaces_a_worker_over_its_memory_limit)
{
	struct srig	r;

	srig_init(&r, 2, 100 << 20);
	fake_rss_pid = 1002;		/* slot 1 grows */
	supervisor_check_memory(r.sup);
	srig_run(&r);
	ASSERT_EQ_INT(fake_spawns, 3);
	/* One replacement at a time: a second check starts nothing. */
	supervisor_check_memory(r.sup);
	srig_run(&r);
	ASSERT_EQ_INT(fake_spawns, 3);
	ASSERT_EQ_INT(fake_nsigs, 0);	/* the new one first */
	worker_ready(fake_worker_of(1003), "listening");
	srig_run(&r);
	drained(&r, 1002);
	ASSERT_EQ_INT(fake_last_sig_pid, 1002);
	ASSERT_EQ_INT(fake_last_sig, kill_signal(&r));
	/* While the old one stops, the app is busy: still nothing new. */
	supervisor_check_memory(r.sup);
	srig_run(&r);
	ASSERT_EQ_INT(fake_spawns, 3);
	worker_exited(fake_worker_of(1002), 0, SIGTERM);
	srig_run(&r);
	ASSERT_EQ_INT(slot_pid(&r, 0, "online"), 1001);
	ASSERT_EQ_INT(slot_pid(&r, 1, "online"), 1003);
	ASSERT_EQ_INT(nworkers(&r), 2);
	ASSERT_EQ_INT(fake_spawns, 3);	/* no second replacement queued */
	srig_free(&r);
}

/* An app file applied while a reload's old worker still stops waits (the
 * old copies of "is this app busy" disagreed on this). */
TEST(supervisor_apply_waits_for_a_reload_to_end)
{
	struct srig		 r;
	struct clm_app_spec	**specs;
	char			*names[] = { "web", NULL }, **notes = NULL;
	struct srig		 r2;

	srig_init(&r, 1, 0);
	supervisor_reload(r.sup, names, srig_done, &r);
	srig_run(&r);
	worker_ready(fake_worker_of(1002), "listening");
	srig_run(&r);
	drained(&r, 1001);
	ASSERT_EQ_INT(fake_last_sig_pid, 1001);	/* the old one stops */
	memset(&r2, 0, sizeof r2);
	specs = clm_calloc(2, sizeof *specs);
	specs[0] = clm_app_spec_new();
	specs[0]->name = clm_strdup("web");
	specs[0]->script = clm_strdup("/fake");
	specs[0]->cwd = clm_strdup("/");
	specs[0]->instances = 1;
	supervisor_apply(r.sup, specs, 1, &notes, srig_done, &r2);
	clm_strv_free(notes);
	srig_run(&r);
	ASSERT_EQ_INT(r2.done, 1);
	ASSERT_EQ_STR(r2.code, CLM_E_INVAL);
	ASSERT_CONTAINS(r2.message, "reloaded or scaled");
	free(r2.code);
	free(r2.message);
	worker_exited(fake_worker_of(1001), 0, SIGTERM);
	srig_run(&r);
	ASSERT_EQ_INT(r.done, 1);
	ASSERT_NULL(r.code);
	srig_free(&r);
}

/*
 * A stop right after a start: the child, started without waiting for it,
 * may not have made its session yet, so that no process group has its
 * pid. The signal then goes to the pid itself (a child of ours, not yet
 * reaped: the pid is ours); a worker adopted from another clmd is only
 * ever signalled as a group.
 */
TEST(worker_signal_reaches_a_child_before_its_session)
{
	struct rig	r;
	int		pid, status, i;

	rig_init(&r);
	/* A child in our own group: kill(-pid) finds no group. */
	if ((pid = fork()) == 0) {
		pause();
		_exit(0);
	}
	ASSERT_TRUE(pid > 0);
	ASSERT_EQ_INT(kill(-pid, 0), -1);
	r.w->pid = pid;
	r.w->adopted = true;
	worker_procs_uv.signal(r.w, SIGTERM);
	ASSERT_EQ_INT(kill(pid, 0), 0);		/* not signalled */
	r.w->adopted = false;
	worker_procs_uv.signal(r.w, SIGTERM);
	for (i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 500) {
		kill(pid, SIGKILL);
		unit_fail(__FILE__, __LINE__, "the child got no SIGTERM");
	}
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	r.w->pid = 0;
	rig_free(&r);
}
