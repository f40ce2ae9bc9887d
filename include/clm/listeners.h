/*
 * An app's listening sockets. clmd binds each address once, the first time
 * a worker (or --listen) asks for it, listens, and keeps the socket until
 * the app is deleted: workers come and go, the port stays open, and
 * connections wait in the kernel's backlog meanwhile. clmd never accepts.
 */
#ifndef CLM_LISTENERS_H
#define CLM_LISTENERS_H

#include "clm/common.h"

struct clm_listen_addr {
	int	 family;	/* AF_INET or AF_INET6 */
	char	*host;		/* numeric: "127.0.0.1", "::" */
	int	 port;
	bool	 v6only;
};

struct clm_listener {
	struct clm_listen_addr	 addr;
	int			 slot;	/* SO_REUSEPORT: the worker slot; else -1 */
	int			 fd;
};

struct clm_listeners {
	struct clm_listener	*v;
	size_t			 n;
};

/*
 * Parse a --listen value: "PORT", "HOST:PORT", "[V6]:PORT". A PORT alone
 * means every address, IPv6 and IPv4 ("::", dual-stack). -1 with *cause.
 */
int listeners_parse(const char *s, struct clm_listen_addr *out, char **cause);
char *listeners_format(const struct clm_listen_addr *);	/* "host:port" */
void listeners_addr_clear(struct clm_listen_addr *);

/*
 * The socket for addr: the one already bound, or a new one. With slot -1,
 * one socket that every worker shares; with a slot, a socket of that slot
 * in an SO_REUSEPORT group, among which the kernel spreads connections.
 * -1 with *err (an errno) and *cause.
 */
int listeners_get(struct clm_listeners *, const struct clm_listen_addr *,
    int slot, int *err, char **cause);
/* Close the sockets of one slot: what waits in their queues is reset. */
void listeners_close_slot(struct clm_listeners *, int slot);
void listeners_close(struct clm_listeners *);

/*
 * Sockets clmd was handed by systemd (LISTEN_FDS, LISTEN_PID): kept for
 * the daemon's whole life. An app that listens on one of their addresses
 * gets that socket (shared by its workers), so the port outlives even a
 * restart of clmd. Returns how many were adopted; unsets LISTEN_*.
 */
int listeners_inherit(char **cause);
void listeners_inherit_close(void);
/* clm update: the sockets from systemd, to hand over and take over. */
struct clm_state_listener;
void listeners_inherit_export(struct clm_state_listener **, size_t *);
void listeners_inherit_import(struct clm_state_listener *, size_t);

#endif
