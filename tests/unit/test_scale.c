/*
 * The supervisor's work grows in proportion to the apps: start, list,
 * describe each, delete all of 4N one-worker apps cost about 4 times what
 * N cost, not 16 (a loop over every app for each app: deps checked, an
 * app found by its name, removed from the list one at a time...). CPU
 * time of this process, on fake workers: no process, no fork, so little
 * noise from a busy machine.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clm/config.h"
#include "clm/proto.h"
#include "clm/supervisor.h"
#include "clm/worker.h"
#include "unit.h"

#define SCALE_SMALL	1000
#define SCALE_BIG	4000	/* 4 times: linear 4, quadratic 16 */
#define SCALE_RATIO	9

static struct worker	*scale_workers[SCALE_BIG + 1];
static int		 scale_pid;

static int
scale_spawn(struct worker *w, char **cause)
{
	scale_workers[scale_pid] = w;
	return 100000 + scale_pid++;
}

static void
scale_signal(struct worker *w, int sig)
{
}

static void
scale_ended(struct worker *w)
{
}

static const struct worker_procs scale_procs = {
	scale_spawn, scale_signal, scale_ended, NULL
};

static uint64_t
scale_clock(void)
{
	return 1000000;
}

static int
scale_rss(int pid, uint64_t *rss)
{
	*rss = 10 << 20;
	return 0;
}

static int	scale_done;

static void
scale_done_cb(void *arg, const char *code, const char *message)
{
	scale_done++;
}

static double
cpu_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
scale_run(uv_loop_t *loop)
{
	int	i;

	for (i = 0; i < 10; i++)
		uv_run(loop, UV_RUN_NOWAIT);
}

/* n apps of one worker through start, list, describe and delete all:
 * the CPU of each step in ms. */
static void
scale_steps(int n, double ms[4])
{
	struct clm_daemon_config cfg;
	struct clm_home		 home;
	struct clm_supervisor	*sup;
	struct clm_app_spec	**specs;
	struct clm_worker_info	*info;
	uv_loop_t		 loop;
	const char		*code = NULL;
	char			*cause = NULL, **notes = NULL, **names;
	char			 name[32];
	size_t			 nw, k;
	double			 t;
	int			 i;

	memset(&home, 0, sizeof home);
	home.logdir = "/nonexistent/logs";
	config_daemon_defaults(&cfg);
	uv_loop_init(&loop);
	sup = supervisor_new_fake(&loop, &home, &cfg, &scale_procs,
	    scale_clock, scale_rss);
	specs = clm_calloc(n, sizeof *specs);
	for (i = 0; i < n; i++) {
		specs[i] = clm_app_spec_new();
		snprintf(name, sizeof name, "s%d", i);
		specs[i]->name = clm_strdup(name);
		specs[i]->script = clm_strdup("/bin/sleep");
		specs[i]->cwd = clm_strdup("/");
		specs[i]->instances = 1;
	}
	scale_pid = 0;
	scale_done = 0;

	t = cpu_ms();
	ASSERT_EQ_INT(supervisor_add_apps(sup, specs, n, &notes,
	    scale_done_cb, NULL, &code, &cause), 0);
	ASSERT_EQ_INT(scale_pid, n);
	for (i = 0; i < n; i++)
		worker_ready(scale_workers[i], "listening");
	scale_run(&loop);
	ASSERT_EQ_INT(scale_done, 1);
	ms[0] = cpu_ms() - t;

	t = cpu_ms();
	for (k = 0; k < 3; k++) {
		supervisor_info(sup, NULL, &info, &nw);
		ASSERT_EQ_INT(nw, n);
		for (i = 0; i < n; i++)
			proto_worker_info_clear(&info[i]);
		free(info);
	}
	ms[1] = cpu_ms() - t;

	ASSERT_EQ_INT(supervisor_select(sup, "all", &names, &code, &cause), 0);
	t = cpu_ms();
	for (i = 0; names[i] != NULL; i++) {	/* as clm delete's notes */
		supervisor_info(sup, names[i], &info, &nw);
		ASSERT_EQ_INT(nw, 1);
		proto_worker_info_clear(&info[0]);
		free(info);
	}
	ms[2] = cpu_ms() - t;

	t = cpu_ms();
	supervisor_delete(sup, names, scale_done_cb, NULL);
	for (i = 0; i < n; i++)
		worker_exited(scale_workers[i], 0, SIGINT);
	scale_run(&loop);
	ASSERT_EQ_INT(scale_done, 2);
	ms[3] = cpu_ms() - t;
	supervisor_info(sup, NULL, &info, &nw);
	ASSERT_EQ_INT(nw, 0);
	free(info);

	clm_strv_free(names);
	clm_strv_free(notes);
	free(specs);
	supervisor_free(sup);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ_INT(uv_loop_close(&loop), 0);
	config_daemon_free(&cfg);
}

TEST(supervisor_work_grows_in_proportion_to_the_apps)
{
	static const char *const what[4] = {
		"start", "list", "each app by name", "delete all"
	};
	double	small[4], big[4];
	int	i, bad = -1;

	scale_steps(SCALE_SMALL, small);
	scale_steps(SCALE_BIG, big);
	for (i = 0; i < 4; i++) {
		fprintf(stderr, "%s: %d apps %.1f ms, %d apps %.1f ms\n",
		    what[i], SCALE_SMALL, small[i], SCALE_BIG, big[i]);
		/* Under 20 ms for them all: too little to tell. */
		if (big[i] > 20 && big[i] > small[i] * SCALE_RATIO)
			bad = i;
	}
	if (bad != -1)
		unit_fail(__FILE__, __LINE__, "%s: %d apps cost %.1f ms, %d "
		    "apps %.1f ms: more than %d times (a step quadratic in "
		    "the apps?)", what[bad], SCALE_BIG, big[bad], SCALE_SMALL,
		    small[bad], SCALE_RATIO);
}
