/*
 * libclm-preload.so: loaded into every worker with LD_PRELOAD, so that an
 * unmodified app that binds a TCP port gets the listening socket that clmd
 * owns for its app, shared by all of the app's workers.
 *
 * bind() of a TCP socket to a non-zero port asks clmd, over the worker's
 * channel (a SOCK_SEQPACKET socket inherited as fd $CLM_NOTIFY_FD), for the
 * shared socket of that address, and dup2()s it over the app's socket.
 * listen() on a shared socket tells clmd the worker is ready instead of
 * listening again (which would shrink the shared backlog). accept() on a
 * shared socket that the app had in blocking mode blocks, although the
 * shared socket itself is non-blocking.
 *
 * Outside clm (no valid channel) every call goes straight to libc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define SHARED_MAX	4096	/* fds tracked; above that, no blocking emulation */
#define MSG_MAX		512

static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);

static int		chan_fd = -1;
static pthread_mutex_t	chan_lock = PTHREAD_MUTEX_INITIALIZER;

/* Per fd: the inode of the shared socket it holds (0: none), and whether
 * the app wanted it blocking. */
static ino_t		shared_ino[SHARED_MAX];
static unsigned char	shared_blocking[SHARED_MAX];

static void
resolve(void)
{
	if (real_bind != NULL)
		return;
	real_listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	real_accept = (int (*)(int, struct sockaddr *, socklen_t *))
	    dlsym(RTLD_NEXT, "accept");
	real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))
	    dlsym(RTLD_NEXT, "accept4");
	real_bind = (int (*)(int, const struct sockaddr *, socklen_t))
	    dlsym(RTLD_NEXT, "bind");
}

/* Is fd our channel to clmd: a SEQPACKET socket whose peer is clmd? */
static int
channel_valid(int fd, long daemon_pid)
{
	struct stat	st;
	struct ucred	cred;
	socklen_t	len;
	int		type;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return 0;
	len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_SEQPACKET)
		return 0;
	len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	return (long)cred.pid == daemon_pid;
}

__attribute__((constructor)) static void
preload_init(void)
{
	const char	*s, *p;
	char		*end;
	long		 fd, pid;

	resolve();
	if ((s = getenv("CLM_NOTIFY_FD")) == NULL ||
	    (p = getenv("CLM_DAEMON_PID")) == NULL)
		return;
	fd = strtol(s, &end, 10);
	if (*end != '\0' || fd < 3 || fd > 65535)
		return;
	pid = strtol(p, &end, 10);
	if (*end != '\0' || pid <= 0)
		return;
	if (channel_valid((int)fd, pid))
		chan_fd = (int)fd;
}

static int
chan_send(const char *msg)
{
	ssize_t	n;

	do
		n = send(chan_fd, msg, strlen(msg), MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)strlen(msg) ? 0 : -1;
}

/* Receive one reply, and the fd it carries if any. -1 on failure. */
static int
chan_recv(char *buf, size_t size, int *fdp)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 r;

	*fdp = -1;
	pfd.fd = chan_fd;
	pfd.events = POLLIN;
	do
		r = poll(&pfd, 1, 10000);
	while (r == -1 && errno == EINTR);
	if (r != 1)
		return -1;
	memset(&msg, 0, sizeof msg);
	iov.iov_base = buf;
	iov.iov_len = size - 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof cbuf.buf;
	do
		n = recvmsg(chan_fd, &msg, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fdp, CMSG_DATA(c), sizeof(int));
	}
	return 0;
}

/* The address as clmd's request wants it; 0 if it is not one we share. */
static int
describe(int fd, const struct sockaddr *addr, socklen_t len, char *out,
    size_t size)
{
	char	host[INET6_ADDRSTRLEN];
	int	type, v6only = 0, port;
	socklen_t olen = sizeof type;

	if (addr == NULL)
		return 0;
	if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)addr;

		port = ntohs(sin->sin_port);
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
	} else if (addr->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)addr;

		port = ntohs(sin6->sin6_port);
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		olen = sizeof v6only;
		if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    &olen) == -1)
			v6only = 0;
		olen = sizeof type;
	} else
		return 0;
	if (port == 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) == -1 ||
	    type != SOCK_STREAM)
		return 0;
	snprintf(out, size, "BIND %d %s %d %d", addr->sa_family == AF_INET ?
	    4 : 6, host, port, v6only ? 1 : 0);
	return 1;
}

int
bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	char		 req[MSG_MAX], rep[MSG_MAX], *text;
	struct stat	 st;
	int		 shared, fdflags, flflags, err = 0, r;

	resolve();
	if (chan_fd == -1 || fd == chan_fd ||
	    !describe(fd, addr, len, req, sizeof req))
		return real_bind(fd, addr, len);

	pthread_mutex_lock(&chan_lock);
	r = chan_send(req) == 0 ? chan_recv(rep, sizeof rep, &shared) : -1;
	pthread_mutex_unlock(&chan_lock);
	if (r == -1) {
		/* clmd is gone or mute: behave as if we were not under it. */
		return real_bind(fd, addr, len);
	}
	if (strncmp(rep, "ERR ", 4) == 0 || shared == -1) {
		if (shared != -1)
			close(shared);
		err = atoi(rep + 4);
		/* clmd's reason goes to the app's error log. */
		if ((text = strchr(rep + 4, ' ')) != NULL)
			dprintf(2, "clm: %s\n", text + 1);
		errno = err > 0 ? err : EADDRINUSE;
		return -1;
	}
	fdflags = fcntl(fd, F_GETFD);
	flflags = fcntl(fd, F_GETFL);
	if (dup3(shared, fd, (fdflags != -1 && (fdflags & FD_CLOEXEC)) ?
	    O_CLOEXEC : 0) == -1) {
		err = errno;
		close(shared);
		errno = err;
		return -1;
	}
	close(shared);
	if (fd < SHARED_MAX && fstat(fd, &st) == 0) {
		shared_ino[fd] = st.st_ino;
		shared_blocking[fd] = flflags != -1 && !(flflags & O_NONBLOCK);
	}
	return 0;
}

/* Does fd hold the shared socket we handed it? */
static int
is_shared(int fd)
{
	struct stat	st;

	if (fd < 0 || fd >= SHARED_MAX || shared_ino[fd] == 0)
		return 0;
	if (fstat(fd, &st) == -1 || st.st_ino != shared_ino[fd]) {
		shared_ino[fd] = 0;
		return 0;
	}
	return 1;
}

int
listen(int fd, int backlog)
{
	resolve();
	if (chan_fd == -1 || !is_shared(fd))
		return real_listen(fd, backlog);
	/* clmd listens already, with its own backlog; tell it we are ready. */
	pthread_mutex_lock(&chan_lock);
	(void)chan_send("LISTEN");
	pthread_mutex_unlock(&chan_lock);
	return 0;
}

/* accept on a shared socket the app wanted blocking: wait, then take. */
static int
blocking_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags,
    int four)
{
	struct pollfd	pfd;
	int		r;

	for (;;) {
		r = four ? real_accept4(fd, addr, len, flags) :
		    real_accept(fd, addr, len);
		if (r != -1 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return r;
		if (!is_shared(fd) || !shared_blocking[fd])
			return r;
		pfd.fd = fd;
		pfd.events = POLLIN;
		/* EINTR goes back to the app, whose signal handlers run. */
		if (poll(&pfd, 1, -1) == -1)
			return -1;
	}
}

int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	resolve();
	if (chan_fd == -1)
		return real_accept(fd, addr, len);
	return blocking_accept(fd, addr, len, 0, 0);
}

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	resolve();
	if (chan_fd == -1)
		return real_accept4(fd, addr, len, flags);
	return blocking_accept(fd, addr, len, flags, 1);
}
