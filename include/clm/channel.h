/*
 * The channel between clmd and one worker: a SOCK_SEQPACKET socket pair;
 * the worker inherits its end as fd $CLM_NOTIFY_FD. The worker (through
 * the preload libraries, or by itself) sends short text messages:
 *
 *   BIND <4|6> <host> <port> <v6only>   give me the shared socket for this
 *                                       address; answered "OK" with the fd
 *                                       (SCM_RIGHTS) or "ERR <errno> <text>"
 *                                       (EADDRINUSE: another app owns it;
 *                                       EACCES: a privileged port not
 *                                       granted; EMFILE: too many addresses)
 *   LISTEN                              I listen on a shared socket: ready
 *   READY=1                             I am ready (sd_notify style; other
 *                                       KEY=VALUE lines are ignored)
 *   WATCHDOG=1                          I am alive (the app's watchdog
 *                                       option; sd_notify style)
 *
 * Everything a worker sends is untrusted: bounded, parsed defensively, and
 * at most a few messages are read per loop iteration.
 */
#ifndef CLM_CHANNEL_H
#define CLM_CHANNEL_H

#include <uv.h>

#include "clm/listeners.h"

#define CHANNEL_MSG_MAX 512

enum channel_kind {
	CHANNEL_INVALID,
	CHANNEL_BIND,
	CHANNEL_LISTEN,
	CHANNEL_READY,
	CHANNEL_IGNORED,	/* well-formed, nothing to do */
};

struct channel_msg {
	enum channel_kind	 kind;
	struct clm_listen_addr	 addr;	/* BIND; host freed by the caller */
	bool			 watchdog; /* a WATCHDOG=1 line */
};

/* Parse one message (len bytes, need not be terminated). */
enum channel_kind channel_parse(const char *buf, size_t len,
    struct channel_msg *out);

struct channel_cbs {
	/* The shared socket for addr, or -1 with *err (errno) and *cause. */
	int	(*bind)(void *arg, const struct clm_listen_addr *, int *err,
		    char **cause);
	void	(*ready)(void *arg, const char *how);
	/* WATCHDOG=1: the worker is alive. NULL: ignored. */
	void	(*watchdog)(void *arg);
};

struct clm_channel;

/*
 * Make a channel; *child_fd is the worker's end (close-on-exec; the caller
 * hands it to the spawned worker, then closes it). -1 with *cause.
 */
int channel_open(uv_loop_t *, const struct channel_cbs *, void *arg,
    struct clm_channel **out, int *child_fd, char **cause);
/* A channel whose clmd end is fd already (clm update). */
int channel_adopt(uv_loop_t *, const struct channel_cbs *, void *arg, int fd,
    struct clm_channel **out, char **cause);
/* clmd's end, for clm update. */
int channel_fd(const struct clm_channel *);
/* Stop listening to the worker and free the channel. */
void channel_close(struct clm_channel *);

#endif
