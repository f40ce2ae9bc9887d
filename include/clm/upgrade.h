/*
 * clm update: clmd re-executes its binary in its own process, so that
 * every worker stays its child, and hands the new image its state: apps,
 * workers, listening sockets, worker channels, log streams, the control
 * socket, its lock. Nothing restarts and no port closes.
 *
 * The state travels as JSON (proto.c) in a memfd whose number is given to
 * the new image as `clmd --upgrade-from FD`. The new binary is asked
 * first (`clmd --check-upgrade`) whether it can read this version of it.
 */
#ifndef CLM_UPGRADE_H
#define CLM_UPGRADE_H

#include "clm/app.h"
#include "clm/listeners.h"

/* Bump when the state below changes shape or meaning. */
#define CLM_STATE_VERSION 1

struct clm_state_worker {
	int		 slot;
	int		 pid;		/* 0: not running */
	char		*state;		/* online, stopped, waiting-restart,
					   errored */
	uint64_t	 started_ms;	/* CLOCK_MONOTONIC: survives exec */
	unsigned	 restarts;
	unsigned	 unstable;
	unsigned	 runs;
	int		 exit_code;
	int		 term_signal;
	unsigned long	 run_id;
	int		 chan_fd;	/* -1: none */
};

struct clm_state_listener {
	struct clm_listen_addr	 addr;
	int			 slot;
	int			 fd;
};

struct clm_state_app {
	struct clm_app_spec		*spec;
	int				 want;
	bool				 up;
	bool				 signals_ready;
	struct clm_state_listener	*listeners;
	size_t				 nlisteners;
	int				*listen_fds;	/* --listen, in order */
	size_t				 nlisten_fds;
	struct clm_state_worker		*workers;
	size_t				 nworkers;
};

struct clm_state_stream {
	char	*id;
	char	*msg;		/* its ADD line */
	int	 fd;		/* the read end clmd keeps */
	bool	 ended;
};

struct clm_state {
	int			 version;
	int			 ctl_fd;	/* the control socket, listening */
	int			 lock_fd;	/* clmd.pid, locked */
	int			 client_fd;	/* who asked: gets the answer */
	int			 logd_pid;	/* the old clm-logd: SIGKILLed */
	unsigned long		 runs;
	bool			 foreground;
	char			*config;	/* -f FILE, or NULL */
	struct clm_state_app	*apps;
	size_t			 napps;
	struct clm_state_stream	*streams;
	size_t			 nstreams;
	struct clm_state_listener *inherited;	/* from systemd */
	size_t			 ninherited;
};

void upgrade_state_free(struct clm_state *);
/* Let every fd of the state through exec (on: false), or not again. */
void upgrade_state_cloexec(const struct clm_state *, bool on);

#endif
