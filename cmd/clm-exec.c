/*
 * clm-exec: what clmd runs in a worker's process before the app itself,
 * for what libuv's spawn cannot do:
 *  - systemd's protocol wants LISTEN_PID to be the worker's own pid, which
 *    clmd cannot know before the fork: set it;
 *  - --user NAME [--group NAME]: become that user, with its supplementary
 *    groups (initgroups), and HOME, USER and LOGNAME to match.
 * Then it becomes the app: clm-exec [--user U] [--group G] -- PROG ARGS...
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	if (become(user, group) == -1)
		return 126;
	if (getenv("LISTEN_FDS") != NULL) {
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		setenv("LISTEN_PID", pid, 1);
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "clm: cannot run %s: %s\n", argv[i], strerror(errno));
	return 127;
}
