/*
 * What clm logs and clm flush see: the workers' log files. `clm logs`
 * gets the last lines of each file, then, when it follows, new lines as
 * they are written, streamed through the control socket (so any user
 * allowed on the socket can follow, whatever the files' modes).
 */
#ifndef CLM_LOGVIEW_H
#define CLM_LOGVIEW_H

#include "clm/handlers.h"

/* Answer a `logs` call (target NULL: every app). */
void logview_start(struct clm_daemon_ctx *, struct clm_call *);
/* End every follower (shutdown). */
void logview_stop_all(void);
/* Empty the log files of the named apps; *n counts them. */
int logview_flush(struct clm_daemon_ctx *, char **names, size_t *n,
    char **cause);

#endif
