/*
 * An app's listening sockets. clmd binds each address once, the first time
 * a worker (or --listen) asks for it, listens, and keeps the socket until
 * the app is deleted: workers come and go, the port stays open, and
 * connections wait in the kernel's backlog meanwhile. clmd never accepts.
 */
#ifndef CLM_LISTENERS_H
#define CLM_LISTENERS_H

#include <sys/types.h>

#include "clm/common.h"

struct clm_listen_addr {
	int	 family;	/* AF_INET or AF_INET6 */
	char	*host;		/* numeric: "127.0.0.1", "::" */
	int	 port;
	bool	 v6only;
};

struct clm_listener {
	struct clm_listen_addr	 addr;
	int			 slot;	/* SO_REUSEPORT: the worker slot (or a
					   reload's key, see listeners_rekey);
					   else -1 */
	int			 fd;
	/* Its index in the kernel's SO_REUSEPORT group (the order sockets
	 * joined, the last one moved into a leaver's place): -1 out of a
	 * group, LISTENERS_GIDX_UNKNOWN (taken over by clm update). */
	int			 gidx;
	bool			 draining;	/* new connections go elsewhere */
};

#define LISTENERS_GIDX_UNKNOWN	(-2)

/* The most addresses one app may hold. */
#define LISTENERS_APP_MAX	64

/*
 * The sockets of one app, and the addresses it owns: an address belongs
 * to the app that first asked for it (a worker's bind, or --listen) until
 * the app is deleted. Another app asking for it, or for an address that
 * overlaps it (0.0.0.0 and 127.0.0.1 of one port, [::] and anything), is
 * refused with EADDRINUSE, as the kernel would refuse it; so is an address
 * a process outside clm listens on. Sockets of an app that runs as another
 * user are created with that user's credentials, so that the kernel keeps
 * users' SO_REUSEPORT groups apart too.
 */
struct clm_listeners {
	struct clm_listener	*v;
	size_t			 n;
	char			*owner;		/* the app's name */
	uid_t			 uid;		/* its workers' user and group */
	gid_t			 gid;
	struct clm_listen_addr	*owned;
	size_t			 nowned;
	char			*refusal;	/* the last request refused */
	uint64_t		 log_at;	/* refusals logged: rate limit */
	unsigned		 nlogged;
	unsigned		 nunlogged;
	bool			 registered;
};

/*
 * Parse a --listen value: "PORT", "HOST:PORT", "[V6]:PORT". A PORT alone
 * means every address, IPv6 and IPv4 ("::", dual-stack). -1 with *cause.
 */
int listeners_parse(const char *s, struct clm_listen_addr *out, char **cause);
char *listeners_format(const struct clm_listen_addr *);	/* "host:port" */
void listeners_addr_clear(struct clm_listen_addr *);
/*
 * One spelling per address: the host printed back from its parse
 * ("0::" is "::"), v6only false for IPv4 and IPv4-mapped, true for a
 * specific IPv6 address. -1 when host is not a numeric address.
 */
int listeners_normalise(struct clm_listen_addr *);

/*
 * Whose sockets these are: the app's name, and the user and group its
 * workers run as (NULL: clmd's). Registers the app as an owner of
 * addresses; listeners_close forgets it. Call again when they change.
 */
void listeners_own(struct clm_listeners *, const char *app,
    const char *user, const char *group);
/*
 * A worker's request (its bind() through the channel) for addr in slot:
 * besides ownership, a non-root app gets a privileged port (below
 * net.ipv4.ip_unprivileged_port_start) only when granted, the app's
 * --listen values, name it; at most LISTENERS_APP_MAX addresses. Refusals
 * are logged (rate-limited) and kept as ls->refusal. -1 with *err, *cause.
 */
/* Is port below net.ipv4.ip_unprivileged_port_start? */
bool listeners_port_privileged(int port);
int listeners_request(struct clm_listeners *, const struct clm_listen_addr *,
    int slot, char *const *granted, int *err, char **cause);

/*
 * The socket for addr: the one already bound, or a new one. With slot -1,
 * one socket that every worker shares; with a slot, a socket of that slot
 * in an SO_REUSEPORT group, among which the kernel spreads connections.
 * -1 with *err (an errno) and *cause.
 */
int listeners_get(struct clm_listeners *, const struct clm_listen_addr *,
    int slot, int *err, char **cause);
/*
 * Draining: new connections of the slot's addresses go to the other
 * sockets of their SO_REUSEPORT groups (a classic BPF program on the
 * group, SO_ATTACH_REUSEPORT_CBPF, attached only while a socket drains);
 * what already waits in the slot's queues stays for its worker to accept.
 * Returns whether every socket of the slot is steered around (false: it
 * is alone in its group, or the group's order is not known).
 */
bool listeners_drain(struct clm_listeners *, int slot, bool on);
/* Connections waiting in the accept queues of the slot's sockets. */
int listeners_queued(const struct clm_listeners *, int slot);
/* The local ports of the app's sockets, in ports[max]: how many. */
size_t listeners_ports(const struct clm_listeners *, int *ports, size_t max);
/*
 * clm update and a clmd taking over after a crash: order[] (ls->n) gets
 * the sockets in the order of their groups (export them so);
 * listeners_adopted, after they are taken over in that order, knows the
 * kernel's order again (a socket that listens is in its group).
 */
void listeners_order(const struct clm_listeners *, size_t *order);
void listeners_adopted(struct clm_listeners *);
/* The sockets of slot from become slot to's (a reload's new socket). */
void listeners_rekey(struct clm_listeners *, int from, int to);
/* Close the sockets of one slot: what waits in their queues is reset. */
void listeners_close_slot(struct clm_listeners *, int slot);
void listeners_close(struct clm_listeners *);
/*
 * An app a person stopped: its sockets stop listening, so that a
 * connection is refused at once instead of waiting in a queue nobody
 * reads; they stay bound, and the app keeps its addresses until it is
 * deleted. listeners_resume listens again (a start).
 */
void listeners_pause(struct clm_listeners *);
void listeners_resume(struct clm_listeners *);

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
