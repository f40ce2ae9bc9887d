/*
 * clm-logd's console: the log lines of apps with log_target = stdout or
 * both, on clm-logd's own stdout (a worker's stdout lines) or stderr (its
 * stderr lines), which are clmd's: `docker logs`, `kubectl logs`.
 *
 * text: "NAME:ID | line"; json: one object a line,
 *   {"time":"2026-11-30T07:00:00.123Z","app":"web","id":0,"pid":42,
 *    "stream":"out","message":"line"}
 * (pid null when clm-logd does not know it yet). Every line is whole: a
 * piece of a line written early (past 64 KiB, or a partial line that
 * waited 250 ms) ends with a newline of its own. Lines go out in writes
 * of at most PIPE_BUF bytes cut at line ends, so that a write to a pipe
 * is atomic and no other writer (clmd's own log on stderr) cuts a line;
 * only a single line longer than PIPE_BUF takes several writes. A write
 * that would block waits: a slow reader slows the apps that log, through
 * their pipes, never clmd. At shutdown (clmd's SIGTERM to clm-logd) it
 * waits LOGCONSOLE_SHUTDOWN_MS more at most: a reader that never reads
 * (a hung log collector) cannot hold up clmd's exit; what could not be
 * written then is dropped and counted.
 */
#ifndef CLM_LOGCONSOLE_H
#define CLM_LOGCONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* clm-logd's fds for them: clmd's stdout and stderr (its own fd 2 is
 * clmd.log, for its warnings). */
#define LOGCONSOLE_OUT_FD	1
#define LOGCONSOLE_ERR_FD	4

#define LOGCONSOLE_SHUTDOWN_MS	2000	/* the reader's last chance */
#define LOGCONSOLE_POLL_MS	250	/* a blocked write looks for SIGTERM */

struct logconsole_src {
	int		 fd;		/* LOGCONSOLE_OUT_FD or _ERR_FD */
	bool		 json;
	const char	*app;
	int		 slot;
	int		 pid;		/* 0: unknown */
	const char	*stream;	/* "out" or "err" */
};

/* Write the lines of buf (n bytes; the last may lack its newline). */
void logconsole_write(const struct logconsole_src *, uint64_t wall_ms,
    const char *buf, size_t n);
/* clm-logd ends: console writes wait LOGCONSOLE_SHUTDOWN_MS more at most. */
void logconsole_shutdown(void);
/* Bytes of console lines dropped past that. */
uint64_t logconsole_dropped(void);

#endif
