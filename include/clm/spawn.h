/*
 * Starting a program from clmd without copying clmd. uv_spawn() forks: the
 * kernel copies clmd's page tables and its table of fds for every process
 * (the child then closes those thousands of fds at exec), milliseconds
 * each once clmd holds thousands of workers. spawn_start() uses
 * clone(CLONE_VM | CLONE_FILES): the child shares clmd's memory until it
 * execs and takes only a few low fds of clmd's (see spawn_reserve()); on
 * x86-64 with spawn_watch(), clmd does not wait for the child's execve,
 * else CLONE_VFORK; posix_spawn() when neither can be. With what
 * uv_spawn() gave a worker: its fds in place (fds 0-2 blocking), every
 * other fd closed, every signal at its default and none blocked, a session
 * of its own, the program looked up on the PATH of its own environment, a
 * file with no #! run by /bin/sh (as execvp does).
 *
 * Nobody reaps the child here: the caller registers it with the reaper
 * (reaper_adopt()), which reports its end.
 */
#ifndef CLM_SPAWN_H
#define CLM_SPAWN_H

#include <uv.h>

#include "clm/common.h"

struct spawn_opts {
	const char	 *file;		/* without '/': on env's PATH */
	char *const	 *argv;
	char *const	 *env;
	const char	 *cwd;		/* NULL: clmd's */
	const int	 *fds;		/* the child's fd i is fds[i]; -1:
					   /dev/null */
	int		  nfds;		/* at least 3 */
	bool		  setsid;	/* a session and process group of
					   its own */
};

#define SPAWN_SLOTS	16	/* fds a child gets the fast way */

/* Reserve the low fds a child's fds wait in (at clmd's start, before it
 * opens many): without them, spawn_start() uses posix_spawn(). */
void	spawn_reserve(void);
/* The fds are reserved and the kernel takes the fast way. */
bool	spawn_reserved(void);
/* With the loop (once it runs), spawn_start() need not wait for each child
 * to exec: a timer gives the reserved fds back as the children leave them.
 * spawn_unwatch() closes the timer (before the loop is closed). */
void	spawn_watch(uv_loop_t *);
void	spawn_unwatch(void);

/* 0 and *pid, or a negative errno (uv_strerror() reads it) when the
 * program cannot be started (not found, cwd missing, exec failed). */
int	spawn_start(const struct spawn_opts *, int *pid);

/* file looked up as execvp() does, on the PATH of env (NULL: /bin:/usr/bin
 * when env has none): 0 and *path (the caller frees it) or a negative
 * errno. */
int	spawn_lookup(const char *file, char *const *env, char **path);

#endif
