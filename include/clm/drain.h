/*
 * What a worker that is asked to stop still serves: the connections its
 * process (and its children) accepted on the app's ports, seen through
 * NETLINK_SOCK_DIAG (inet_diag) and /proc/PID/fd. clmd sends the kill
 * signal once none of them is busy (see drain_busy), or kill_timeout.
 */
#ifndef CLM_DRAIN_H
#define CLM_DRAIN_H

#include <stddef.h>

/*
 * How many connections to one of ports (local ports, host order) that
 * pid or a descendant holds are busy: a request came in that no reply
 * followed yet, unread data waits, or nothing came yet (a client that
 * just connected). A keep-alive connection whose last reply went out is
 * idle. Sets *total to every such connection, busy or idle. -1 on error.
 */
int	drain_busy(int pid, const int *ports, size_t nports, int *total);

#endif
