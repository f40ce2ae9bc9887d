/* An app's listening sockets, bound and owned by clmd. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "clm/listeners.h"
#include "clm/log.h"
#include "clm/upgrade.h"

/* The sockets systemd handed to clmd. */
static struct clm_listeners inherited;

#define LISTEN_BACKLOG	4096	/* the kernel caps it at somaxconn */

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

static bool
addr_equal(const struct clm_listen_addr *a, const struct clm_listen_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	    a->v6only == b->v6only && strcmp(a->host, b->host) == 0;
}

static int
open_socket(const struct clm_listen_addr *a, bool reuseport, int *err)
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
	/* Non-blocking: several workers accept on it, and a worker whose
	 * accept() loop runs until EAGAIN must not hang in it. */
	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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

int
listeners_get(struct clm_listeners *ls, const struct clm_listen_addr *a,
    int slot, int *err, char **cause)
{
	struct clm_listener	*l;
	char			*name;
	size_t			 i;
	int			 fd, from = -1;

	/*
	 * A socket from systemd is one: every worker shares it. Its address
	 * is the admin's choice: an app that binds any address (0.0.0.0,
	 * ::) of that port gets it too.
	 */
	for (i = 0; i < inherited.n && from == -1; i++) {
		if (addr_equal(&inherited.v[i].addr, a))
			from = inherited.v[i].fd;
	}
	for (i = 0; i < inherited.n && from == -1; i++) {
		if (inherited.v[i].addr.port == a->port &&
		    (strcmp(a->host, "::") == 0 ||
		    strcmp(a->host, "0.0.0.0") == 0))
			from = inherited.v[i].fd;
	}
	if (from != -1)
		slot = -1;
	for (i = 0; i < ls->n; i++) {
		if (addr_equal(&ls->v[i].addr, a) && ls->v[i].slot == slot)
			return ls->v[i].fd;
	}
	if (from != -1) {
		if ((fd = fcntl(from, F_DUPFD_CLOEXEC, 3)) == -1)
			*err = errno;
	} else
		fd = open_socket(a, slot >= 0, err);
	if (fd == -1) {
		name = listeners_format(a);
		*cause = clm_asprintf("cannot listen on %s: %s", name,
		    strerror(*err));
		free(name);
		return -1;
	}
	ls->v = clm_realloc(ls->v, (ls->n + 1) * sizeof *ls->v);
	l = &ls->v[ls->n++];
	l->fd = fd;
	l->slot = slot;
	l->addr = *a;
	l->addr.host = clm_strdup(a->host);
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
		close(ls->v[i].fd);
		listeners_addr_clear(&ls->v[i].addr);
		ls->v[i] = ls->v[--ls->n];
	}
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
	char			*name;
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
	for (fd = 3; fd < 3 + n; fd++) {
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
		inherited.n++;
		name = listeners_format(&a);
		log_info("socket from systemd: fd %d, %s", fd, name);
		free(name);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (int)inherited.n;
}

void
listeners_inherit_close(void)
{
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
		inherited.n++;
	}
}
