/*
 * What clm logs and clm flush see: the workers' log files. `clm logs`
 * gets the last lines of each file, then, when it follows, new lines as
 * they are written, streamed through the control socket (so any user
 * allowed on the socket can follow, whatever the files' modes). Without a
 * daemon, or for a deleted app, it reads the files that are left.
 *
 * Logs are bytes; a line is shown as valid UTF-8 text: a byte that is not
 * part of valid UTF-8 shows as \xNN, and so does a control byte (C0 but
 * tab, DEL, C1) unless raw; a NUL byte always. A line longer than
 * LOGVIEW_LINE_SHOW bytes is cut, with " [clm: line cut, N bytes]".
 */
#ifndef CLM_LOGVIEW_H
#define CLM_LOGVIEW_H

#include "clm/handlers.h"

#define LOGVIEW_LINES		15		/* shown by default */
#define LOGVIEW_LINE_SHOW	(16 * 1024)	/* of one line, at most */

/* Answer a `logs` call (target NULL: every app). */
void logview_start(struct clm_daemon_ctx *, struct clm_call *);
/* End every follower (shutdown), telling it why. */
void logview_stop_all(void);
/* Empty the log files of the named apps; *n counts them. */
int logview_flush(struct clm_daemon_ctx *, char **names, size_t *n,
    char **cause);

/* One line (n bytes shown of total) as clm logs shows it. */
char *logview_escape(const char *line, size_t n, size_t total, bool raw);
/* The last n lines of a file, oldest first, as shown: those after the
 * last marker of a deleted app (logs_marker), unless the file ends with
 * one and after_mark is not set (the app is gone: show what it wrote). */
char **logview_tail(const char *path, int n, bool raw, bool after_mark);

/* clm logs with no daemon: the files of home (or of the log_dir of its
 * clm.ini), printed to stdout; follows them while follow. Returns an exit
 * status. */
int logview_offline(const struct clm_home *, const struct clm_request *);

#endif
