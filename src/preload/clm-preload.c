/*
 * libclm-preload.so: loaded into every worker with LD_PRELOAD, so that an
 * unmodified app that binds a TCP port gets the listening socket that clmd
 * owns for its app, shared by all of the app's workers.
 *
 * bind() of a TCP socket to a non-zero port asks clmd, over the worker's
 * channel (a SOCK_SEQPACKET socket inherited as fd $CLM_NOTIFY_FD), for the
 * shared socket of that address, and dup3()s it over the app's socket.
 * listen() on a shared socket tells clmd the worker is ready instead of
 * listening again (which would change the shared backlog).
 *
 * The shared socket is one open file description held by clmd and by the
 * workers of a slot (two during a reload): its file status flags, O_NONBLOCK
 * among them, are everyone's. So it stays non-blocking, and this library
 * keeps, per fd of this process, the mode the app asked for (at socket(),
 * by fcntl F_SETFL, by ioctl FIONBIO) and what else the app expects to see
 * (listening or not, its SO_REUSEADDR/SO_REUSEPORT): fcntl F_GETFL and
 * getsockopt answer from it, and accept() on a socket the app holds in
 * blocking mode waits in poll() for a connection. dup, dup2, dup3 and
 * F_DUPFD copy that state to the new fd, and a change made through one fd
 * shows through its dups, as the kernel's file status flags would; but it
 * is this process's own: a forked child that changes its mode does not
 * change its parent's. close, close_range and the reuse
 * of an fd number forget it (each use also checks that the fd still holds
 * the same socket, for fds closed behind our back). A fork() copies the
 * table with the fds.
 *
 * A socket that systemd handed to clmd may be of the other family than
 * the app's wildcard bind (the app binds 0.0.0.0 and gets [::]): then
 * accept(), getsockname() and getpeername() give the app addresses of its
 * own family (::ffff:127.0.0.1 as 127.0.0.1), on the listening socket and
 * on the connections accepted on it.
 *
 * The wrappers only make system calls and touch a fixed table with atomic
 * loads and stores, so they may run in signal handlers and threads; bind()
 * talks to clmd under a mutex.
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
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC	(1U << 2)
#endif

#define FD_MAX		65536	/* fds tracked; above, no emulation */
#define MSG_MAX		512

/* What the app sees of a shared fd. */
#define FL_NONBLOCK	0x01	/* the app asked for non-blocking mode */
#define FL_LISTENING	0x02	/* the app called listen() */
#define FL_REUSEADDR	0x04	/* the app's SO_REUSEADDR */
#define FL_REUSEPORT	0x08	/* the app's SO_REUSEPORT */
#define FL_AS_INET	0x10	/* the app asked AF_INET, the socket is AF_INET6 */
#define FL_AS_INET6	0x20	/* the app asked AF_INET6, the socket is AF_INET */
#define FL_ACCEPTED	0x40	/* a connection accepted on such a socket */
#define FL_AS		(FL_AS_INET | FL_AS_INET6)
/* fd_ino of an accepted connection: no inode (sockfs numbers are far
 * below), the fd number beside it so that dups stay distinct. */
#define CONN_INO	(UINT64_C(1) << 63)

typedef int (*fcntl_fn)(int, int, ...);

static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_listen)(int, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
static int (*real_socket)(int, int, int);
static int (*real_close)(int);
static int (*real_close_range)(unsigned int, unsigned int, int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static fcntl_fn	real_fcntl, real_fcntl64;	/* the same on 64-bit */
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_getsockopt)(int, int, int, void *, socklen_t *);
static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
static int (*real_getpeername)(int, struct sockaddr *, socklen_t *);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);

static int		chan_fd = -1;
static pthread_mutex_t	chan_lock = PTHREAD_MUTEX_INITIALIZER;
static int		draining;	/* clmd said DRAIN */
static uint64_t		drain_looked;	/* ms: when the channel was */

/*
 * Per fd: the inode of the shared socket it holds (0: none), and the FL_
 * flags. Read and written with atomics: a thread may close an fd while
 * another accepts on it.
 */
static uint64_t		fd_ino[FD_MAX];
static unsigned char	fd_flags[FD_MAX];
static int		fd_top;		/* highest fd ever shared, + 1 */

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static void *
sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void
resolve(void)
{
	if (LOAD(real_bind) != NULL)
		return;
	real_listen = (int (*)(int, int))sym("listen");
	real_accept = (int (*)(int, struct sockaddr *, socklen_t *))
	    sym("accept");
	real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))
	    sym("accept4");
	real_socket = (int (*)(int, int, int))sym("socket");
	real_close = (int (*)(int))sym("close");
	real_close_range = (int (*)(unsigned int, unsigned int, int))
	    sym("close_range");
	real_dup = (int (*)(int))sym("dup");
	real_dup2 = (int (*)(int, int))sym("dup2");
	real_dup3 = (int (*)(int, int, int))sym("dup3");
	real_fcntl = (fcntl_fn)sym("fcntl");
	real_fcntl64 = (fcntl_fn)sym("fcntl64");
	if (real_fcntl64 == NULL)
		real_fcntl64 = real_fcntl;
	real_ioctl = (int (*)(int, unsigned long, ...))sym("ioctl");
	real_getsockopt = (int (*)(int, int, int, void *, socklen_t *))
	    sym("getsockopt");
	real_setsockopt = (int (*)(int, int, int, const void *, socklen_t))
	    sym("setsockopt");
	real_getsockname = (int (*)(int, struct sockaddr *, socklen_t *))
	    sym("getsockname");
	real_getpeername = (int (*)(int, struct sockaddr *, socklen_t *))
	    sym("getpeername");
	real_write = (ssize_t (*)(int, const void *, size_t))sym("write");
	real_send = (ssize_t (*)(int, const void *, size_t, int))sym("send");
	real_writev = (ssize_t (*)(int, const struct iovec *, int))
	    sym("writev");
	real_sendmsg = (ssize_t (*)(int, const struct msghdr *, int))
	    sym("sendmsg");
	STORE(real_bind, (int (*)(int, const struct sockaddr *, socklen_t))
	    sym("bind"));
}

/* One line to the worker's stderr (its error log), "clm: ...". */
static void
say(const char *fmt, ...)
{
	char	line[MSG_MAX];
	va_list	ap;
	int	n;

	memcpy(line, "clm: ", 5);
	va_start(ap, fmt);
	n = vsnprintf(line + 5, sizeof line - 6, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = 5 + (n > (int)sizeof line - 7 ? (int)sizeof line - 7 : n);
	line[n++] = '\n';
	(void)!write(2, line, (size_t)n);
}

/* --- the fd table --------------------------------------------------- */

static int
fd_tracked(int fd)
{
	return fd >= 0 && fd < FD_MAX;
}

static void
fd_forget(int fd)
{
	if (fd_tracked(fd) && LOAD(fd_ino[fd]) != 0)
		STORE(fd_ino[fd], 0);
}

static void
fd_put(int fd, uint64_t ino, int flags)
{
	int	top;

	if (!fd_tracked(fd))
		return;
	STORE(fd_flags[fd], (unsigned char)flags);
	STORE(fd_ino[fd], ino);
	top = LOAD(fd_top);
	while (fd + 1 > top && !__atomic_compare_exchange_n(&fd_top, &top,
	    fd + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

/*
 * Is fd in the table? Then set *flags. An fd closed or replaced behind our
 * back (a raw system call) no longer holds the same inode: it is
 * forgotten. errno is kept.
 */
static int
fd_known(int fd, int *flags)
{
	struct stat	st;
	uint64_t	ino;
	int		saved = errno, r;

	if (!fd_tracked(fd) || (ino = LOAD(fd_ino[fd])) == 0)
		return 0;
	if (ino & CONN_INO) {		/* trusted: see conn_put() */
		if (flags != NULL)
			*flags = LOAD(fd_flags[fd]);
		return 1;
	}
	r = fstat(fd, &st) == 0 && (uint64_t)st.st_ino == ino;
	if (!r)
		fd_forget(fd);
	else if (flags != NULL)
		*flags = LOAD(fd_flags[fd]);
	errno = saved;
	return r;
}

/* What the table says of fd, unchecked (no system call): 0 if nothing. */
static int
fd_peek(int fd, int *flags)
{
	if (!fd_tracked(fd) || LOAD(fd_ino[fd]) == 0)
		return 0;
	*flags = LOAD(fd_flags[fd]);
	return 1;
}

/* Does fd hold a shared socket (not a connection accepted on one)? */
static int
fd_shared(int fd, int *flags)
{
	int	fl;

	if (!fd_known(fd, &fl) || (fl & FL_ACCEPTED))
		return 0;
	if (flags != NULL)
		*flags = fl;
	return 1;
}

/*
 * The app changed what it sees of shared fd fd: its dups (same socket, one
 * open file description in the kernel) see the change too.
 */
static void
fd_change(int fd, int set, int clear)
{
	uint64_t	ino = LOAD(fd_ino[fd]);
	int		i, top = LOAD(fd_top);
	unsigned char	f;

	for (i = 0; i < top; i++) {
		if (i != fd && (ino == 0 || LOAD(fd_ino[i]) != ino))
			continue;
		f = LOAD(fd_flags[i]);
		STORE(fd_flags[i], (unsigned char)((f & ~clear) | set));
	}
}

/* newfd is a copy of oldfd (dup and friends): copy its state. */
static void
fd_copy(int oldfd, int newfd)
{
	int	flags;

	if (newfd == oldfd || !fd_tracked(newfd))
		return;
	if (fd_known(oldfd, &flags))
		fd_put(newfd, LOAD(fd_ino[oldfd]), flags);
	else
		fd_forget(newfd);
}

/* --- the channel to clmd ---------------------------------------------- */

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
	if (real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_SEQPACKET)
		return 0;
	len = sizeof cred;
	if (real_getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
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
again:
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
	if (strcmp(buf, "DRAIN") == 0) {	/* not a reply: clmd's news */
		STORE(draining, 1);
		goto again;
	}
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fdp, CMSG_DATA(c), sizeof(int));
	}
	return 0;
}

/*
 * The address as clmd's request wants it, and as a user reads it (name);
 * 0 if it is not one we share.
 */
static int
describe(int fd, const struct sockaddr *addr, socklen_t len, char *out,
    size_t size, char *name, size_t nsize)
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
		if (real_getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    &olen) == -1)
			v6only = 0;
		olen = sizeof type;
	} else
		return 0;
	if (port == 0)
		return 0;
	if (real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) == -1 ||
	    type != SOCK_STREAM)
		return 0;
	snprintf(out, size, "BIND %d %s %d %d", addr->sa_family == AF_INET ?
	    4 : 6, host, port, v6only ? 1 : 0);
	snprintf(name, nsize, addr->sa_family == AF_INET ? "%s:%d" :
	    "[%s]:%d", host, port);
	return 1;
}

/* An int socket option of fd, 0 when it cannot be read. */
static int
sockopt_int(int fd, int level, int name)
{
	int		v = 0;
	socklen_t	len = sizeof v;

	if (real_getsockopt(fd, level, name, &v, &len) == -1)
		return 0;
	return v;
}

static int
sockopt(int fd, int name)
{
	return sockopt_int(fd, SOL_SOCKET, name) != 0;
}

/* Another fd of this process that holds the socket of inode ino. */
static int
holder_of(uint64_t ino, int except)
{
	int	fd, top = LOAD(fd_top);

	for (fd = 0; fd < top; fd++) {
		if (fd != except && LOAD(fd_ino[fd]) == ino &&
		    fd_shared(fd, NULL))
			return fd;
	}
	return -1;
}

int
bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	char		 req[MSG_MAX], rep[MSG_MAX], name[80], *text;
	struct stat	 st;
	int		 shared, fdflags, flflags, flags, other, err = 0, r;

	resolve();
	if (chan_fd == -1 || fd == chan_fd ||
	    !describe(fd, addr, len, req, sizeof req, name, sizeof name))
		return real_bind(fd, addr, len);
	if (fd_shared(fd, NULL)) {
		/* As the kernel answers a second bind() of a socket. */
		errno = EINVAL;
		return -1;
	}

	pthread_mutex_lock(&chan_lock);
	r = chan_send(req) == 0 ? chan_recv(rep, sizeof rep, &shared) : -1;
	pthread_mutex_unlock(&chan_lock);
	if (r == -1) {
		/* clmd is gone or mute: behave as if we were not under it. */
		return real_bind(fd, addr, len);
	}
	if (strncmp(rep, "ERR ", 4) == 0 || shared == -1) {
		if (shared != -1)
			real_close(shared);
		err = atoi(rep + 4);
		err = err > 0 ? err : EADDRINUSE;
		/* clmd's reason ("cannot listen on ...") goes to the app's
		 * error log. */
		if (strncmp(rep, "ERR ", 4) == 0 &&
		    (text = strchr(rep + 4, ' ')) != NULL)
			say("%s", text + 1);
		else
			say("bind %s: %s", name, strerror(err));
		errno = err;
		return -1;
	}
	if (fstat(shared, &st) == -1) {
		err = errno;
		real_close(shared);
		errno = err;
		return -1;
	}
	/*
	 * Without SO_REUSEPORT on both, a second socket bound to the address
	 * this process holds already is refused, as without clm.
	 */
	flags = sockopt(fd, SO_REUSEPORT) ? FL_REUSEPORT : 0;
	flags |= sockopt(fd, SO_REUSEADDR) ? FL_REUSEADDR : 0;
	if ((other = holder_of((uint64_t)st.st_ino, fd)) != -1 &&
	    (!(flags & FL_REUSEPORT) ||
	    !(LOAD(fd_flags[other]) & FL_REUSEPORT))) {
		real_close(shared);
		say("bind %s: this process holds that address already on fd "
		    "%d (without SO_REUSEPORT on both): EADDRINUSE, as without "
		    "clm", name, other);
		errno = EADDRINUSE;
		return -1;
	}
	fdflags = real_fcntl(fd, F_GETFD);
	flflags = real_fcntl(fd, F_GETFL);
	if (real_dup3(shared, fd, (fdflags != -1 && (fdflags & FD_CLOEXEC)) ?
	    O_CLOEXEC : 0) == -1) {
		err = errno;
		real_close(shared);
		errno = err;
		return -1;
	}
	real_close(shared);
	if (flflags != -1 && (flflags & O_NONBLOCK))
		flags |= FL_NONBLOCK;
	/*
	 * A socket systemd handed to clmd may be of the other family than
	 * the app's wildcard bind (0.0.0.0 given [::]): the addresses the app
	 * reads are then translated to its family.
	 */
	r = sockopt_int(fd, SOL_SOCKET, SO_DOMAIN);
	if (addr->sa_family == AF_INET && r == AF_INET6)
		flags |= FL_AS_INET;
	else if (addr->sa_family == AF_INET6 && r == AF_INET)
		flags |= FL_AS_INET6;
	if (fd_tracked(fd))
		fd_put(fd, (uint64_t)st.st_ino, flags);
	else
		say("bind %s: fd %d is above %d: accept() on it will not block "
		    "even if the app wants it to", name, fd, FD_MAX - 1);
	return 0;
}

int
listen(int fd, int backlog)
{
	resolve();
	if (chan_fd == -1 || !fd_shared(fd, NULL))
		return real_listen(fd, backlog);
	/*
	 * clmd listens already, with its own backlog (a second listen() to
	 * change the backlog is taken, and changes nothing); tell it we are
	 * ready.
	 */
	fd_change(fd, FL_LISTENING, 0);
	pthread_mutex_lock(&chan_lock);
	(void)chan_send("LISTEN");
	pthread_mutex_unlock(&chan_lock);
	return 0;
}

/*
 * Was the signal that interrupted a wait one whose handler asked for
 * SA_RESTART? We cannot know which signal it was: restart only when every
 * caught signal has SA_RESTART (glibc's signal() sets it; Python's
 * handlers do not, and Python wants the EINTR).
 */
static int
restartable(void)
{
	struct sigaction	sa;
	int			sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigaction(sig, NULL, &sa) == -1)
			continue;
		if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN &&
		    !(sa.sa_flags & SA_RESTART))
			return 0;
	}
	return 1;
}

/*
 * Give the app address ss (of the socket's family) in the app's family
 * (fl: FL_AS_INET or FL_AS_INET6), truncated to *len as the kernel does.
 */
static void
addr_out(int fl, const struct sockaddr_storage *ss, socklen_t sslen,
    struct sockaddr *addr, socklen_t *len)
{
	union {
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	} u;
	const void	*out = ss;
	socklen_t	 n = sslen;

	memset(&u, 0, sizeof u);
	if ((fl & FL_AS_INET) && ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) ||
		    IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) {
			u.sin.sin_family = AF_INET;
			u.sin.sin_port = s6->sin6_port;
			if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
				memcpy(&u.sin.sin_addr,
				    &s6->sin6_addr.s6_addr[12], 4);
			out = &u.sin;
			n = sizeof u.sin;
		}
	} else if ((fl & FL_AS_INET6) && ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		u.sin6.sin6_family = AF_INET6;
		u.sin6.sin6_port = s4->sin_port;
		if (s4->sin_addr.s_addr != htonl(INADDR_ANY)) {
			u.sin6.sin6_addr.s6_addr[10] = 0xff;
			u.sin6.sin6_addr.s6_addr[11] = 0xff;
			memcpy(&u.sin6.sin6_addr.s6_addr[12], &s4->sin_addr, 4);
		}
		out = &u.sin6;
		n = sizeof u.sin6;
	}
	if (addr != NULL && len != NULL) {
		memcpy(addr, out, *len < n ? *len : n);
		*len = n;
	}
}

/* accept on a socket whose addresses the app reads in its own family. */
static int
accept_as(int fd, struct sockaddr *addr, socklen_t *len, int flags,
    int four, int fl)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof ss;
	int			r;

	r = four ? real_accept4(fd, (struct sockaddr *)&ss, &sslen, flags) :
	    real_accept(fd, (struct sockaddr *)&ss, &sslen);
	if (r < 0)
		return r;
	addr_out(fl, &ss, sslen, addr, len);
	fd_put(r, CONN_INO | (uint64_t)r, (fl & FL_AS) | FL_ACCEPTED);
	return r;
}

/*
 * r was accepted on fd: a connection on a shared socket is tracked (a
 * drain closes it after its reply), anything else forgotten. This runs for
 * every connection, so it makes no system call: fd is taken from the table
 * unchecked, and r is marked CONN_INO (no inode) and trusted until close()
 * forgets it. Should an fd change behind our back (a raw system call), the
 * worst that follows is a reply written while draining that says
 * Connection: close.
 */
static void
conn_put(int fd, int r)
{
	int	fl;

	if (fd_peek(fd, &fl) && !(fl & FL_ACCEPTED))
		fd_put(r, CONN_INO | (uint64_t)r, FL_ACCEPTED);
	else
		fd_forget(r);	/* a reused number */
}

/* accept, blocking if the app holds fd in blocking mode. */
static int
accept_any(int fd, struct sockaddr *addr, socklen_t *len, int flags, int four)
{
	struct pollfd	pfd;
	struct timeval	tv;
	socklen_t	tlen;
	int		r, fl, timeout;

	for (;;) {
		if (fd_tracked(fd) && LOAD(fd_ino[fd]) != 0 &&
		    (LOAD(fd_flags[fd]) & FL_AS) && fd_shared(fd, &fl))
			r = accept_as(fd, addr, len, flags, four, fl);
		else
			r = four ? real_accept4(fd, addr, len, flags) :
			    real_accept(fd, addr, len);
		if (r >= 0) {
			if (!fd_known(r, &fl) || !(fl & FL_ACCEPTED))
				conn_put(fd, r);
			return r;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		/* The common case, a non-blocking app, costs no fstat. */
		if (!fd_peek(fd, &fl) || (fl & (FL_NONBLOCK | FL_ACCEPTED)) ||
		    !fd_shared(fd, &fl) || (fl & FL_NONBLOCK))
			return -1;
		if (!(fl & FL_LISTENING)) {
			errno = EINVAL;	/* as accept() before listen() */
			return -1;
		}
		/* A receive timeout bounds a blocking accept: honour it. */
		timeout = -1;
		tlen = sizeof tv;
		if (real_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    &tlen) == 0 && (tv.tv_sec > 0 || tv.tv_usec > 0))
			timeout = tv.tv_sec > 86400 ? 86400000 :
			    (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
		pfd.fd = fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, timeout);
		if (r == 0) {
			errno = EAGAIN;
			return -1;
		}
		if (r == -1 && (errno != EINTR || !restartable()))
			return -1;
	}
}

int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	resolve();
	if (chan_fd == -1)
		return real_accept(fd, addr, len);
	return accept_any(fd, addr, len, 0, 0);
}

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	resolve();
	if (chan_fd == -1)
		return real_accept4(fd, addr, len, flags);
	/* SOCK_NONBLOCK and SOCK_CLOEXEC are the new socket's own. */
	return accept_any(fd, addr, len, flags, 1);
}

/* --- what the app may do to a shared fd ------------------------------- */

int
socket(int domain, int type, int protocol)
{
	int	fd;

	resolve();
	fd = real_socket(domain, type, protocol);
	if (fd >= 0)
		fd_forget(fd);	/* the mode is read at bind() */
	return fd;
}

int
close(int fd)
{
	resolve();
	fd_forget(fd);
	return real_close(fd);
}

int
close_range(unsigned int first, unsigned int last, int flags)
{
	unsigned int	fd;
	int		top;

	resolve();
	if (real_close_range == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		top = LOAD(fd_top);
		for (fd = first; fd <= last && fd < (unsigned int)top; fd++)
			fd_forget((int)fd);
	}
	return real_close_range(first, last, flags);
}

int
dup(int oldfd)
{
	int	fd;

	resolve();
	if ((fd = real_dup(oldfd)) >= 0)
		fd_copy(oldfd, fd);
	return fd;
}

int
dup2(int oldfd, int newfd)
{
	int	fd;

	resolve();
	if ((fd = real_dup2(oldfd, newfd)) >= 0)
		fd_copy(oldfd, fd);
	return fd;
}

int
dup3(int oldfd, int newfd, int flags)
{
	int	fd;

	resolve();
	if ((fd = real_dup3(oldfd, newfd, flags)) >= 0)
		fd_copy(oldfd, fd);
	return fd;
}

/*
 * fcntl's third argument is an int or a pointer: read it as a pointer, as
 * glibc does (an int is in the low half of the same register). fcntl64 is
 * the same call (programs built with 64-bit off_t call it).
 */
int preload_fcntl(int, int, ...) __asm__("fcntl");

int
preload_fcntl(int fd, int cmd, ...)
{
	va_list	ap;
	void	*arg;
	int	r, fl, v;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	resolve();
	if (chan_fd == -1)
		return real_fcntl64(fd, cmd, arg);
	switch (cmd) {
	case F_GETFL:
		r = real_fcntl64(fd, cmd);
		if (r != -1 && fd_shared(fd, &fl))
			r = (r & ~O_NONBLOCK) | ((fl & FL_NONBLOCK) ?
			    O_NONBLOCK : 0);
		return r;
	case F_SETFL:
		v = (int)(intptr_t)arg;
		if (!fd_shared(fd, NULL))
			return real_fcntl64(fd, cmd, v);
		/* The shared socket stays non-blocking, for everyone. */
		if ((r = real_fcntl64(fd, cmd, v | O_NONBLOCK)) == 0)
			fd_change(fd, (v & O_NONBLOCK) ? FL_NONBLOCK : 0,
			    (v & O_NONBLOCK) ? 0 : FL_NONBLOCK);
		return r;
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((r = real_fcntl64(fd, cmd, (int)(intptr_t)arg)) >= 0)
			fd_copy(fd, r);
		return r;
	default:
		return real_fcntl64(fd, cmd, arg);
	}
}

int preload_fcntl64(int, int, ...) __asm__("fcntl64")
    __attribute__((alias("fcntl")));

int
ioctl(int fd, unsigned long req, ...)
{
	va_list	 ap;
	void	*arg;
	int	 on;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	resolve();
	if (chan_fd == -1 || req != FIONBIO || !fd_shared(fd, NULL))
		return real_ioctl(fd, req, arg);
	if (arg == NULL) {
		errno = EFAULT;
		return -1;
	}
	memcpy(&on, arg, sizeof on);
	fd_change(fd, on ? FL_NONBLOCK : 0, on ? 0 : FL_NONBLOCK);
	return 0;
}

int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int	fl, v;

	resolve();
	if (chan_fd == -1 || level != SOL_SOCKET || (name != SO_ACCEPTCONN &&
	    name != SO_REUSEADDR && name != SO_REUSEPORT) ||
	    !fd_shared(fd, &fl))
		return real_getsockopt(fd, level, name, val, len);
	if (val == NULL || len == NULL || *len < sizeof v) {
		errno = EINVAL;
		return -1;
	}
	v = name == SO_ACCEPTCONN ? (fl & FL_LISTENING) != 0 :
	    name == SO_REUSEADDR ? (fl & FL_REUSEADDR) != 0 :
	    (fl & FL_REUSEPORT) != 0;
	memcpy(val, &v, sizeof v);
	*len = sizeof v;
	return 0;
}

int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int	v, flag;

	resolve();
	if (chan_fd == -1 || level != SOL_SOCKET || (name != SO_REUSEADDR &&
	    name != SO_REUSEPORT) || !fd_shared(fd, NULL))
		return real_setsockopt(fd, level, name, val, len);
	/*
	 * The shared socket's reuse options hold clmd's SO_REUSEPORT group
	 * together: keep them, and show the app what it set.
	 */
	if (val == NULL || len < sizeof v) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&v, val, sizeof v);
	flag = name == SO_REUSEADDR ? FL_REUSEADDR : FL_REUSEPORT;
	fd_change(fd, v ? flag : 0, v ? 0 : flag);
	return 0;
}

/* getsockname and getpeername in the app's family (see FL_AS_INET). */
static int
name_as(int (*real)(int, struct sockaddr *, socklen_t *), int fd,
    struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof ss;
	int			fl;

	if (chan_fd == -1 || !fd_tracked(fd) || LOAD(fd_ino[fd]) == 0 ||
	    !(LOAD(fd_flags[fd]) & FL_AS) || !fd_known(fd, &fl) ||
	    addr == NULL || len == NULL)
		return real(fd, addr, len);
	if (real(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return -1;
	addr_out(fl, &ss, sslen, addr, len);
	return 0;
}

int
getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	resolve();
	return name_as(real_getsockname, fd, addr, len);
}

int
getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	resolve();
	return name_as(real_getpeername, fd, addr, len);
}

/* --- the drain: Connection: close on the replies ------------------------ */

#define DRAIN_LOOK_MS	5	/* the channel: looked at this often at most */
#define HEAD_SCAN_MAX	4096	/* a response head: searched this far */
#define IOV_OUT_MAX	64
static const char	conn_close[] = "Connection: close\r\n";
#define CONN_CLOSE_LEN	(sizeof conn_close - 1)

/* Is the worker draining (clmd sent DRAIN on the channel)? */
static int
drain_now(void)
{
	struct timespec	ts;
	uint64_t	now;
	char		buf[8];
	ssize_t		n;
	int		saved;

	if (LOAD(draining))
		return 1;
	if (chan_fd == -1 || clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == -1)
		return 0;
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (now - LOAD(drain_looked) < DRAIN_LOOK_MS)
		return 0;
	STORE(drain_looked, now);
	saved = errno;
	n = recv(chan_fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
	errno = saved;
	if (n == 5 && memcmp(buf, "DRAIN", 5) == 0) {
		STORE(draining, 1);
		return 1;
	}
	return 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
starts_nocase(const char *p, size_t n, const char *word)
{
	size_t	i;

	for (i = 0; word[i] != '\0'; i++) {
		if (i >= n || lower((unsigned char)p[i]) != word[i])
			return 0;
	}
	return 1;
}

/*
 * How a response head that starts b (n bytes) is made to close: *at is
 * where "Connection: close\r\n" goes in (after the status line), or, when
 * a "Connection: keep-alive" header is there, *ka is the offset of
 * "keep-alive", written over with "close     " (the same length). 0:
 * leave it (not a head, a head that closes already, or one whose end is
 * not in b).
 */
static int
head_plan(const char *b, size_t n, size_t *at, size_t *ka)
{
	size_t	i, end, v;

	if (n < 12 || (memcmp(b, "HTTP/1.1 ", 9) != 0 &&
	    memcmp(b, "HTTP/1.0 ", 9) != 0))
		return 0;
	if (n > HEAD_SCAN_MAX)
		n = HEAD_SCAN_MAX;
	for (end = 0; end + 1 < n && !(b[end] == '\r' && b[end + 1] == '\n');
	    end++)
		;
	if (end + 1 >= n)
		return 0;
	*at = end + 2;
	*ka = 0;
	for (i = end; i + 3 < n; i++) {
		if (b[i] != '\r' || b[i + 1] != '\n')
			continue;
		if (b[i + 2] == '\r' && b[i + 3] == '\n')	/* its end */
			return *ka != 0 || memcmp(b, "HTTP/1.1 ", 9) == 0;
		if (!starts_nocase(b + i + 2, n - i - 2, "connection:"))
			continue;
		for (v = i + 13; v < n && (b[v] == ' ' || b[v] == '\t'); v++)
			;
		if (!starts_nocase(b + v, n - v, "keep-alive"))
			return 0;	/* close, or upgrade: leave it */
		*ka = v;
	}
	return 0;			/* the end of the head is not here */
}

/* Write all of b (a part of our own), waiting for room. */
static int
write_rest(int fd, const char *b, size_t n)
{
	struct pollfd	pfd;
	ssize_t		w;

	while (n > 0) {
		w = real_send(fd, b, n, MSG_NOSIGNAL);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 1000) == 0)
			return -1;
	}
	return 0;
}

/*
 * A write of iov to connection fd while draining: when it starts a
 * response head, the head says Connection: close. Returns what the app's
 * write returns, or -2: not ours, write it as it is.
 */
static ssize_t
drain_write(int fd, const struct iovec *iov, int iovcnt, int flags,
    int is_msg, const struct msghdr *m)
{
	struct iovec	 out[IOV_OUT_MAX];
	struct msghdr	 mo;
	char		 head[HEAD_SCAN_MAX];
	size_t		 at, ka, n0;
	ssize_t		 w;
	int		 fl, k = 0, i;

	if (iovcnt < 1 || iovcnt > IOV_OUT_MAX - 2 || !drain_now() ||
	    !fd_known(fd, &fl) || !(fl & FL_ACCEPTED))
		return -2;
	n0 = iov[0].iov_len;
	if (!head_plan(iov[0].iov_base, n0, &at, &ka))
		return -2;
	if (ka != 0) {			/* keep-alive -> "close     " */
		memcpy(head, iov[0].iov_base, ka + 10);
		memcpy(head + ka, "close     ", 10);
		out[k].iov_base = head;
		out[k++].iov_len = ka + 10;
		out[k].iov_base = (char *)iov[0].iov_base + ka + 10;
		out[k++].iov_len = n0 - ka - 10;
	} else {			/* a header more, after the status */
		out[k].iov_base = iov[0].iov_base;
		out[k++].iov_len = at;
		out[k].iov_base = (void *)conn_close;
		out[k++].iov_len = CONN_CLOSE_LEN;
		out[k].iov_base = (char *)iov[0].iov_base + at;
		out[k++].iov_len = n0 - at;
	}
	for (i = 1; i < iovcnt; i++)
		out[k++] = iov[i];
	if (is_msg) {
		mo = *m;
		mo.msg_iov = out;
		mo.msg_iovlen = (size_t)k;
		w = real_sendmsg(fd, &mo, flags);
	} else
		w = real_writev(fd, out, k);
	if (w < 0 || ka != 0 || w <= (ssize_t)at)
		return w;
	if (w < (ssize_t)(at + CONN_CLOSE_LEN)) {
		/* Part of our header went: the rest of it, then the app's
		 * retry writes its own bytes from the end of its status. */
		if (write_rest(fd, conn_close + (w - at),
		    CONN_CLOSE_LEN - (size_t)(w - at)) == -1)
			return -1;
		return (ssize_t)at;
	}
	return w - (ssize_t)CONN_CLOSE_LEN;
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	struct iovec	iov;
	ssize_t		r;

	resolve();
	if (chan_fd != -1 && fd > 2) {
		iov.iov_base = (void *)buf;
		iov.iov_len = n;
		if ((r = drain_write(fd, &iov, 1, 0, 0, NULL)) != -2)
			return r;
	}
	return real_write(fd, buf, n);
}

ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	struct iovec	iov;
	struct msghdr	m;
	ssize_t		r;

	resolve();
	if (chan_fd != -1) {
		iov.iov_base = (void *)buf;
		iov.iov_len = n;
		memset(&m, 0, sizeof m);
		if ((r = drain_write(fd, &iov, 1, flags, 1, &m)) != -2)
			return r;
	}
	return real_send(fd, buf, n, flags);
}

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t	r;

	resolve();
	if (chan_fd != -1 && fd > 2 &&
	    (r = drain_write(fd, iov, iovcnt, 0, 0, NULL)) != -2)
		return r;
	return real_writev(fd, iov, iovcnt);
}

ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
	ssize_t	r;

	resolve();
	if (chan_fd != -1 && m != NULL && m->msg_iovlen <= IOV_OUT_MAX &&
	    (r = drain_write(fd, m->msg_iov, (int)m->msg_iovlen, flags, 1,
	    m)) != -2)
		return r;
	return real_sendmsg(fd, m, flags);
}
