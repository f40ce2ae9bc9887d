/*
 * The CLI's side of the control socket: plain blocking POSIX sockets, one
 * request at a time, and the start-up of a daemon when none answers.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/client.h"
#include "clm/config.h"

#define CLIENT_CONNECT_WAIT_MS	5000	/* after clmd said it listens */
#define CLIENT_START_WAIT_MS	15000	/* for clmd's own command to return */
#define CLIENT_POLL_MS		20
#define CLIENT_STDERR_MAX	4096	/* of clmd's stderr, for the cause */

struct clm_client {
	int	 fd;
	char	*logfile;
	char	*buf;
	size_t	 size;
	size_t	 off;		/* start of unread bytes */
	size_t	 len;		/* end of read bytes */
	size_t	 scanned;	/* no '\n' in buf[off, scanned) */
};

static void
client_sleep_ms(int ms)
{
	poll(NULL, 0, ms);
}

/* One attempt: a connected fd, or -1 with errno set. */
static int
client_try_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, saved;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		if (errno == EINTR)
			continue;
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Errors of connect() that mean "no daemon listens there". */
static bool
client_no_listener(int error)
{
	return error == ENOENT || error == ECONNREFUSED;
}

/* Where clmd is: $CLM_DAEMON, beside our own binary, or on PATH. */
static char *
client_daemon_path(void)
{
	const char	*env;
	char		 self[PATH_MAX], *slash, *path;
	ssize_t		 n;

	env = getenv("CLM_DAEMON");
	if (env != NULL && *env != '\0')
		return clm_strdup(env);
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			path = clm_asprintf("%s/clmd", self);
			if (access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	return clm_strdup("clmd");
}

/* In the child: run clmd with stdin and stdout on /dev/null, stderr on
 * errfd. Never returns. */
static void CLM_NORETURN
client_exec_daemon(const struct clm_home *home, const char *path, int errfd)
{
	sigset_t	empty;
	int		null;

	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	signal(SIGPIPE, SIG_DFL);

	if (errfd != STDERR_FILENO) {
		dup2(errfd, STDERR_FILENO);
		close(errfd);
	}
	fcntl(STDERR_FILENO, F_SETFD, 0);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	/* Nothing of ours (or of whoever ran us) stays open in the daemon. */
	closefrom(STDERR_FILENO + 1);
	/* The daemon and we must agree even if CLM_HOME was relative. */
	setenv("CLM_HOME", home->dir, 1);

	execlp(path, path, (char *)NULL);
	dprintf(STDERR_FILENO, "cannot run %s: %s%s\n", path, strerror(errno),
	    strchr(path, '/') == NULL ?
	    " (put clmd on PATH or set CLM_DAEMON)" : "");
	_exit(127);
}

/* Append what can be read from fd now; false at EOF or error. */
static bool
client_read_stderr(int fd, char *buf, size_t *len)
{
	char	tmp[1024];
	ssize_t	n;
	size_t	take;

	for (;;) {
		n = read(fd, tmp, sizeof tmp);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == -1 && errno == EAGAIN;
		take = (size_t)n;
		if (take > CLIENT_STDERR_MAX - *len)
			take = CLIENT_STDERR_MAX - *len;
		memcpy(buf + *len, tmp, take);
		*len += take;
	}
}

/* clmd's stderr as one line: newlines become "; ", a "clmd: " goes. */
static char *
client_stderr_line(const char *buf, size_t len)
{
	char	*out;
	size_t	 i, o;

	out = clm_malloc(len * 2 + 1);
	o = 0;
	for (i = 0; i < len; i++) {
		if (i + 6 <= len && memcmp(buf + i, "clmd: ", 6) == 0 &&
		    (i == 0 || buf[i - 1] == '\n')) {
			i += 5;
			continue;
		}
		if (buf[i] == '\n' || buf[i] == '\r') {
			if (o > 0 && i + 1 < len && buf[i + 1] != '\n') {
				out[o++] = ';';
				out[o++] = ' ';
			}
			continue;
		}
		out[o++] = buf[i];
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == ';'))
		o--;
	out[o] = '\0';
	return out;
}

/*
 * Run clmd (which detaches itself and returns once its socket listens) and
 * wait for that command. Its stderr comes through a pipe, read while it
 * runs; we stop at its exit, not at EOF, as the detached daemon may hold
 * the pipe.
 */
static int
client_start_daemon(const struct clm_home *home, char **cause)
{
	char		 errbuf[CLIENT_STDERR_MAX], *path, *text;
	size_t		 errlen = 0;
	struct pollfd	 pfd;
	uint64_t	 deadline;
	pid_t		 pid, r;
	int		 p[2], status = 0;
	bool		 open_pipe = true;

	path = client_daemon_path();
	if (pipe2(p, O_CLOEXEC) != 0) {
		*cause = clm_asprintf("cannot start clmd: pipe: %s",
		    strerror(errno));
		free(path);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		*cause = clm_asprintf("cannot start clmd: fork: %s",
		    strerror(errno));
		close(p[0]);
		close(p[1]);
		free(path);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		client_exec_daemon(home, path, p[1]);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);

	deadline = clm_now_ms() + CLIENT_START_WAIT_MS;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			*cause = clm_asprintf("cannot start clmd: waitpid: %s",
			    strerror(errno));
			goto fail;
		}
		if (clm_now_ms() > deadline) {
			*cause = clm_asprintf("%s did not finish starting "
			    "within %d s (see %s)", path,
			    CLIENT_START_WAIT_MS / 1000, home->logfile);
			goto fail;
		}
		if (!open_pipe) {
			client_sleep_ms(CLIENT_POLL_MS);
			continue;
		}
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, CLIENT_POLL_MS) > 0)
			open_pipe = client_read_stderr(p[0], errbuf, &errlen);
	}
	if (open_pipe)
		client_read_stderr(p[0], errbuf, &errlen);
	close(p[0]);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		free(path);
		return 0;
	}
	text = client_stderr_line(errbuf, errlen);
	if (*text == '\0') {
		free(text);
		if (WIFSIGNALED(status))
			text = clm_asprintf("killed by %s",
			    strsignal(WTERMSIG(status)));
		else
			text = clm_asprintf("exit status %d",
			    WEXITSTATUS(status));
		*cause = clm_asprintf("cannot start the daemon %s: %s (see "
		    "%s)", path, text, home->logfile);
	} else
		*cause = clm_asprintf("cannot start the daemon: %s", text);
	free(text);
	free(path);
	return -1;

fail:
	close(p[0]);
	free(path);
	return -1;
}

/* Connect, retrying while nothing listens yet, for up to ms. */
static int
client_connect_wait(const char *sock, int ms)
{
	uint64_t	deadline;
	int		fd;

	deadline = clm_now_ms() + (uint64_t)ms;
	for (;;) {
		if ((fd = client_try_connect(sock)) != -1)
			return fd;
		if (!client_no_listener(errno) || clm_now_ms() >= deadline)
			return -1;
		client_sleep_ms(CLIENT_POLL_MS);
	}
}

/* Under the start lock: connect, or start a daemon and connect to it. */
static int
client_autostart(const struct clm_home *home, char **cause)
{
	int	lock, fd, error;

	lock = open(home->startlock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock == -1) {
		*cause = clm_asprintf("cannot open %s: %s", home->startlock,
		    strerror(errno));
		return -1;
	}
	while (flock(lock, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		*cause = clm_asprintf("cannot lock %s: %s", home->startlock,
		    strerror(errno));
		close(lock);
		return -1;
	}

	/* Another clm may have started it while we waited for the lock. */
	if ((fd = client_try_connect(home->sock)) != -1)
		goto out;
	if (!client_no_listener(errno))
		goto connect_failed;

	if (client_start_daemon(home, cause) != 0) {
		/* One that did not take our lock may be running after all. */
		if ((fd = client_try_connect(home->sock)) != -1) {
			free(*cause);
			*cause = NULL;
		}
		goto out;
	}
	if ((fd = client_connect_wait(home->sock, CLIENT_CONNECT_WAIT_MS)) ==
	    -1) {
		if (client_no_listener(errno)) {
			*cause = clm_asprintf("clmd started but nothing "
			    "answers on %s (see %s)", home->sock,
			    home->logfile);
			goto out;
		}
		goto connect_failed;
	}
	goto out;

connect_failed:
	error = errno;
	*cause = clm_asprintf("cannot connect to %s: %s", home->sock,
	    strerror(error));
	fd = -1;
out:
	close(lock);	/* releases the lock */
	return fd;
}

/*
 * The daemon's socket: $CLM_SOCKET, else clm.ini's socket = (when we may
 * read it, and, for root, when root owns it), else $CLM_HOME/clm.sock.
 */
static char *
client_socket(const struct clm_home *home)
{
	struct clm_daemon_config	 cfg;
	const char			*env = getenv("CLM_SOCKET");
	char				*ini, *sock = NULL, **errors = NULL;
	char				*cause = NULL;

	if (env != NULL && *env != '\0')
		return clm_strdup(env);
	ini = clm_asprintf("%s/clm.ini", home->dir);
	if (access(ini, R_OK) == 0 &&
	    clm_trust_path("the configuration", ini, &cause) == 0) {
		config_daemon_defaults(&cfg);
		if (config_load_daemon(ini, &cfg, &errors) == 0 &&
		    cfg.socket_path != NULL)
			sock = clm_strdup(cfg.socket_path);
		clm_strv_free(errors);
		config_daemon_free(&cfg);
	}
	free(cause);
	free(ini);
	return sock != NULL ? sock : clm_strdup(home->sock);
}

/* Connect to the daemon, starting one if autostart. -1 with *cause. */
static int
client_open(const struct clm_home *home, bool autostart, bool *no_daemon,
    char **cause)
{
	int	fd;

	if ((fd = client_try_connect(home->sock)) != -1)
		return fd;
	if (!client_no_listener(errno)) {
		*cause = clm_asprintf("cannot connect to %s: %s", home->sock,
		    strerror(errno));
		return -1;
	}
	if (!autostart) {
		*no_daemon = true;
		*cause = clm_asprintf("no daemon is running (CLM_HOME=%s; "
		    "start one with clm start)", home->dir);
		return -1;
	}
	return client_autostart(home, cause);
}

int
clm_client_connect(const struct clm_home *home, bool autostart,
    struct clm_client **out, bool *no_daemon, char **cause)
{
	struct clm_client	*c;
	struct clm_home		 h = *home;
	int			 fd;

	*out = NULL;
	*no_daemon = false;
	h.sock = client_socket(home);
	if ((fd = client_open(&h, autostart, no_daemon, cause)) != -1) {
		c = clm_calloc(1, sizeof *c);
		c->fd = fd;
		c->logfile = clm_strdup(home->logfile);
		*out = c;
	}
	free(h.sock);
	return fd == -1 ? -1 : 0;
}

static char *
client_closed_cause(struct clm_client *c)
{
	return clm_asprintf("the daemon closed the connection (see %s)",
	    c->logfile);
}

int
clm_client_send(struct clm_client *c, const struct clm_request *req,
    char **cause)
{
	char	*line;
	size_t	 len, done;
	ssize_t	 n;

	line = proto_request_encode(req);
	len = strlen(line);
	for (done = 0; done < len; done += (size_t)n) {
		n = send(c->fd, line + done, len - done, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1) {
			if (errno == EPIPE || errno == ECONNRESET)
				*cause = client_closed_cause(c);
			else
				*cause = clm_asprintf("cannot send to the "
				    "daemon: %s", strerror(errno));
			free(line);
			return -1;
		}
	}
	free(line);
	return 0;
}

int
clm_client_recv(struct clm_client *c, struct clm_reply **out, char **cause)
{
	char	*nl, *line;
	size_t	 linelen;
	ssize_t	 n;

	*out = NULL;
	for (;;) {
		nl = c->len > c->scanned ?
		    memchr(c->buf + c->scanned, '\n', c->len - c->scanned) :
		    NULL;
		if (nl != NULL) {
			line = c->buf + c->off;
			linelen = (size_t)(nl - line);
			c->off = c->scanned = (size_t)(nl - c->buf) + 1;
			return proto_reply_decode(line, linelen, out, cause);
		}
		c->scanned = c->len;
		if (c->len - c->off > CLM_MAX_REPLY) {
			*cause = clm_asprintf("a reply from the daemon is "
			    "longer than %d bytes", CLM_MAX_REPLY);
			return -1;
		}
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->scanned -= c->off;
			c->off = 0;
		}
		if (c->len == c->size) {
			c->size = c->size == 0 ? 8192 : c->size * 2;
			c->buf = clm_realloc(c->buf, c->size);
		}
		n = read(c->fd, c->buf + c->len, c->size - c->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || (n == -1 && errno == ECONNRESET)) {
			*cause = client_closed_cause(c);
			return -1;
		}
		if (n == -1) {
			*cause = clm_asprintf("cannot read from the daemon: %s",
			    strerror(errno));
			return -1;
		}
		c->len += (size_t)n;
	}
}

void
clm_client_close(struct clm_client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->logfile);
	free(c->buf);
	free(c);
}
