/* Starting a worker's program with posix_spawn() (see spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clm/spawn.h"

#define SPAWN_DEFAULT_PATH	"/bin:/usr/bin"	/* execvp's */

static const char *
spawn_env_path(char *const *env)
{
	size_t	i;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (strncmp(env[i], "PATH=", 5) == 0)
			return env[i] + 5;
	}
	return SPAWN_DEFAULT_PATH;
}

int
spawn_lookup(const char *file, char *const *env, char **path)
{
	const char	*dirs, *end;
	struct stat	 st;
	char		*cand;
	int		 err = -ENOENT;
	size_t		 len;

	if (*file == '\0')
		return -ENOENT;
	if (strchr(file, '/') != NULL) {
		*path = clm_strdup(file);
		return 0;
	}
	for (dirs = spawn_env_path(env);; dirs = end + 1) {
		end = strchrnul(dirs, ':');
		len = (size_t)(end - dirs);
		/* An empty entry is the current directory. */
		cand = len == 0 ? clm_strdup(file) : clm_asprintf("%.*s/%s",
		    (int)len, dirs, file);
		if (stat(cand, &st) == 0) {
			if (S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
				*path = cand;
				return 0;
			}
			err = -EACCES;	/* as execvp: said if nothing runs */
		}
		free(cand);
		if (*end == '\0')
			break;
	}
	return err;
}

/* The child's fds, and the copies made of sources in its range. */
static int
spawn_actions(posix_spawn_file_actions_t *fa, const struct spawn_opts *o,
    int *dups)
{
	int	i, src, fl;

	for (i = 0; i < o->nfds; i++) {
		dups[i] = -1;
		src = o->fds[i];
		if (src == -1) {
			if (posix_spawn_file_actions_addopen(fa, i,
			    "/dev/null", i == 0 ? O_RDONLY : O_RDWR, 0) != 0)
				return -ENOMEM;
			continue;
		}
		/* A source among the child's numbers would be overwritten
		 * before its own dup2: a copy above them goes instead. */
		if (src < o->nfds) {
			if ((dups[i] = fcntl(src, F_DUPFD_CLOEXEC,
			    o->nfds)) == -1)
				return -errno;
			src = dups[i];
		}
		/* stdin, stdout and stderr blocking, as uv_spawn() made
		 * them (the open file is shared with clmd's end). */
		if (i <= 2 && (fl = fcntl(src, F_GETFL)) != -1 &&
		    (fl & O_NONBLOCK) != 0)
			(void)fcntl(src, F_SETFL, fl & ~O_NONBLOCK);
		if (posix_spawn_file_actions_adddup2(fa, src, i) != 0)
			return -ENOMEM;
	}
	if (posix_spawn_file_actions_addclosefrom_np(fa, o->nfds) != 0)
		return -ENOMEM;
	if (o->cwd != NULL &&
	    posix_spawn_file_actions_addchdir_np(fa, o->cwd) != 0)
		return -ENOMEM;
	return 0;
}

/* A file execve() refused as no program (ENOEXEC): /bin/sh runs it, as
 * execvp() would. */
static int
spawn_sh(int *pid, const char *path, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *at, const struct spawn_opts *o)
{
	char	**argv;
	size_t	  n, i;
	int	  r;

	for (n = 0; o->argv[n] != NULL; n++)
		;
	argv = clm_calloc(n + 2, sizeof *argv);
	argv[0] = "/bin/sh";
	argv[1] = (char *)path;
	for (i = 1; i < n; i++)
		argv[i + 1] = o->argv[i];
	r = posix_spawn(pid, "/bin/sh", fa, at, argv, o->env);
	free(argv);
	return r;
}

int
spawn_start(const struct spawn_opts *o, int *pid)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 set;
	char				*path = NULL;
	int				*dups, r, i;
	short				 flags;

	if ((r = spawn_lookup(o->file, o->env, &path)) != 0)
		return r;
	dups = clm_calloc((size_t)o->nfds, sizeof *dups);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	if (o->setsid)
		flags |= POSIX_SPAWN_SETSID;
	posix_spawnattr_setflags(&at, flags);
	sigemptyset(&set);
	posix_spawnattr_setsigmask(&at, &set);
	sigfillset(&set);
	posix_spawnattr_setsigdefault(&at, &set);
	if ((r = spawn_actions(&fa, o, dups)) == 0) {
		r = -posix_spawn(pid, path, &fa, &at, o->argv, o->env);
		if (r == -ENOEXEC)
			r = -spawn_sh(pid, path, &fa, &at, o);
	}
	for (i = 0; i < o->nfds; i++) {
		if (dups[i] != -1)
			close(dups[i]);
	}
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free(dups);
	free(path);
	return r;
}
