/* The CLI's side of the control socket: blocking, one request at a time. */
#ifndef CLM_CLIENT_H
#define CLM_CLIENT_H

#include "clm/home.h"
#include "clm/proto.h"

struct clm_client;

/*
 * Connect to the daemon of home. When none answers and autostart is set,
 * start one (under home->startlock, so that racing CLIs start exactly one)
 * and connect to it. When none answers and autostart is not set, return -1
 * with *no_daemon set. Other failures: -1 with *cause set.
 */
int clm_client_connect(const struct clm_home *, bool autostart,
    struct clm_client **out, bool *no_daemon, char **cause);
int clm_client_send(struct clm_client *, const struct clm_request *,
    char **cause);
/* Block for the next reply line. -1 with *cause on EOF or a bad reply. */
int clm_client_recv(struct clm_client *, struct clm_reply **out, char **cause);
void clm_client_close(struct clm_client *);

#endif
