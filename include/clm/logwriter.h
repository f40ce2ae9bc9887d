/*
 * The log writer of clm-logd: it reads workers' output pipes and writes
 * their log files, line by line, with optional timestamps, size-based
 * rotation and reopening.
 *
 * A stream is one pipe (a worker's stdout or stderr); a file is one path,
 * shared by every stream that names it (merged logs). A stream writes
 * whole lines, so lines of different streams do not interleave in a file,
 * with two exceptions: a partial line reaching LOGWRITER_LINE_MAX is
 * written as it is, and so is one that has waited LOGWRITER_PARTIAL_MS
 * for its end (a progress bar: `process.stdout.write('...')`). The rest of
 * such a line follows it without a second timestamp.
 *
 * A file is opened (created) at its first line: a worker that never
 * writes has no file. At most LOGWRITER_OPEN_MAX files are open at once,
 * fewer if the open-file limit leaves less room beside the pipes (one fd
 * a stream): past that, the least recently written file is closed, and
 * opened again at its next line. So 5,000 workers cost clm-logd 10,000
 * fds (their pipes) and at most LOGWRITER_OPEN_MAX more, not 20,000.
 *
 * Nothing is lost when clm-logd is killed: a pipe is peeked (tee(2) into a
 * scratch pipe), the complete lines written, and only then consumed; a
 * partial line stays in the pipe until its end arrives. A kill between
 * the write and the consume repeats at most one chunk of lines, it never
 * loses one. clmd holds a copy of every read end, so the data waits for
 * the next clm-logd.
 *
 * clm-logd's control protocol (fd 3, SOCK_SEQPACKET, one text message per
 * datagram, at most LOGWRITER_MSG_MAX bytes):
 *	ADD <id> <flags> <max_size> <retain> [<datefmt>] <path>  + one fd
 *			(SCM_RIGHTS); flags t: timestamps, d: datefmt follows,
 *			the strftime format of the timestamps, in hex; o: the
 *			lines also go to clm-logd's stdout (err: stderr),
 *			prefixed; j: as JSON (logconsole.h)
 *	PID <id> <pid>	the pid that writes stream id (for the console)
 *	REOPEN
 *	PING		answered with PONG
 *	MARK <path>\n<text>  text appended to path after what its streams
 *			still hold (the marker of a deleted app)
 */
#ifndef CLM_LOGWRITER_H
#define CLM_LOGWRITER_H

#include "clm/common.h"

#define LOGWRITER_LINE_MAX	(64 * 1024)	/* longest whole line */
#define LOGWRITER_CHUNK		(64 * 1024)	/* read at once, at most */
#define LOGWRITER_MSG_MAX	4096		/* control message */
#define LOGWRITER_TS_LEN	25	/* "2026-11-26T06:50:32.123Z " */
#define LOGWRITER_RETAIN_MAX	1000
#define LOGWRITER_PARTIAL_MS	250	/* a partial line waits at most */
#define LOGWRITER_OPEN_MAX	1024	/* log files open at once, at most */

/* ADD flags. */
#define LOGWRITER_TIMESTAMP	0x1		/* 't' */
#define LOGWRITER_DATEFMT	0x2		/* 'd' */
#define LOGWRITER_DATEFMT_MAX	64	/* a format, at most (bytes) */
#define LOGWRITER_CONSOLE	0x4		/* 'o': also to stdout/stderr
						   (logconsole.h); the id is
						   NAME:SLOT:RUN:out|err */
#define LOGWRITER_JSON		0x8		/* 'j': there as JSON */

/* logwriter_service() results. */
#define LOGWRITER_IDLE	0	/* wait for the pipe's next event */
#define LOGWRITER_MORE	1	/* there may be more: call again */
#define LOGWRITER_EOF	2	/* the stream ended and is gone */

struct logwriter;
struct logwriter_stream;

/* An ADD message, parsed. */
struct logwriter_add {
	char		*id;
	int		 flags;
	uint64_t	 max_size;	/* 0: never rotate */
	unsigned	 retain;	/* rotated files kept: path.1 ... */
	char		*datefmt;	/* strftime, local time; NULL: ISO 8601
					   UTC with milliseconds */
	char		*path;
};

/* Parse "ADD id flags max_size retain path". -1 with *cause on error. */
int	logwriter_parse_add(const char *msg, size_t len,
	    struct logwriter_add *, char **cause);
void	logwriter_add_clear(struct logwriter_add *);

struct logwriter *logwriter_new(void);
/* Close every stream and file without flushing. */
void	logwriter_free(struct logwriter *);

/* For tests: the clocks (wall time for timestamps, monotonic for the
 * warning rate limit) and where warnings go (default: stderr). */
void	logwriter_set_clocks(struct logwriter *, uint64_t (*wall_ms)(void),
	    uint64_t (*mono_ms)(void));
void	logwriter_set_warn(struct logwriter *,
	    void (*fn)(void *, const char *), void *arg);
/* For tests: at most max files open (0: from the open-file limit). */
void	logwriter_set_open_max(struct logwriter *, size_t max);
size_t	logwriter_open_files(struct logwriter *);

/*
 * Start reading fd (owned from now on; -1 for a stream fed by hand with
 * logwriter_take) into add->path. An ADD of a live id replaces it: the
 * same pipe again keeps the stream's state; another pipe takes the id and
 * the old one is still read until its end. -1 with *cause if the stream
 * cannot be set up (fd is then closed). A file that cannot be opened is
 * not an error: it is reported and tried again at each write (whatever
 * would stop its open is said at the ADD: no folder, a symbolic link).
 */
struct logwriter_stream *logwriter_add(struct logwriter *,
	    const struct logwriter_add *, int fd, char **cause);
struct logwriter_stream *logwriter_find(struct logwriter *, const char *id);
size_t	logwriter_count(struct logwriter *);

/*
 * The line splitter. data is what comes next in the stream (what its pipe
 * holds now). Writes every complete line and returns how many bytes of
 * data the caller must now consume; the rest is a partial line that stays
 * in the pipe and comes again, with what follows, at the next call. With
 * force (or when the partial line is too long to leave in the pipe) it is
 * kept in memory instead and everything is consumed.
 */
size_t	logwriter_take(struct logwriter *, struct logwriter_stream *,
	    const char *data, size_t len, bool force);
/* Write the partial line kept in memory now (it stays open: what follows
 * gets no timestamp). The loop does it after LOGWRITER_PARTIAL_MS. */
void	logwriter_flush(struct logwriter *, struct logwriter_stream *);
/* The stream ended: write its partial line with a newline, drop it. */
void	logwriter_end(struct logwriter *, struct logwriter_stream *);

/* Read the stream's pipe once (at most LOGWRITER_CHUNK bytes). */
int	logwriter_service(struct logwriter *, struct logwriter_stream *);

/* Close and reopen every open file (logrotate, SIGUSR1, REOPEN); the
 * others are opened by their path at their next line anyway. */
void	logwriter_reopen(struct logwriter *);
/* Handle one control message; fd is the one that came with it, or -1
 * (always consumed). A reply, if any, goes to reply_fd. */
void	logwriter_control(struct logwriter *, const char *msg, size_t len,
	    int fd, int reply_fd);
/* SIGTERM: read what the pipes hold, write partial lines with a newline,
 * drop every stream. */
void	logwriter_shutdown(struct logwriter *);

/*
 * clm-logd's loop: serve ctl (fd 3) and every stream; SIGUSR1 reopens,
 * SIGTERM shuts down (both must be blocked by the caller). Returns 0 when
 * ctl has closed and no stream is left, or after SIGTERM; -1 with *cause.
 */
int	logwriter_run(struct logwriter *, int ctl, char **cause);

#endif
