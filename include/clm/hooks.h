/*
 * pre_start and post_stop: a command run by /bin/sh -c, with the app's
 * environment and cwd, without blocking clmd's loop (uv_spawn). Its
 * output (stdout and stderr together) is kept to its last HOOK_TAIL
 * bytes; it is killed (its process group) after timeout_ms.
 */
#ifndef CLM_HOOKS_H
#define CLM_HOOKS_H

#include <stdint.h>
#include <uv.h>

#define HOOK_TAIL	4096		/* bytes of output kept */
#define HOOK_LINES	10		/* lines of it shown */

/* The command has ended: how (status: "exit status 3", "killed by
 * SIGKILL after the timeout of 60000 ms"; ok: exit status 0) and the last
 * lines of its output ("" when none). */
typedef void (*hook_done_cb)(void *arg, bool ok, const char *status,
    const char *tail);

/*
 * Run cmd in cwd with env (NULL: clmd's); argv_prefix (NULL: none) goes
 * before "/bin/sh -c cmd" (clm-exec --user U --). 0, or -1 with *cause
 * when it cannot start (done is not called then).
 */
int	hook_run(uv_loop_t *, const char *cmd, const char *cwd, char **env,
	    char **argv_prefix, uint32_t timeout_ms, hook_done_cb, void *arg,
	    char **cause);

#endif
