/* An app's listening sockets, bound and owned by clmd. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clm/listeners.h"

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
	int			 fd;

	for (i = 0; i < ls->n; i++) {
		if (addr_equal(&ls->v[i].addr, a) && ls->v[i].slot == slot)
			return ls->v[i].fd;
	}
	if ((fd = open_socket(a, slot >= 0, err)) == -1) {
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
