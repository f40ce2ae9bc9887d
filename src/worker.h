/*
 * Internal to the supervisor (supervisor.c and worker.c): the process
 * table's structures and one worker's life.
 *
 * What is wanted lives in the app (up or down); what is lives in each
 * worker's state:
 *
 *   launching -> online -> (exit) -> waiting-restart -> launching ...
 *       (stop) -> stopping -> (exit) -> stopped
 *   too many unstable runs in a row: errored, until started again.
 *
 * A worker is online when it listens on a shared socket or says READY=1;
 * an app none of whose workers ever did that is online once a worker has
 * stayed up min_uptime.
 */
#ifndef CLM_WORKER_H
#define CLM_WORKER_H

#include <uv.h>

#include "clm/channel.h"
#include "clm/listeners.h"
#include "clm/procstat.h"
#include "clm/supervisor.h"

enum wstate {
	WS_LAUNCHING,
	WS_ONLINE,
	WS_STOPPING,
	WS_STOPPED,
	WS_WAITING,
	WS_ERRORED,
};

extern const char *const worker_state_names[];

struct worker;

/* One run of a worker: its process handle, freed in the close callback. */
struct run {
	uv_process_t	 proc;
	struct worker	*w;
};

struct worker {
	struct app		*app;
	int			 slot;
	enum wstate		 state;
	bool			 respawn;	/* start again once stopped */
	bool			 probation;	/* reload's new worker: never
						   restarted, replaces the old
						   one once online */
	bool			 launch_failed;	/* last run ended before online */
	bool			 ready_late;	/* not ready within the timeout */
	struct run		*run;		/* NULL when no process */
	bool			 adopted;	/* a process from before clm
						   update: the reaper waits */
	struct clm_channel	*chan;
	int			 pid;
	unsigned long		 run_id;	/* names its log streams */
	uint64_t		 started_ms;
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

struct app {
	struct clm_supervisor	*sup;
	struct clm_app_spec	*spec;
	struct worker	       **workers;
	int			 nworkers;
	int			 want;		/* workers wanted; those past it
						   are being removed */
	struct worker		*incoming;	/* reload: the new worker */
	struct worker		*retiring;	/* reload: the old one */
	struct clm_listeners	 listeners;
	int			*listen_fds;	/* --listen, in order */
	size_t			 nlisten_fds;
	bool			 up;		/* wanted running */
	bool			 deleting;
	bool			 signals_ready;	/* its workers say when ready */
};

struct clm_supervisor {
	uv_loop_t		*loop;
	const struct clm_home	*home;
	struct app	       **apps;
	size_t			 napps;
	struct op		*ops;
	uv_idle_t		 kick;
	uv_timer_t		 memwatch;	/* max_memory checks */
	uv_timer_t		 deadline;
	int			 open_handles;	/* freed when the last one of
						   kick, memwatch, deadline has
						   closed */
	int			 ncpu;
	struct clm_app_spec	 defaults;	/* [defaults] of clm.ini */
	uint32_t		 backoff_first_ms;
	uint32_t		 backoff_max_ms;
	char			*preload;	/* libclm-preload.so */
	char			*node_preload;	/* clm-node.js */
	char			*exec_shim;	/* clm-exec */
	struct clm_logs		*logs;
	unsigned long		 runs;		/* runs started, for run_id */
};

struct worker	*worker_new(struct app *, int slot);
void		 worker_destroy(struct worker *);	/* not running */
bool		 worker_running(const struct worker *);
void		 worker_spawn(struct worker *);
void		 worker_exited(struct worker *, int64_t status, int sig);
/* After clm update: the worker's process, which the reaper waits for. */
void		 worker_adopt(struct worker *, int pid);
/* After clm update: start watching the worker's channel again. */
void		 worker_adopt_channel(struct worker *, int fd);
void		 worker_resume(struct worker *);
void		 worker_stop(struct worker *);
void		 worker_start(struct worker *);
void		 worker_restart(struct worker *);
/* Close the listening sockets of the worker's slot (it stays down). */
void		 worker_close_sockets(struct worker *);
/* Why the worker will not come online by itself, or NULL. */
char		*worker_failure(const struct worker *);
void		 worker_info(struct worker *, struct clm_worker_info *,
		     uint64_t now);

/* supervisor.c: look at the pending operations again, soon. */
void		 sup_kick(struct clm_supervisor *);

#endif
