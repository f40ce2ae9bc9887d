/* $CLM_HOME: where the daemon and its CLI find each other. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/home.h"

#define HOME_SOCK_NAME "clm.sock"

/* The user's home directory from $HOME or the password database. */
static char *
home_user_dir(char **cause)
{
	const char	*env;
	struct passwd	*pw;

	env = getenv("HOME");
	if (env != NULL && *env != '\0')
		return clm_strdup(env);
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_dir != NULL && *pw->pw_dir != '\0')
		return clm_strdup(pw->pw_dir);
	*cause = clm_asprintf("cannot find the home directory of uid %u (set "
	    "HOME or CLM_HOME)", (unsigned)getuid());
	return NULL;
}

/* path made absolute against the current directory; trailing slashes go. */
static char *
home_absolute(const char *what, const char *path, char **cause)
{
	char	*cwd, *abs;
	size_t	 len;

	if (path[0] == '/')
		abs = clm_strdup(path);
	else {
		if ((cwd = getcwd(NULL, 0)) == NULL) {
			*cause = clm_asprintf("cannot make %s '%s' absolute: "
			    "getcwd: %s", what, path, strerror(errno));
			return NULL;
		}
		abs = clm_asprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd,
		    path);
		free(cwd);
	}
	len = strlen(abs);
	while (len > 1 && abs[len - 1] == '/')
		abs[--len] = '\0';
	return abs;
}

/* A user's name for messages: "alice (uid 1000)" or "uid 1000". */
static char *
home_user_name(uid_t uid)
{
	struct passwd	*pw;

	if ((pw = getpwuid(uid)) != NULL && pw->pw_name != NULL)
		return clm_asprintf("%s (uid %u)", pw->pw_name, (unsigned)uid);
	return clm_asprintf("uid %u", (unsigned)uid);
}

/* mkdir -p: parents with 0755 (less the umask), dir itself with mode. */
static int
home_mkdir_p(const char *dir, mode_t mode, char **cause)
{
	char	*copy, *p;

	copy = clm_strdup(dir);
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			*cause = clm_asprintf("cannot create %s: %s (set "
			    "CLM_HOME to a directory you can write)", copy,
			    strerror(errno));
			free(copy);
			return -1;
		}
		*p = '/';
	}
	free(copy);
	if (mkdir(dir, mode) != 0 && errno != EEXIST) {
		*cause = clm_asprintf("cannot create %s: %s (set CLM_HOME to a "
		    "directory you can write)", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* dir must be a directory of ours (or we are root). */
static int
home_check_owner(const char *dir, const struct stat *sb, char **cause)
{
	char	*owner, *me;
	uid_t	 euid;

	if (!S_ISDIR(sb->st_mode)) {
		*cause = clm_asprintf("CLM_HOME %s is not a directory (remove "
		    "it or set CLM_HOME elsewhere)", dir);
		return -1;
	}
	euid = geteuid();
	if (euid == 0 || sb->st_uid == euid)
		return 0;
	owner = home_user_name(sb->st_uid);
	me = home_user_name(euid);
	*cause = clm_asprintf("CLM_HOME %s belongs to %s, but you are %s; "
	    "set CLM_HOME to a directory of your own", dir, owner, me);
	free(owner);
	free(me);
	return -1;
}

/* What is wrong with trusting this file (lstat'ed as st), or NULL. */
static char *
trust_problem(const char *p, const struct stat *st)
{
	char	*owner, *why;

	if (st->st_uid != 0) {
		owner = home_user_name(st->st_uid);
		why = clm_asprintf("%s belongs to %s (chown root %s)", p, owner,
		    p);
		free(owner);
		return why;
	}
	if (S_ISLNK(st->st_mode) || (st->st_mode & (S_IWGRP | S_IWOTH)) == 0 ||
	    (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
		return NULL;
	return clm_asprintf("%s is writable by %s (mode %04o; chmod go-w %s)",
	    p, (st->st_mode & S_IWOTH) ? "everyone" : "its group",
	    (unsigned)(st->st_mode & 07777), p);
}

/* Check path and each of its parents, with lstat (follow: stat). */
static char *
trust_chain(const char *path, bool follow)
{
	struct stat	 st;
	char		*p = clm_strdup(path), *slash, *why = NULL;
	int		 r;

	for (;;) {
		r = follow ? stat(p, &st) : lstat(p, &st);
		if (r == 0 && (why = trust_problem(p, &st)) != NULL)
			break;
		if ((slash = strrchr(p, '/')) == NULL || strcmp(p, "/") == 0)
			break;
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(p);
	return why;
}

int
clm_trust_path(const char *what, const char *path, char **cause)
{
	char	*abs, *real, *why;
	bool	 bad;

	if (geteuid() != 0)
		return 0;
	if ((abs = home_absolute(what, path, cause)) == NULL)
		return -1;
	why = trust_chain(abs, false);
	if (why == NULL && (real = realpath(abs, NULL)) != NULL) {
		why = trust_chain(real, true);
		free(real);
	}
	if ((bad = why != NULL))
		*cause = clm_asprintf("refusing %s %s: %s; root uses only "
		    "files that root owns and no one else can write", what,
		    abs, why);
	free(abs);
	free(why);
	return bad ? -1 : 0;
}

int
clm_home_init(struct clm_home *home, bool create, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	const char		*env, *sep;
	char			*dir, *user;
	size_t			 socklen;

	memset(home, 0, sizeof *home);

	env = getenv("CLM_HOME");
	if (env != NULL && *env != '\0')
		dir = home_absolute("CLM_HOME", env, cause);
	else {
		if ((user = home_user_dir(cause)) == NULL)
			return -1;
		dir = clm_asprintf("%s/.clm", user);
		free(user);
		user = dir;
		dir = home_absolute("HOME", user, cause);
		free(user);
	}
	if (dir == NULL)
		return -1;
	sep = strcmp(dir, "/") == 0 ? "" : "/";

	socklen = strlen(dir) + strlen(sep) + strlen(HOME_SOCK_NAME);
	if (socklen >= sizeof sun.sun_path) {
		*cause = clm_asprintf("CLM_HOME %s is too long: its socket "
		    "path would be %zu bytes, at most %zu fit in a UNIX socket "
		    "address (set a shorter CLM_HOME)", dir, socklen,
		    sizeof sun.sun_path - 1);
		free(dir);
		return -1;
	}

	home->dir = dir;
	home->sock = clm_asprintf("%s%s%s", dir, sep, HOME_SOCK_NAME);
	home->pidfile = clm_asprintf("%s%sclmd.pid", dir, sep);
	home->logfile = clm_asprintf("%s%sclmd.log", dir, sep);
	home->logdir = clm_asprintf("%s%slogs", dir, sep);
	home->startlock = clm_asprintf("%s%sstart.lock", dir, sep);

	if (create && home_mkdir_p(dir, 0700, cause) != 0)
		goto fail;
	if (stat(dir, &sb) != 0) {
		if (!create && errno == ENOENT)
			return 0;	/* nothing there yet: no daemon */
		*cause = clm_asprintf("cannot use CLM_HOME %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (home_check_owner(dir, &sb, cause) != 0)
		goto fail;
	/* Root starts processes from what is here (clm.ini, dump.json). */
	if (create && clm_trust_path("CLM_HOME", dir, cause) != 0)
		goto fail;
	if (create && mkdir(home->logdir, 0700) != 0 && errno != EEXIST) {
		*cause = clm_asprintf("cannot create %s: %s", home->logdir,
		    strerror(errno));
		goto fail;
	}
	return 0;

fail:
	clm_home_free(home);
	return -1;
}

void
clm_home_free(struct clm_home *home)
{
	if (home == NULL)
		return;
	free(home->dir);
	free(home->sock);
	free(home->pidfile);
	free(home->logfile);
	free(home->logdir);
	free(home->startlock);
	memset(home, 0, sizeof *home);
}

char *
clm_helper_path(const char *name)
{
	char	 exe[PATH_MAX], *slash, *path;
	ssize_t	 n;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			path = clm_asprintf("%s/%s", exe, name);
			if (access(path, R_OK) == 0)
				return path;
			free(path);
		}
	}
	path = clm_asprintf("%s/%s", CLM_PKGLIBDIR, name);
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}
