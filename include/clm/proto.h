/*
 * The control protocol between clm and clmd: one JSON object per line, both
 * ways, over $CLM_HOME/clm.sock. This module is the only one that touches
 * JSON; everything else sees the C structs below.
 *
 * Request:  {"v":1,"cmd":"stop","target":"web"}
 *           {"v":1,"cmd":"start","spec":{...}}
 * Reply:    {"v":1,"ok":true,"notes":[...],"workers":[...],...}
 *           {"v":1,"ok":false,"error":{"code":"ENOAPP","message":"..."}}
 * A reply with "more":true is followed by further replies to the same
 * request (streaming); the last one has no "more".
 *
 * The error reply's shape ("v", "ok", "error.code", "error.message") never
 * changes between versions, so that a version mismatch is always readable.
 * Don't forget to bump CLM_PROTOCOL_VERSION (common.h) if anything else
 * changes!
 */
#ifndef CLM_PROTO_H
#define CLM_PROTO_H

#include "clm/app.h"
#include "clm/common.h"

/* Stable error codes. Scripts may rely on them. */
#define CLM_E_PROTO	"EPROTO"	/* protocol version mismatch */
#define CLM_E_BADREQ	"EBADREQ"	/* not JSON, wrong types, missing fields */
#define CLM_E_TOOBIG	"ETOOBIG"	/* a line over CLM_MAX_FRAME */
#define CLM_E_UNKNOWN	"EUNKNOWN"	/* unknown command */
#define CLM_E_NOAPP	"ENOAPP"	/* no app of that name */
#define CLM_E_EXISTS	"EEXISTS"	/* an app of that name is running */
#define CLM_E_INVAL	"EINVAL"	/* a bad argument value */
#define CLM_E_SPAWN	"ESPAWN"	/* a worker could not be started */
#define CLM_E_TIMEOUT	"ETIMEOUT"	/* a worker did not become ready */
#define CLM_E_PERM	"EPERM"		/* peer not allowed */
#define CLM_E_SHUTDOWN	"ESHUTDOWN"	/* the daemon is shutting down */
#define CLM_E_BUSY	"EBUSY"		/* too many clients; try again */
#define CLM_E_INTERNAL	"EINTERNAL"

struct clm_request {
	int			 version;
	char			*cmd;		/* "start", "stop", "list", ... */
	char			*target;	/* app name or "all", or NULL */
	struct clm_app_spec	*spec;		/* start with a script, or NULL */
	long long		 count;		/* scale: the number */
	bool			 relative;	/* scale: +N / -N */
	struct clm_app_spec    **apps;		/* start/reload of an app file:
						   every app, all or nothing */
	size_t			 napps;
	int			 lines;		/* logs: lines to show first;
						   -1: the default */
	char			*which;		/* logs: "out", "err" or NULL */
	bool			 follow;	/* logs: then follow them */
	bool			 raw;		/* logs: control bytes as they
						   are (else escaped) */
	bool			 update_env;	/* restart --update-env */
	bool			 json;		/* list: the workers as clm list
						   --json prints them, in the
						   reply's text */
	char		       **env;		/* ... with this environment;
						   with apps: the environment
						   they share, under their own */
};

struct clm_worker_info {
	char		*name;		/* the app's name */
	int		 id;		/* slot, 0..N-1 */
	int		 pid;		/* 0 when not running */
	char		*status;	/* launching, online, stopping, stopped,
					   waiting-restart, errored */
	unsigned	 restarts;
	uint64_t	 uptime_ms;	/* 0 when not running */
	double		 cpu;		/* percent of one core */
	uint64_t	 cpu_ms;	/* CPU time used by this run */
	uint64_t	 memory;	/* resident bytes */
	int		 exit_code;	/* of the last run; -1 if none */
	int		 signal;	/* that ended the last run; 0 if none */
	bool		 desired;	/* wanted running (not stopped by a
					   person, nor scaled away): metrics */
	char		*reason;	/* why it is not running: "exit 3",
					   "SIGKILL", "clm stop"; NULL */
	uint64_t	 ended_ms;	/* when (wall clock ms); 0: never */
	char		*health;	/* health_check: "ok", "failing 2/3";
					   NULL: none */
};

struct clm_reply {
	int			 version;
	bool			 ok;
	bool			 more;		/* further replies follow */
	char			*code;		/* error code when !ok */
	char			*message;	/* error message when !ok */
	char		       **notes;		/* lines for the user, may be NULL */
	struct clm_worker_info	*workers;
	size_t			 nworkers;
	struct clm_app_spec	*spec;		/* describe */
	int			 daemon_pid;	/* ping, kill */
	char			*daemon_version;/* ping */
	char			*text;		/* metrics: printed as it is */
};

struct clm_request *proto_request_new(const char *cmd);
void proto_request_free(struct clm_request *);

struct clm_reply *proto_reply_new(void);			/* ok, empty */
struct clm_reply *proto_reply_error(const char *code, const char *fmt, ...)
    CLM_PRINTF(2, 3);
void proto_reply_note(struct clm_reply *, const char *fmt, ...) CLM_PRINTF(2, 3);
void proto_reply_free(struct clm_reply *);
void proto_worker_info_clear(struct clm_worker_info *);

/* Is s valid UTF-8? Requests and replies must be (JSON is UTF-8). */
bool proto_utf8(const char *s);

/* Encode as one line, '\n' included. The caller frees. */
char *proto_request_encode(const struct clm_request *);
char *proto_reply_encode(const struct clm_reply *);

/*
 * Decode one line (without its '\n'; len bytes, need not be terminated).
 * On failure return -1, set *code to one of the CLM_E_* codes (static) and
 * *cause to a message the caller frees.
 */
int proto_request_decode(const char *line, size_t len, struct clm_request **out,
    const char **code, char **cause);
int proto_reply_decode(const char *line, size_t len, struct clm_reply **out,
    char **cause);

/* Largest dump.json (or clm update state) read back. */
#define CLM_DUMP_MAX (64 * 1024 * 1024)

/*
 * $CLM_HOME/dump.json, written by `clm save` and read by `clm resurrect`:
 * {"v":1,"apps":[spec,...],"stopped":[name,...]}, stopped naming the apps
 * a person had stopped (they come back stopped; may be NULL). Decoding
 * checks every spec as a request's.
 */
char *proto_dump_encode(struct clm_app_spec *const *apps, size_t n,
    char *const *stopped);
int proto_dump_decode(const char *buf, size_t len, struct clm_app_spec ***apps,
    size_t *n, char ***stopped, char **cause);

/* clm update: the state the old image hands to the new one (upgrade.h). */
struct clm_state;
/* The state's JSON text, given to put piece by piece (put returns -1 to
 * stop: then so does proto_state_write). */
typedef int (*proto_put_fn)(void *arg, const char *, size_t);
int proto_state_write(const struct clm_state *, proto_put_fn, void *arg);
int proto_state_decode(const char *buf, size_t len, struct clm_state *,
    char **cause);

/* Text for `clm list --json` and `clm describe --json`, with '\n'. */
char *proto_workers_json(const struct clm_worker_info *, size_t n);
char *proto_describe_json(const struct clm_app_spec *,
    const struct clm_worker_info *, size_t n);
/*
 * Readiness (GET /readyz, clm ping --ready): *ready when every worker of
 * every app is online; the JSON line names the workers that are not
 * ({"ready":false,"missing":[{"app":..,"id":..,"status":..,"reason":..}]}).
 */
char *proto_readiness_json(const struct clm_worker_info *, size_t n,
    bool *ready);

/*
 * Any JSON document (an ecosystem.json, what Node printed of an
 * ecosystem.config.js) as a neutral tree (tree.h), so that no other
 * module touches JSON. -1 with *cause ("line 3, column 5: ...").
 */
struct clm_tree;
int proto_tree_decode(const char *text, size_t len, struct clm_tree **out,
    char **cause);

/* An event (events.h): one JSON object a line on the wire and in
 * clm events --json. */
struct clm_event {
	char		 time[32];	/* ISO 8601, UTC, milliseconds */
	char		*event;		/* "launching", "exit", ... */
	char		*app;		/* NULL: the daemon's */
	int		 id;		/* the worker; -1: none */
	int		 pid;		/* 0: none */
	int		 exit_code;	/* -1: none */
	int		 signal;	/* 0: none */
	int		 restarts;	/* -1: none */
	char		*details;	/* NULL: none */
};
/* One line, without '\n'. */
char *proto_event_encode(const struct clm_event *);
int proto_event_decode(const char *line, struct clm_event *);
void proto_event_clear(struct clm_event *);

#endif
