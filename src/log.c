/* The daemon's own log. Lines are short and written with one write(2) each
 * to an O_APPEND descriptor, so they never interleave. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clm/log.h"

static int log_fd = -1;
static char *log_path;
static bool log_stderr = true;
static bool log_verbose;

int
log_open(const char *path, bool to_stderr, char **cause)
{
	log_close();
	log_stderr = to_stderr;
	log_verbose = getenv("CLM_DEBUG") != NULL;
	if (path == NULL)
		return 0;
	log_path = clm_strdup(path);
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd == -1) {
		*cause = clm_asprintf("cannot open log %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

void
log_set_stderr(bool on)
{
	log_stderr = on;
}

void
log_close(void)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	free(log_path);
	log_path = NULL;
}

void
log_reopen(void)
{
	int	fd;

	if (log_path == NULL)
		return;
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd == -1)
		return;
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
}

/*
 * One line per entry, and no terminal escapes: a control byte in a
 * message (an app's name for something, a path) is written as \xNN. The
 * line is escaped in place, cut to max bytes; returns its new length.
 */
static int
log_escape(char *line, int n, size_t max)
{
	char	 out[2048 * 4];
	size_t	 o = 0;
	int	 i;

	for (i = 0; i < n && o + 4 < sizeof out; i++) {
		unsigned char	c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, sizeof out - o,
			    "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (o > max)
		o = max;
	memcpy(line, out, o);
	return (int)o;
}

static void
log_vwrite(const char *level, const char *fmt, va_list ap, int errnum)
{
	char		 stamp[40], line[2048];
	struct timespec	 ts;
	struct tm	 tm;
	int		 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "%s.%03ldZ clmd[%ld]: %s", stamp,
	    ts.tv_nsec / 1000000, (long)getpid(), level);
	if (n < 0 || (size_t)n >= sizeof line)
		return;
	n += vsnprintf(line + n, sizeof line - n, fmt, ap);
	if ((size_t)n >= sizeof line - 2)
		n = sizeof line - 2;
	if (errnum != 0) {
		n += snprintf(line + n, sizeof line - n, ": %s",
		    strerror(errnum));
		if ((size_t)n >= sizeof line - 2)
			n = sizeof line - 2;
	}
	n = log_escape(line, n, sizeof line - 1);
	line[n++] = '\n';
	if (log_fd != -1 && write(log_fd, line, n) == -1)
		(void)0;	/* nothing sensible to do */
	if (log_stderr && write(STDERR_FILENO, line, n) == -1)
		(void)0;
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("", fmt, ap, 0);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	errnum = errno;

	va_start(ap, fmt);
	log_vwrite("warning: ", fmt, ap, errnum);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("warning: ", fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite("debug: ", fmt, ap, 0);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("fatal: ", fmt, ap, 0);
	va_end(ap);
	exit(1);
}
