/* The daemon's own log: $CLM_HOME/clmd.log, and stderr in the foreground. */
#ifndef CLM_LOG_H
#define CLM_LOG_H

#include "clm/common.h"

/* Open path for appending (NULL: stderr only). -1 with *cause on failure. */
int log_open(const char *path, bool to_stderr, char **cause);
void log_close(void);
/* Reopen the log file (it may have been moved away). */
void log_reopen(void);
/* Stop (or start again) copying log lines to stderr. */
void log_set_stderr(bool);

void log_info(const char *fmt, ...) CLM_PRINTF(1, 2);
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) CLM_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) CLM_PRINTF(1, 2);
void log_debug(const char *fmt, ...) CLM_PRINTF(1, 2);
CLM_NORETURN void fatalx(const char *fmt, ...) CLM_PRINTF(1, 2);

#endif
