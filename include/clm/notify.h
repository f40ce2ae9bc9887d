/*
 * clmd's side of systemd's notify protocol (sd_notify): READY=1, STATUS=,
 * RELOADING=1, STOPPING=1 and WATCHDOG=1 as datagrams to $NOTIFY_SOCKET.
 * Without NOTIFY_SOCKET every call does nothing.
 */
#ifndef CLM_NOTIFY_H
#define CLM_NOTIFY_H

#include <uv.h>

#include "clm/common.h"

/* Read and unset NOTIFY_SOCKET and WATCHDOG_USEC (workers must not see
 * them); start pinging the watchdog at half its period. */
void notify_init(uv_loop_t *);
void notify_send(const char *fmt, ...) CLM_PRINTF(1, 2);
/* Stop the watchdog timer (at shutdown). */
void notify_close(void);

#endif
