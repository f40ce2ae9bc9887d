/*
 * One worker's life, as one state machine.
 *
 * A worker has a state (what is) and a want (what is asked of it), as
 * runit's runsv keeps them. The supervisor only sets the want (up, once,
 * down, or a restart); every change of state is made by worker_event(),
 * from one table, worker_actions[state][event] in worker.c:
 *
 *   stopped, errored --up, restart--> launching --ready--> online
 *   launching --timer--> online (the app never says when it is ready, or
 *                        it is late and wanted up: taken as online)
 *   launching, online --down, restart--> stopping --timer--> SIGKILL
 *   online --down, restart--> draining (marked to drain: w->drain) --timer
 *                        (nothing busy, or kill_timeout)--> stopping
 *   stopping --exit--> launching (wanted up: a restart)
 *                      stopped   (wanted down or once)
 *   launching, online --exit--> waiting (wanted up: backoff)
 *                               errored (wanted up, too many unstable runs)
 *                               stopped (wanted once or down, or the
 *                                        policy says done: autorestart
 *                                        never, on-failure and exit 0,
 *                                        a code of stop_exit_codes)
 *   waiting --timer, up, restart--> launching
 *   waiting --down--> stopped
 *   errored --timer--> launching (errored_retry, wanted up: one run; an
 *                      unstable one is errored again, the timer again)
 *   errored --down--> errored (no more retries)
 *
 * want up: restart it when it exits, with backoff; errored after
 * max_restarts unstable runs (each shorter than min_uptime) in a row.
 * want once: a reload's new worker: never restarted; if it is not ready
 * in time it stays launching, marked ready_late, for the supervisor to
 * stop. want down: stopped for good (a stop, a delete, a scale down, the
 * old worker of a reload).
 *
 * A worker is online when it listens on a shared socket or says READY=1;
 * an app none of whose workers ever did that is online once a worker has
 * stayed up min_uptime.
 *
 * The worker does not know the supervisor: it gets a context (loop, clock,
 * the process operations, logs, backoff) and reports every change of
 * state through the context's callback. The process operations are
 * replaceable, so that unit tests drive the machine with a fake spawner
 * and a fake clock.
 */
#ifndef CLM_WORKER_H
#define CLM_WORKER_H

#include <uv.h>

#include "clm/app.h"
#include "clm/channel.h"
#include "clm/listeners.h"
#include "clm/procstat.h"
#include "clm/proto.h"

/* WS_STOPPED first: a new worker is stopped. */
enum wstate {
	WS_STOPPED,
	WS_LAUNCHING,
	WS_ONLINE,
	WS_STOPPING,
	WS_WAITING,
	WS_ERRORED,
	WS_DRAINING,	/* new connections go to others; the kill signal
			   waits for what it holds */
	WS_COUNT
};

enum wwant {
	WANT_DOWN,
	WANT_UP,
	WANT_ONCE,
};

enum wevent {
	WE_UP,		/* want up (or once): start it if it is not */
	WE_DOWN,	/* want down: stop it */
	WE_RESTART,	/* want up, with a new process */
	WE_READY,	/* it listens, or said READY=1 */
	WE_TIMER,	/* its timer: readiness, backoff or kill */
	WE_EXIT,	/* its process ended (or could not start) */
	WE_COUNT
};

extern const char *const worker_state_names[];

struct worker;
struct clm_logs;

/* What the worker does to processes: the real ones (worker_procs_uv) or
 * a test's fakes. */
struct worker_procs {
	/* Start w's process: its pid, or -1 with *cause. */
	int	(*spawn)(struct worker *w, char **cause);
	/* Send sig to w's process group. */
	void	(*signal)(struct worker *w, int sig);
	/* w's process has ended: release what spawn took. */
	void	(*ended)(struct worker *w);
	/* Draining: connections w still has to serve (0: none; NULL: 0).
	 * *total: every connection it holds. */
	int	(*busy)(struct worker *w, int *total);
};

extern const struct worker_procs worker_procs_uv;

/* What a worker needs from whoever runs it: one per supervisor. */
struct worker_ctx {
	uv_loop_t			*loop;
	uint64_t			(*now_ms)(void);
	const struct worker_procs	*procs;
	struct clm_logs			*logs;
	const char			*logdir;	/* for messages */
	uint32_t			 backoff_first_ms;
	uint32_t			 backoff_max_ms;
	const char			*preload;	/* libclm-preload.so */
	const char			*node_preload;	/* clm-node.js */
	const char			*exec_shim;	/* clm-exec */
	unsigned long			 runs;		/* runs started:
							   run ids */
	unsigned			 sigkills;	/* stops that took a
							   SIGKILL */
	/* worker_info(): /proc reads made, and how many it may make (0: no
	 * limit): a list of thousands refreshes its samples a share at a
	 * time. */
	unsigned			 stat_reads;
	unsigned			 stat_max;
	/* w's state changed from was (or its failure did: same state). */
	void				(*changed)(void *arg, struct worker *w,
					    enum wstate was);
	void				*arg;
};

/* The app as its workers see it (the supervisor's struct app holds it). */
struct worker_app {
	struct clm_app_spec	*spec;
	struct clm_listeners	 listeners;
	int			*listen_fds;	/* --listen, in order */
	size_t			 nlisten_fds;
	bool			 signals_ready;	/* its workers say when ready */
	/* An app-level health_check (http://, tcp:) of its shared port. */
	struct health_net	*health;	/* a check under way */
	uint64_t		 health_next_ms;
	unsigned		 health_fails;	/* in a row */
};

struct worker {
	struct worker_ctx	*ctx;
	struct worker_app	*app;
	int			 slot;
	int			 sock_key;	/* its sockets' slot in the
						   listeners: slot, or a
						   reload's key */
	bool			 drain;		/* stop: drain first */
	bool			 steered;	/* its sockets get no new
						   connection */
	uint64_t		 drain_ms;	/* when the drain began */
	enum wstate		 state;		/* worker_event() only */
	enum wwant		 want;
	bool			 launch_failed;	/* last run ended before online */
	bool			 ready_late;	/* not ready within the timeout */
	const char		*ready_how;	/* WE_READY: "listening", ... */
	bool			 adopted;	/* a process from before clm
						   update: the reaper waits */
	struct clm_channel	*chan;
	int			 pid;
	int			 last_pid;	/* of the last run (events) */
	uint64_t		 start_time;	/* of pid, from /proc: who
						   adopts it checks it; 0 */
	unsigned long		 run_id;	/* names its log streams */
	uint64_t		 started_ms;
	uint64_t		 alive_ms;	/* online, or its last
						   WATCHDOG=1 */
	struct health_run	*health;	/* a check under way */
	uint64_t		 health_next_ms; /* 0: from going online */
	unsigned		 health_fails;	/* in a row */
	bool			 health_bad;	/* retries failed: replace */
	uint64_t		 ended_wall_ms;	/* when the last run ended (wall
						   clock); 0: none */
	uint64_t		 recycle_at_ms;	/* max_uptime: replace it then
						   (0: never) */
	unsigned		 runs;
	unsigned		 restarts;
	unsigned		 unstable;
	int			 exit_code;
	int			 term_signal;
	char			*last_error;
	uv_timer_t		 timer;		/* readiness, backoff or kill */
	struct procstat_sample	 cpu;
	/* The last /proc sample, reused for a second: a list of 500 workers
	 * must not read 1000 files every time. */
	uint64_t		 stat_at;
	double			 stat_cpu;
	uint64_t		 stat_cpu_ms;
	uint64_t		 stat_rss;
};

struct worker	*worker_new(struct worker_ctx *, struct worker_app *,
		    int slot);
void		 worker_destroy(struct worker *);	/* not running */
/* clm-exec [--user U] [--group G] --, pushed onto *argv (as the app's user). */
void		 worker_shim_argv(const struct worker *, char ***argv);
/* The same for any program run as spec's user (hooks): SHIM is clm-exec. */
void		 worker_exec_prefix(const char *shim,
		     const struct clm_app_spec *, char ***argv);

/* The one transition function: the state w goes to on ev. */
void		 worker_event(struct worker *, enum wevent);
/* Set the want and make it so (WE_UP, WE_DOWN or WE_RESTART). */
void		 worker_want(struct worker *, enum wwant);
void		 worker_restart(struct worker *);
/* From the process side: it ended; it is ready (how: for the log). */
void		 worker_exited(struct worker *, int64_t status, int sig);
void		 worker_ready(struct worker *, const char *how);

/* /proc samples a list refreshes at most (each one is a file read). */
#define WORKER_STAT_BUDGET	1000

/* The sock_key of a reload's new worker of slot. */
#define WORKER_KEY_INCOMING(slot)	((slot) + (1 << 20))

/* A process runs for it (launching, online, draining or stopping). */
bool		 worker_running(const struct worker *);
/* Close the listening sockets of the worker's slot (it stays down). */
void		 worker_close_sockets(struct worker *);
/* Why the worker will not come online by itself, or NULL. */
char		*worker_failure(const struct worker *);
/* A job that ran to its end: stopped by its policy after exit 0 or a
 * code of stop_exit_codes, still wanted up. */
bool		 worker_finished(const struct worker *);
void		 worker_info(struct worker *, struct clm_worker_info *,
		     uint64_t now);

/* clm update, or a crashed clmd's state: a worker of the old image, in
 * state (by name), wanted as want, with its process pid (0: none) that
 * started at start_time (0: unknown; another start time: it has ended)
 * and its channel (-1: none). */
void		 worker_import(struct worker *, const char *state,
		     enum wwant want, int pid, uint64_t start_time,
		     int chan_fd);

#endif
