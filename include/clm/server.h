/*
 * The daemon's end of the control socket: accepts clients, checks who they
 * are, splits lines, decodes requests and hands each to the dispatcher as a
 * call, which is answered later with server_reply(). A client that sends
 * garbage gets an error reply; one that goes away harms nothing.
 */
#ifndef CLM_SERVER_H
#define CLM_SERVER_H

#include <sys/types.h>
#include <uv.h>

#include "clm/proto.h"

struct clm_server;
struct clm_call;

typedef void (*server_dispatch_cb)(void *ctx, struct clm_call *);

/* Listen on path (mode 0600). -1 with *cause set. */
struct clm_server *server_new(uv_loop_t *, const char *path,
    server_dispatch_cb, void *ctx, char **cause);
/* Stop listening, remove the socket file, close every client once what
 * was written to it has gone out; the server frees itself. */
void server_close(struct clm_server *);

/* Serve on a listening socket that is open already (clm update). */
struct clm_server *server_adopt(uv_loop_t *, const char *path, int fd,
    server_dispatch_cb, void *ctx, char **cause);
/* clm update: the listening socket and the fd of the call's client. */
int server_export(struct clm_server *, struct clm_call *, int *ctl,
    int *client);
/* The new image answers the client that asked for the update. */
void server_adopt_client(struct clm_server *, int fd, struct clm_reply *);

/* Also serve the members of this group (socket_group), besides the
 * daemon's own user and root. */
void server_allow_group(struct clm_server *, gid_t);

const struct clm_request *server_call_request(const struct clm_call *);
/* Has the client of a call gone away (a streaming call may stop)? */
bool server_call_gone(const struct clm_call *);
/* The client's uid (SO_PEERCRED); the daemon's own for a call with no
 * client. */
uid_t server_call_uid(const struct clm_call *);
/* Bytes of replies its client has not read yet. */
size_t server_call_backlog(const struct clm_call *);
/* Answer a call; takes reply. The call ends unless reply->more is set. */
void server_reply(struct clm_call *, struct clm_reply *);
void server_reply_error(struct clm_call *, const char *code,
    const char *fmt, ...) CLM_PRINTF(3, 4);

#endif
