/*
 * clm-exec: what clmd runs in a worker's process before the app itself,
 * for what libuv's spawn cannot do:
 *  - systemd's protocol wants LISTEN_PID to be the worker's own pid, which
 *    clmd cannot know before the fork: set it;
 *  - --user NAME [--group NAME]: become that user, with its supplementary
 *    groups (initgroups), and HOME, USER and LOGNAME to match;
 *  - the dynamic loader's variables (LD_PRELOAD...) come renamed
 *    (CLM_EXEC_LD_PRELOAD, see secenv.h), so that none of them applies to
 *    clm-exec, which runs as root: any left is cleared, and they get their
 *    names back only after the switch to the app's user.
 * Then it becomes the app: clm-exec [--user U] [--group G] -- PROG ARGS...
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/secenv.h"

extern char **environ;

/* Unset every variable of environ that the loader or libc would trust.
 * -1 when out of memory. */
static int
clear_unsafe(void)
{
	char	*name;
	size_t	 i, k, len;

	for (i = 0; environ[i] != NULL;) {
		if (!secenv_unsafe(environ[i])) {
			i++;
			continue;
		}
		len = strcspn(environ[i], "=");
		if (environ[i][len] != '=') {
			for (k = i; environ[k] != NULL; k++)
				environ[k] = environ[k + 1];
			continue;
		}
		if ((name = strndup(environ[i], len)) == NULL)
			return -1;
		unsetenv(name);
		free(name);
	}
	return 0;
}

/* CLM_EXEC_NAME=VALUE becomes NAME=VALUE. -1 when out of memory. */
static int
restore_hidden(void)
{
	const size_t	 plen = strlen(SECENV_PREFIX);
	char		*entry, *eq;
	size_t		 i, len;

	for (i = 0; environ[i] != NULL;) {
		if (strncmp(environ[i], SECENV_PREFIX, plen) != 0 ||
		    (eq = strchr(environ[i], '=')) == NULL) {
			i++;
			continue;
		}
		len = (size_t)(eq - environ[i]);
		if ((entry = strdup(environ[i])) == NULL)
			return -1;
		entry[len] = '\0';
		unsetenv(entry);
		if (setenv(entry + plen, entry + len + 1, 1) == -1) {
			free(entry);
			return -1;
		}
		free(entry);
		i = 0;
	}
	return 0;
}

static int
become(const char *user, const char *group)
{
	struct passwd	*pw = NULL;
	struct group	*gr;
	gid_t		 gid;

	if (user != NULL && (pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "clm: no user named '%s'\n", user);
		return -1;
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			fprintf(stderr, "clm: no group named '%s'\n", group);
			return -1;
		}
		gid = gr->gr_gid;
	} else if (pw != NULL)
		gid = pw->pw_gid;
	else
		return 0;
	if (pw != NULL) {
		if (initgroups(pw->pw_name, gid) == -1)
			goto fail;
	} else if (setgroups(1, &gid) == -1)
		goto fail;
	if (setgid(gid) == -1)
		goto fail;
	if (pw != NULL) {
		if (setuid(pw->pw_uid) == -1)
			goto fail;
		setenv("HOME", pw->pw_dir, 1);
		setenv("USER", pw->pw_name, 1);
		setenv("LOGNAME", pw->pw_name, 1);
		if (pw->pw_shell != NULL && *pw->pw_shell != '\0')
			setenv("SHELL", pw->pw_shell, 1);
	}
	return 0;
fail:
	fprintf(stderr, "clm: cannot become %s%s%s: %s\n", user ? user : "",
	    group ? ":" : "", group ? group : "", strerror(errno));
	return -1;
}

int
main(int argc, char **argv)
{
	const char	*user = NULL, *group = NULL;
	char		 pid[32];
	int		 i = 1;

	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc)
			group = argv[++i];
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: clm-exec [--user NAME] [--group NAME] "
		    "-- PROGRAM [ARGS...]\n");
		return 2;
	}
	if (clear_unsafe() == -1 || become(user, group) == -1)
		return 126;
	if (restore_hidden() == -1) {
		fprintf(stderr, "clm: out of memory\n");
		return 126;
	}
	if (getenv("LISTEN_FDS") != NULL) {
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		setenv("LISTEN_PID", pid, 1);
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "clm: cannot run %s: %s\n", argv[i], strerror(errno));
	return 127;
}
