/* An app's listening sockets, bound and owned by clmd. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "clm/listeners.h"
#include "clm/log.h"
#include "clm/upgrade.h"

/* The sockets systemd handed to clmd, and their LISTEN_FDNAMES: a name
 * that is an app's gives that app the socket's address (the mapping). */
static struct clm_listeners inherited;
static char **inherited_names;		/* parallel to inherited.v */

/* Every app's listeners: who owns which address. */
static struct clm_listeners **owners;
static size_t nowners;

#define LISTEN_BACKLOG	4096	/* the kernel caps it at somaxconn */
#define REFUSAL_LOG_MS	10000	/* refusals logged per app: at most */
#define REFUSAL_LOG_MAX	5	/* this many in this long */
#define UNPRIV_PORT_FILE "/proc/sys/net/ipv4/ip_unprivileged_port_start"

void
listeners_addr_clear(struct clm_listen_addr *a)
{
	free(a->host);
	a->host = NULL;
}

int
listeners_parse(const char *s, struct clm_listen_addr *out, char **cause)
{
	const char	*colon, *port = s;
	char		*host = NULL;
	unsigned char	 buf[sizeof(struct in6_addr)];
	long long	 p;

	memset(out, 0, sizeof *out);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			goto bad;
		host = clm_strndup(s + 1, close - s - 1);
		port = close + 2;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		host = clm_strndup(s, colon - s);
		port = colon + 1;
	}
	if (clm_parse_int(port, 1, 65535, &p) == -1)
		goto bad;
	out->port = (int)p;
	if (host == NULL || *host == '\0' || strcmp(host, "*") == 0) {
		free(host);
		out->family = AF_INET6;
		out->host = clm_strdup("::");
		out->v6only = false;
		return 0;
	}
	if (strcmp(host, "localhost") == 0) {
		free(host);
		host = clm_strdup("127.0.0.1");
	}
	if (inet_pton(AF_INET, host, buf) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, buf) == 1) {
		out->family = AF_INET6;
		out->v6only = true;
	} else {
		*cause = clm_asprintf("--listen %s: '%s' is not a numeric IPv4 "
		    "or IPv6 address (use 127.0.0.1, 0.0.0.0, ::1 or [::])",
		    s, host);
		free(host);
		return -1;
	}
	out->host = host;
	listeners_normalise(out);
	return 0;
bad:
	free(host);
	*cause = clm_asprintf("--listen %s: expected PORT, HOST:PORT or "
	    "[IPV6]:PORT with a port from 1 to 65535", s);
	return -1;
}

char *
listeners_format(const struct clm_listen_addr *a)
{
	if (a->family == AF_INET6)
		return clm_asprintf("[%s]:%d", a->host, a->port);
	return clm_asprintf("%s:%d", a->host, a->port);
}

int
listeners_normalise(struct clm_listen_addr *a)
{
	struct in6_addr	 b;
	char		 host[INET6_ADDRSTRLEN];

	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    a->host == NULL || inet_pton(a->family, a->host, &b) != 1 ||
	    inet_ntop(a->family, &b, host, sizeof host) == NULL)
		return -1;
	if (a->family == AF_INET || IN6_IS_ADDR_V4MAPPED(&b))
		a->v6only = false;
	else if (!IN6_IS_ADDR_UNSPECIFIED(&b))
		a->v6only = true;
	free(a->host);
	a->host = clm_strdup(host);
	return 0;
}

/* What an address covers, whatever its family: IPv4 as IPv4-mapped. */
struct addr_key {
	bool		 v4;
	bool		 any;	/* 0.0.0.0 or :: */
	bool		 dual;	/* :: that takes IPv4 too */
	unsigned char	 b[16];
	int		 port;
};

static void
addr_key(const struct clm_listen_addr *a, struct addr_key *k)
{
	static const unsigned char	zero[16];
	struct in6_addr			b;

	memset(k, 0, sizeof *k);
	k->port = a->port;
	if (a->family == AF_INET) {
		k->v4 = inet_pton(AF_INET, a->host, k->b + 12) == 1;
	} else if (inet_pton(AF_INET6, a->host, &b) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&b)) {
			k->v4 = true;
			memcpy(k->b + 12, b.s6_addr + 12, 4);
		} else
			memcpy(k->b, b.s6_addr, 16);
	}
	k->any = memcmp(k->b, zero, 16) == 0;
	k->dual = k->any && !k->v4 && !a->v6only;
}

/* Do connections to b's address reach a socket bound to a? */
static bool
key_covers(const struct addr_key *a, const struct addr_key *b)
{
	if (a->port != b->port)
		return false;
	if (a->any)
		return a->v4 ? b->v4 : (!b->v4 || a->dual);
	return !b->any && a->v4 == b->v4 && memcmp(a->b, b->b, 16) == 0;
}

static bool
addr_overlap(const struct clm_listen_addr *a, const struct clm_listen_addr *b)
{
	struct addr_key	ka, kb;

	addr_key(a, &ka);
	addr_key(b, &kb);
	return key_covers(&ka, &kb) || key_covers(&kb, &ka);
}

static bool
addr_equal(const struct clm_listen_addr *a, const struct clm_listen_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    a->v6only == b->v6only && strcmp(a->host, b->host) == 0;
}

/* Does ls hold an address that overlaps a (owned, or a socket)? */
static bool
holds(const struct clm_listeners *ls, const struct clm_listen_addr *a,
    bool sockets_only)
{
	size_t	i;

	for (i = 0; !sockets_only && i < ls->nowned; i++) {
		if (addr_overlap(&ls->owned[i], a))
			return true;
	}
	for (i = 0; i < ls->n; i++) {
		if (addr_overlap(&ls->v[i].addr, a))
			return true;
	}
	return false;
}

static bool
owns(const struct clm_listeners *ls, const struct clm_listen_addr *a)
{
	size_t	i;

	for (i = 0; i < ls->nowned; i++) {
		if (addr_equal(&ls->owned[i], a))
			return true;
	}
	return false;
}

/* The other app that owns an address overlapping a, or NULL. */
static const struct clm_listeners *
owner_of(const struct clm_listeners *self, const struct clm_listen_addr *a)
{
	size_t	i;

	for (i = 0; i < nowners; i++) {
		if (owners[i] != self && holds(owners[i], a, false))
			return owners[i];
	}
	return NULL;
}

void
listeners_own(struct clm_listeners *ls, const char *app, const char *user,
    const char *group)
{
	struct passwd	*pw;
	struct group	*gr;

	free(ls->owner);
	ls->owner = clm_strdup(app);
	ls->uid = geteuid();
	ls->gid = getegid();
	if (user != NULL && (pw = getpwnam(user)) != NULL) {
		ls->uid = pw->pw_uid;
		ls->gid = pw->pw_gid;
	}
	if (group != NULL && (gr = getgrnam(group)) != NULL)
		ls->gid = gr->gr_gid;
	if (!ls->registered) {
		owners = clm_realloc(owners, (nowners + 1) * sizeof *owners);
		owners[nowners++] = ls;
		ls->registered = true;
	}
}

/*
 * A socket bound without SO_REUSEPORT: it fails where any other socket
 * listens on an overlapping address, whoever's, so that no socket of ours
 * joins the SO_REUSEPORT group of a process outside clm.
 */
static int
probe_free(const struct clm_listen_addr *a, const struct sockaddr *sa,
    socklen_t len)
{
	int	fd, one = 1, v6only = a->v6only, err = 0;

	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    (a->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &v6only, sizeof v6only) == -1) || bind(fd, sa, len) == -1)
		err = errno;
	close(fd);
	return err;
}

static int
open_socket(const struct clm_listeners *ls, const struct clm_listen_addr *a,
    bool reuseport, bool probe, int *err)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, one = 1, v6only = a->v6only;

	memset(&ss, 0, sizeof ss);
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		if (inet_pton(AF_INET, a->host, &sin->sin_addr) != 1)
			return *err = EINVAL, -1;
		len = sizeof *sin;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		if (inet_pton(AF_INET6, a->host, &sin6->sin6_addr) != 1)
			return *err = EINVAL, -1;
		len = sizeof *sin6;
	}
	if (probe && (*err = probe_free(a, (struct sockaddr *)&ss, len)) != 0)
		return -1;
	/*
	 * Non-blocking: several workers accept on it, and a worker whose
	 * accept() loop runs until EAGAIN must not hang in it. Made with the
	 * app's user as the socket's owner: the kernel lets only sockets of
	 * one owner share a port with SO_REUSEPORT.
	 */
	if (ls->registered && ls->uid != geteuid()) {
		setfsgid(ls->gid);
		setfsuid(ls->uid);
	}
	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ls->registered && ls->uid != geteuid()) {
		*err = errno;
		setfsuid(geteuid());
		setfsgid(getegid());
		errno = *err;
	}
	if (fd == -1)
		return *err = errno, -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof one) == -1) ||
	    (a->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &v6only, sizeof v6only) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		*err = errno;
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The socket from systemd that serves a, or (size_t)-1. A socket from
 * systemd is one: every worker shares it. Its address is the admin's
 * choice: an app that binds any address (0.0.0.0, ::) of that port gets
 * it too.
 */
static size_t
inherited_for(const struct clm_listen_addr *a)
{
	size_t	i;

	for (i = 0; i < inherited.n; i++) {
		if (addr_equal(&inherited.v[i].addr, a))
			return i;
	}
	for (i = 0; i < inherited.n; i++) {
		if (inherited.v[i].addr.port == a->port &&
		    (strcmp(a->host, "::") == 0 ||
		    strcmp(a->host, "0.0.0.0") == 0))
			return i;
	}
	return (size_t)-1;
}

/* The app socket i is mapped to (its LISTEN_FDNAMES name), or NULL:
 * systemd's defaults ("unknown", "NAME.socket") map to no app. */
static const char *
inherited_mapped(size_t i)
{
	const char	*name;
	size_t		 len;

	if (inherited_names == NULL || i >= inherited.n ||
	    (name = inherited_names[i]) == NULL || *name == '\0' ||
	    strcmp(name, "unknown") == 0 || strcmp(name, "stored") == 0)
		return NULL;
	len = strlen(name);
	if (len > 7 && strcmp(name + len - 7, ".socket") == 0)
		return NULL;
	return name;
}

/* ---- SO_REUSEPORT groups: the kernel's order, and steering ---- */

static bool
same_group(const struct clm_listener *x, const struct clm_listener *y)
{
	return x->slot >= 0 && y->slot >= 0 && addr_equal(&x->addr, &y->addr);
}

/* Members of i's group that are in it now (-1: the order is unknown). */
static int
group_live(const struct clm_listeners *ls, size_t i)
{
	size_t	j;
	int	n = 0;

	for (j = 0; j < ls->n; j++) {
		if (!same_group(&ls->v[i], &ls->v[j]))
			continue;
		if (ls->v[j].gidx == LISTENERS_GIDX_UNKNOWN)
			return -1;
		n += ls->v[j].gidx >= 0;
	}
	return n;
}

/* i listens: the kernel appends it to its group. */
static void
group_join(struct clm_listeners *ls, size_t i)
{
	int	n;

	if (ls->v[i].slot < 0 || ls->v[i].gidx != -1)
		return;
	n = group_live(ls, i);
	ls->v[i].gidx = n < 0 ? LISTENERS_GIDX_UNKNOWN : n;
}

/* i leaves its group (closed, or shut down): the kernel moves the last
 * member into its place. */
static void
group_leave(struct clm_listeners *ls, size_t i)
{
	int	last = group_live(ls, i) - 1, was = ls->v[i].gidx;
	size_t	j;

	if (was < 0)
		return;
	ls->v[i].gidx = -1;
	for (j = 0; j < ls->n; j++) {
		if (j != i && same_group(&ls->v[i], &ls->v[j]) &&
		    ls->v[j].gidx == last)
			ls->v[j].gidx = was;
	}
}

#define STEER_MAX	1000	/* sockets a program chooses among */

/*
 * The program of i's group: the non-draining members, chosen at random
 * (SKF_AD_RANDOM % n, then a jump per member); none when no member drains
 * (the kernel's own hash then: nothing runs per connection), when every
 * member drains, or when the order is not known. Returns whether the
 * draining members are steered around.
 */
static bool
group_steer(const struct clm_listeners *ls, size_t i)
{
	struct sock_filter	*f;
	struct sock_fprog	 prog;
	int			 live = group_live(ls, i), *idx, nt = 0, t;
	int			 zero = 0;
	bool			*seen, ok = true;
	size_t			 j, k = 0;

	if (live <= 0)
		return false;
	idx = clm_calloc(live, sizeof *idx);
	seen = clm_calloc(live, sizeof *seen);
	for (j = 0; j < ls->n; j++) {
		if (!same_group(&ls->v[i], &ls->v[j]) || ls->v[j].gidx < 0)
			continue;
		if (ls->v[j].gidx >= live || seen[ls->v[j].gidx])
			ok = false;	/* not the kernel's order: give up */
		else
			seen[ls->v[j].gidx] = true;
		if (!ls->v[j].draining && nt < live)
			idx[nt++] = ls->v[j].gidx;
	}
	if (!ok || nt == 0 || nt == live || nt > STEER_MAX) {
		if (setsockopt(ls->v[i].fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF,
		    &zero, sizeof zero) == -1 && errno != ENOENT)
			log_warn("%s: detach the SO_REUSEPORT program",
			    ls->owner ? ls->owner : "?");
		free(idx);
		free(seen);
		return ok && nt > 0 && nt < live;
	}
	f = clm_calloc(2 * nt + 1, sizeof *f);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    SKF_AD_OFF + SKF_AD_RANDOM);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, nt);
	for (t = 0; t < nt - 1; t++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, t, 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, idx[t]);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, idx[nt - 1]);
	memset(&prog, 0, sizeof prog);	/* its padding goes to the kernel too */
	prog.len = (unsigned short)k;
	prog.filter = f;
	if (setsockopt(ls->v[i].fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF,
	    &prog, sizeof prog) == -1) {
		log_warn("%s: attach the SO_REUSEPORT program",
		    ls->owner ? ls->owner : "?");
		ok = false;
	}
	free(f);
	free(idx);
	free(seen);
	return ok;
}

/* Steer every group of ls; whether the sockets of slot are steered around
 * (every one of them: some socket of slot drains). */
static bool
steer(struct clm_listeners *ls, int slot)
{
	size_t	i, j;
	bool	all = true, any = false, first, ok;

	for (i = 0; i < ls->n; i++) {
		if (ls->v[i].slot < 0)
			continue;
		for (first = true, j = 0; j < i && first; j++)
			first = !same_group(&ls->v[i], &ls->v[j]);
		if (!first)
			continue;
		ok = group_steer(ls, i);
		for (j = 0; j < ls->n; j++) {
			if (ls->v[j].slot != slot || !same_group(&ls->v[i],
			    &ls->v[j]))
				continue;
			any = true;
			all = all && ok;
		}
	}
	return any && all;
}

bool
listeners_drain(struct clm_listeners *ls, int slot, bool on)
{
	size_t	i;
	bool	changed = false;

	for (i = 0; i < ls->n; i++) {
		if (ls->v[i].slot == slot && ls->v[i].draining != on) {
			ls->v[i].draining = on;
			changed = true;
		}
	}
	if (!changed && !on)
		return false;
	return steer(ls, slot) && on;
}

int
listeners_queued(const struct clm_listeners *ls, int slot)
{
	struct tcp_info	ti;
	socklen_t	len;
	size_t		i;
	int		n = 0;

	for (i = 0; i < ls->n; i++) {
		if (ls->v[i].slot != slot)
			continue;
		len = sizeof ti;
		memset(&ti, 0, sizeof ti);
		/* A listener's tcpi_unacked is its accept queue. */
		if (getsockopt(ls->v[i].fd, IPPROTO_TCP, TCP_INFO, &ti,
		    &len) == 0 && ti.tcpi_state == TCP_LISTEN)
			n += (int)ti.tcpi_unacked;
	}
	return n;
}

size_t
listeners_ports(const struct clm_listeners *ls, int *ports, size_t max)
{
	size_t	i, j, n = 0;

	for (i = 0; i < ls->n && n < max; i++) {
		for (j = 0; j < n && ports[j] != ls->v[i].addr.port; j++)
			;
		if (j == n)
			ports[n++] = ls->v[i].addr.port;
	}
	return n;
}

void
listeners_order(const struct clm_listeners *ls, size_t *order)
{
	size_t	i, j, t;

	for (i = 0; i < ls->n; i++)
		order[i] = i;
	for (i = 1; i < ls->n; i++) {
		for (j = i; j > 0 && ls->v[order[j - 1]].gidx >
		    ls->v[order[j]].gidx; j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	}
}

void
listeners_adopted(struct clm_listeners *ls)
{
	struct tcp_info	ti;
	socklen_t	len;
	size_t		i;

	for (i = 0; i < ls->n; i++) {
		ls->v[i].gidx = -1;
		ls->v[i].draining = false;
	}
	for (i = 0; i < ls->n; i++) {
		len = sizeof ti;
		memset(&ti, 0, sizeof ti);
		if (ls->v[i].slot >= 0 && getsockopt(ls->v[i].fd, IPPROTO_TCP,
		    TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_LISTEN)
			group_join(ls, i);
	}
}

void
listeners_rekey(struct clm_listeners *ls, int from, int to)
{
	size_t	i;

	for (i = 0; i < ls->n; i++) {
		if (ls->v[i].slot == from)
			ls->v[i].slot = to;
	}
}

static int
get(struct clm_listeners *ls, const struct clm_listen_addr *a, int slot,
    int *err, char **cause)
{
	const struct clm_listeners	*other;
	const char			*owner;
	struct clm_listener		*l;
	char				*name;
	size_t				 i;
	int				 fd, from = -1;

	name = listeners_format(a);
	if ((other = owner_of(ls, a)) != NULL) {
		*err = EADDRINUSE;
		*cause = clm_asprintf("cannot listen on %s: the address "
		    "belongs to app %s (clm gives an address to one app, "
		    "until that app is deleted)", name, other->owner);
		free(name);
		return -1;
	}
	if ((i = inherited_for(a)) != (size_t)-1) {
		owner = inherited_mapped(i);
		if (owner != NULL && (ls->owner == NULL ||
		    strcmp(owner, ls->owner) != 0)) {
			*err = EADDRINUSE;
			*cause = clm_asprintf("cannot listen on %s: the address "
			    "belongs to app %s (systemd's socket named %s)",
			    name, owner, owner);
			free(name);
			return -1;
		}
		from = inherited.v[i].fd;
	}
	if (from != -1)
		slot = -1;
	/* The slot's socket, or one that every worker shares (--listen). */
	for (i = 0; i < ls->n; i++) {
		if (addr_equal(&ls->v[i].addr, a) && ls->v[i].slot == slot) {
			free(name);
			return ls->v[i].fd;
		}
	}
	for (i = 0; i < ls->n; i++) {
		if (addr_equal(&ls->v[i].addr, a) && ls->v[i].slot == -1) {
			free(name);
			return ls->v[i].fd;
		}
	}
	/*
	 * The app's own --listen socket on an overlapping address (--listen
	 * 3000 is [::]:3000, and the app binds 127.0.0.1:3000): the app
	 * gets it, as a socket from systemd, instead of a bind that the
	 * kernel refuses. The --listen address is the admin's choice.
	 */
	for (i = 0; i < ls->n; i++) {
		if (ls->v[i].slot == -1 && addr_overlap(&ls->v[i].addr, a)) {
			free(name);
			return ls->v[i].fd;
		}
	}
	if (!owns(ls, a) && ls->nowned >= LISTENERS_APP_MAX) {
		*err = EMFILE;
		*cause = clm_asprintf("cannot listen on %s: app %s already "
		    "holds %d addresses, the most an app may", name,
		    ls->owner ? ls->owner : "?", LISTENERS_APP_MAX);
		free(name);
		return -1;
	}
	if (from != -1) {
		if ((fd = fcntl(from, F_DUPFD_CLOEXEC, 3)) == -1)
			*err = errno;
	} else
		fd = open_socket(ls, a, slot >= 0, !holds(ls, a, true), err);
	if (fd == -1) {
		if (*err == EADDRINUSE)
			*cause = clm_asprintf("cannot listen on %s: another "
			    "process (not an app of clm) listens on it", name);
		else
			*cause = clm_asprintf("cannot listen on %s: %s", name,
			    strerror(*err));
		free(name);
		return -1;
	}
	free(name);
	if (!owns(ls, a)) {
		ls->owned = clm_realloc(ls->owned,
		    (ls->nowned + 1) * sizeof *ls->owned);
		ls->owned[ls->nowned] = *a;
		ls->owned[ls->nowned++].host = clm_strdup(a->host);
	}
	ls->v = clm_realloc(ls->v, (ls->n + 1) * sizeof *ls->v);
	l = &ls->v[ls->n++];
	l->fd = fd;
	l->slot = slot;
	l->addr = *a;
	l->addr.host = clm_strdup(a->host);
	l->draining = false;
	l->gidx = -1;
	if (from == -1 && slot >= 0)
		group_join(ls, ls->n - 1);
	return fd;
}

int
listeners_get(struct clm_listeners *ls, const struct clm_listen_addr *a,
    int slot, int *err, char **cause)
{
	struct clm_listen_addr	n = *a;
	int			fd;

	n.host = clm_strdup(a->host ? a->host : "");
	if (listeners_normalise(&n) == -1) {
		*err = EINVAL;
		*cause = clm_asprintf("cannot listen on '%s' port %d: not a "
		    "numeric IPv4 or IPv6 address", n.host, a->port);
		listeners_addr_clear(&n);
		return -1;
	}
	fd = get(ls, &n, slot, err, cause);
	listeners_addr_clear(&n);
	return fd;
}

static int
unprivileged_port_start(void)
{
	char	 buf[32];
	FILE	*f = fopen(UNPRIV_PORT_FILE, "re");
	int	 port = 1024;

	if (f != NULL) {
		if (fgets(buf, sizeof buf, f) != NULL)
			port = atoi(buf);
		fclose(f);
	}
	return port;
}

bool
listeners_port_privileged(int port)
{
	return port < unprivileged_port_start();
}

/* Is a one of the operator's --listen addresses (or within one)? */
static bool
granted_to(char *const *granted, const struct clm_listen_addr *a)
{
	struct clm_listen_addr	 g;
	struct addr_key		 kg, ka;
	char			*cause = NULL;
	bool			 yes = false;
	size_t			 i;

	addr_key(a, &ka);
	for (i = 0; granted != NULL && granted[i] != NULL && !yes; i++) {
		if (listeners_parse(granted[i], &g, &cause) == -1) {
			free(cause);
			cause = NULL;
			continue;
		}
		addr_key(&g, &kg);
		yes = key_covers(&kg, &ka);
		listeners_addr_clear(&g);
	}
	return yes;
}

/* Is a's socket from systemd named for this app? */
static bool
mapped_to(const struct clm_listeners *ls, const struct clm_listen_addr *a)
{
	const char	*owner;
	size_t		 i;

	return (i = inherited_for(a)) != (size_t)-1 &&
	    (owner = inherited_mapped(i)) != NULL && ls->owner != NULL &&
	    strcmp(owner, ls->owner) == 0;
}

static void
refusal(struct clm_listeners *ls, int slot, const char *cause)
{
	uint64_t	now = clm_now_ms();

	free(ls->refusal);
	ls->refusal = clm_strdup(cause);
	/* An app that asks again and again must not fill clmd.log. */
	if (now - ls->log_at >= REFUSAL_LOG_MS) {
		if (ls->nunlogged > 0)
			log_warnx("%s: %u more refused requests were not "
			    "logged", ls->owner, ls->nunlogged);
		ls->log_at = now;
		ls->nlogged = ls->nunlogged = 0;
	}
	if (ls->nlogged++ < REFUSAL_LOG_MAX)
		log_warnx("%s:%d: %s", ls->owner, slot, cause);
	else
		ls->nunlogged++;
}

int
listeners_request(struct clm_listeners *ls, const struct clm_listen_addr *a,
    int slot, char *const *granted, int *err, char **cause)
{
	struct clm_listen_addr	 n = *a;
	char			*name;
	int			 fd = -1, start;

	n.host = clm_strdup(a->host ? a->host : "");
	if (listeners_normalise(&n) == -1) {
		*err = EINVAL;
		*cause = clm_strdup("cannot listen: not a numeric IPv4 or IPv6 "
		    "address");
		goto out;
	}
	if (ls->uid != 0 && n.port < (start = unprivileged_port_start()) &&
	    !granted_to(granted, &n) && !mapped_to(ls, &n)) {
		name = listeners_format(&n);
		*err = EACCES;
		*cause = clm_asprintf("cannot listen on %s: port %d is "
		    "privileged (below net.ipv4.ip_unprivileged_port_start=%d) "
		    "and app %s runs as uid %u; the operator gives it with "
		    "--listen %s", name, n.port, start, ls->owner,
		    (unsigned)ls->uid, name);
		free(name);
		goto out;
	}
	fd = get(ls, &n, slot, err, cause);
out:
	if (fd == -1)
		refusal(ls, slot, *cause);
	else {
		free(ls->refusal);
		ls->refusal = NULL;
	}
	listeners_addr_clear(&n);
	return fd;
}

void
listeners_close(struct clm_listeners *ls)
{
	size_t	i;

	for (i = 0; i < ls->n; i++) {
		close(ls->v[i].fd);
		listeners_addr_clear(&ls->v[i].addr);
	}
	free(ls->v);
	ls->v = NULL;
	ls->n = 0;
	for (i = 0; i < ls->nowned; i++)
		listeners_addr_clear(&ls->owned[i]);
	free(ls->owned);
	ls->owned = NULL;
	ls->nowned = 0;
	free(ls->owner);
	ls->owner = NULL;
	free(ls->refusal);
	ls->refusal = NULL;
	for (i = 0; ls->registered && i < nowners; i++) {
		if (owners[i] == ls) {
			owners[i] = owners[--nowners];
			break;
		}
	}
	ls->registered = false;
}

void
listeners_pause(struct clm_listeners *ls)
{
	size_t	i;

	/* Linux: shutdown() takes a listening socket out of LISTEN (what
	 * waits in its queue is reset), and keeps its bound address. */
	for (i = 0; i < ls->n; i++) {
		if (shutdown(ls->v[i].fd, SHUT_RDWR) == -1 &&
		    errno != ENOTCONN)
			log_warn("%s: shutdown of a listening socket",
			    ls->owner ? ls->owner : "?");
		else
			group_leave(ls, i);
	}
	steer(ls, -1);
}

void
listeners_resume(struct clm_listeners *ls)
{
	size_t	i;

	for (i = 0; i < ls->n; i++) {
		if (listen(ls->v[i].fd, LISTEN_BACKLOG) == -1)
			log_warn("%s: listen again", ls->owner ? ls->owner :
			    "?");
		else if (ls->v[i].slot >= 0 && ls->v[i].gidx == -1)
			group_join(ls, i);
	}
	steer(ls, -1);
}

void
listeners_close_slot(struct clm_listeners *ls, int slot)
{
	size_t	i = 0;

	while (i < ls->n) {
		if (ls->v[i].slot != slot) {
			i++;
			continue;
		}
		/* Out of its group now, whoever else still holds it (the
		 * keeper until its next state): the kernel's order must be
		 * the one steer() knows. */
		if (ls->v[i].gidx >= 0 && shutdown(ls->v[i].fd, SHUT_RDWR) ==
		    -1 && errno != ENOTCONN)
			log_warn("%s: shutdown of a listening socket",
			    ls->owner ? ls->owner : "?");
		group_leave(ls, i);
		close(ls->v[i].fd);
		listeners_addr_clear(&ls->v[i].addr);
		ls->v[i] = ls->v[--ls->n];
	}
	steer(ls, -1);
}

/* The address a socket is bound to, as a listen address. */
static int
socket_addr(int fd, struct clm_listen_addr *a)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof ss;
	char			host[INET6_ADDRSTRLEN];
	int			type, v6only = 0;
	socklen_t		olen = sizeof type;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) == -1 ||
	    type != SOCK_STREAM || getsockname(fd, (struct sockaddr *)&ss,
	    &len) == -1)
		return -1;
	memset(a, 0, sizeof *a);
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		a->port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		a->port = ntohs(sin6->sin6_port);
		olen = sizeof v6only;
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    &olen) == -1)
			v6only = 0;
	} else
		return -1;
	a->family = ss.ss_family;
	a->host = clm_strdup(host);
	a->v6only = v6only != 0;
	return 0;
}

int
listeners_inherit(char **cause)
{
	const char		*pid = getenv("LISTEN_PID");
	const char		*fds = getenv("LISTEN_FDS");
	struct clm_listen_addr	 a;
	long long		 n, p;
	char			*name, *names, *next, *fdname;
	int			 fd, flags;

	if (pid == NULL || fds == NULL)
		return 0;
	if (clm_parse_int(pid, 1, INT32_MAX, &p) == -1 || p != getpid()) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		return 0;		/* meant for another process */
	}
	if (clm_parse_int(fds, 0, 1024, &n) == -1) {
		*cause = clm_asprintf("LISTEN_FDS=%s is not a number of "
		    "sockets", fds);
		return -1;
	}
	names = clm_strdup(getenv("LISTEN_FDNAMES") ? getenv("LISTEN_FDNAMES")
	    : "");
	for (fd = 3, next = names; fd < 3 + n; fd++) {
		fdname = next != NULL ? strsep(&next, ":") : NULL;
		if ((flags = fcntl(fd, F_GETFD)) == -1)
			continue;
		fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
		if (socket_addr(fd, &a) == -1) {
			log_warnx("LISTEN_FDS: fd %d is not a TCP socket; "
			    "ignored", fd);
			continue;
		}
		/* Workers accept until EAGAIN: never block them. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		inherited.v = clm_realloc(inherited.v,
		    (inherited.n + 1) * sizeof *inherited.v);
		inherited.v[inherited.n].addr = a;
		inherited.v[inherited.n].slot = -1;
		inherited.v[inherited.n].fd = fd;
		inherited.v[inherited.n].gidx = -1;
		inherited.v[inherited.n].draining = false;
		inherited_names = clm_realloc(inherited_names,
		    (inherited.n + 1) * sizeof *inherited_names);
		inherited_names[inherited.n] = fdname != NULL ?
		    clm_strdup(fdname) : NULL;
		inherited.n++;
		listeners_normalise(&inherited.v[inherited.n - 1].addr);
		name = listeners_format(&inherited.v[inherited.n - 1].addr);
		log_info("socket from systemd: fd %d, %s%s%s", fd, name,
		    inherited_mapped(inherited.n - 1) ? ", for app " : "",
		    inherited_mapped(inherited.n - 1) ?
		    inherited_mapped(inherited.n - 1) : "");
		free(name);
	}
	free(names);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)inherited.n;
}

void
listeners_inherit_close(void)
{
	size_t	i;

	for (i = 0; inherited_names != NULL && i < inherited.n; i++)
		free(inherited_names[i]);
	free(inherited_names);
	inherited_names = NULL;
	listeners_close(&inherited);
}

void
listeners_inherit_export(struct clm_state_listener **out, size_t *n)
{
	size_t	i;

	*out = clm_calloc(inherited.n + 1, sizeof **out);
	for (i = 0; i < inherited.n; i++) {
		(*out)[i].addr = inherited.v[i].addr;
		(*out)[i].addr.host = clm_strdup(inherited.v[i].addr.host);
		(*out)[i].slot = -1;
		(*out)[i].fd = inherited.v[i].fd;
	}
	*n = inherited.n;
}

void
listeners_inherit_import(struct clm_state_listener *l, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		inherited.v = clm_realloc(inherited.v,
		    (inherited.n + 1) * sizeof *inherited.v);
		inherited.v[inherited.n].addr = l[i].addr;
		l[i].addr.host = NULL;
		inherited.v[inherited.n].slot = -1;
		inherited.v[inherited.n].fd = l[i].fd;
		inherited.v[inherited.n].gidx = -1;
		inherited.v[inherited.n].draining = false;
		/* clm update does not carry the names: no mapping after. */
		inherited_names = clm_realloc(inherited_names,
		    (inherited.n + 1) * sizeof *inherited_names);
		inherited_names[inherited.n] = NULL;
		inherited.n++;
	}
}
