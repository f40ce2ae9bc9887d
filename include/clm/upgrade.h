/*
 * clm update: clmd re-executes its binary in its own process, so that
 * every worker stays its child, and hands the new image its state: apps,
 * workers, listening sockets, worker channels, log streams, the control
 * socket, its lock. Nothing restarts and no port closes.
 *
 * The state travels as JSON (proto.c) in a memfd whose number is given to
 * the new image as `clmd --upgrade-from FD`. The new binary is asked
 * first (the handshake below) whether it is a clmd that reads this
 * version of it.
 */
#ifndef CLM_UPGRADE_H
#define CLM_UPGRADE_H

#include <uv.h>

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
	int		 pidfd;		/* pidfd_open() of pid; -1: none (an
					   older clmd's; no longer sent) */
	uint64_t	 start_time;	/* of pid (/proc/PID/stat field 22):
					   another is not it; 0: unknown */
	int		 sock_key;	/* its sockets' slot (a reload's) */
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
	/* Workers of an operation a crash ended (a reload's new or old one,
	 * the extra ones of a scale down): the next clmd stops them. */
	struct clm_state_worker		*strays;
	size_t				 nstrays;
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
	int			 keeper_fd;	/* to clm-keeper; -1: none */
	unsigned long		 runs;
	bool			 foreground;
	char			*config;	/* -f FILE, or NULL */
	struct clm_state_app	*apps;
	size_t			 napps;
	struct clm_state_stream	*streams;
	size_t			 nstreams;
	struct clm_state_listener *inherited;	/* from systemd */
	size_t			 ninherited;
	/* The apps' specs are the live ones, not copies (a checkpoint
	 * written at once): upgrade_state_free() leaves them. */
	bool			 borrow_specs;
};

/*
 * The handshake before the exec: the new binary runs as
 * `PATH --check-upgrade VERSION NONCE` with a pipe as fd 3
 * (CLM_UPGRADE_ANSWER_FD). A clmd that reads state VERSION writes
 * "clmd-upgrade NONCE VERSION CLM_VERSION\n" there and exits 0; one that
 * does not writes "clmd-upgrade NONCE refuse CLM_VERSION\n".
 * Anything else (no answer, a wrong nonce, no end within
 * CLM_UPGRADE_CHECK_MS) refuses the binary: an exit status proves nothing
 * (/bin/true exits 0).
 */
#define CLM_UPGRADE_ANSWER_FD	3
#define CLM_UPGRADE_CHECK_MS	10000

/* cause NULL: path is a clmd that takes this state; else why not. */
typedef void (*upgrade_check_cb)(void *arg, const char *path,
    const char *cause);
/* Run the handshake with path; cb is called once, from the loop. */
void upgrade_check(uv_loop_t *, const char *path, upgrade_check_cb,
    void *arg);
/* The new binary's side: argv is what follows --check-upgrade. Returns
 * the exit status. */
int upgrade_check_answer(int argc, char **argv);

void upgrade_state_free(struct clm_state *);
/* The state in a new memfd, at offset 0; -1 with errno. */
int upgrade_state_write(const struct clm_state *, bool cloexec);
/* Read and decode the state at fd (from its start), and close fd. */
int upgrade_state_read(int fd, struct clm_state *, char **cause);
/* An empty state of this version, every fd -1. */
void upgrade_state_init(struct clm_state *);
/* Let every fd of the state through exec (on: false), or not again. */
void upgrade_state_cloexec(const struct clm_state *, bool on);
/* Call fn on every fd field of the state (-1 or not): to list, move or
 * close them. */
void upgrade_state_fds(struct clm_state *, void (*fn)(int *fd, void *arg),
    void *arg);

#endif
