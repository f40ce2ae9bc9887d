/* clm startup: write, enable, disable and remove clmd's systemd unit. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clm/startup.h"
#include "clm/unit_template.h"

extern char **environ;

/* s with every {{key}} replaced by value; a new string. */
static char *
fill(const char *s, const char *key, const char *value)
{
	const char	*p;
	char		*out = clm_strdup(""), *t;

	while ((p = strstr(s, key)) != NULL) {
		t = clm_asprintf("%s%.*s%s", out, (int)(p - s), s, value);
		free(out);
		out = t;
		s = p + strlen(key);
	}
	t = clm_asprintf("%s%s", out, s);
	free(out);
	return t;
}

char *
startup_unit(bool user, const char *bindir, const char *clm_home)
{
	char	*a, *b, *c;

	a = fill(clm_unit_template, "{{BINDIR}}", bindir);
	b = fill(a, "{{CLM_HOME}}", clm_home);
	c = fill(b, "{{WANTED_BY}}", user ? "default.target" :
	    "multi-user.target");
	free(a);
	free(b);
	return c;
}

char *
startup_path(bool user)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (!user)
		return clm_strdup("/etc/systemd/system/clm.service");
	if (xdg != NULL && *xdg == '/')
		return clm_asprintf("%s/systemd/user/clm.service", xdg);
	return clm_asprintf("%s/.config/systemd/user/clm.service",
	    home != NULL ? home : "");
}

static void
say(char ***said, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = clm_vasprintf(fmt, ap);
	va_end(ap);
	clm_strv_push(said, s);
	free(s);
}

/* Run systemctl [--user] VERB clm.service (or daemon-reload). */
static int
systemctl(bool user, const char *verb, bool unit, char ***said, char **cause)
{
	char	*argv[5];
	pid_t	 pid;
	int	 n = 0, status, r;

	argv[n++] = "systemctl";
	if (user)
		argv[n++] = "--user";
	argv[n++] = (char *)verb;
	if (unit)
		argv[n++] = "clm.service";
	argv[n] = NULL;
	r = posix_spawnp(&pid, "systemctl", NULL, NULL, argv, environ);
	if (r != 0) {
		*cause = clm_asprintf("cannot run systemctl: %s", strerror(r));
		return -1;
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			*cause = clm_asprintf("waitpid: %s", strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*cause = clm_asprintf("systemctl%s %s%s failed (is systemd "
		    "running here?)", user ? " --user" : "", verb,
		    unit ? " clm.service" : "");
		return -1;
	}
	say(said, "ran systemctl%s %s%s", user ? " --user" : "", verb,
	    unit ? " clm.service" : "");
	return 0;
}

/* mkdir -p of path's folder. */
static int
make_parent(const char *path, char **cause)
{
	char	*dir = clm_strdup(path), *p;

	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			*cause = clm_asprintf("cannot create %s: %s", dir,
			    strerror(errno));
			free(dir);
			return -1;
		}
		*p = '/';
	}
	free(dir);
	return 0;
}

int
startup_install(bool user, const char *unit, char ***said, char **cause)
{
	char	*path = startup_path(user), *tmp = NULL;
	size_t	 len = strlen(unit);
	int	 fd = -1, r = -1;

	if (make_parent(path, cause) == -1)
		goto out;
	tmp = clm_asprintf("%s.tmp", path);
	/* A new file of ours, never one someone put (or linked) there. */
	if (unlink(tmp) == -1 && errno != ENOENT)
		(void)0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1 || write(fd, unit, len) != (ssize_t)len ||
	    fsync(fd) == -1 || rename(tmp, path) == -1) {
		*cause = clm_asprintf("cannot write %s: %s", path,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	say(said, "wrote %s", path);
	if (systemctl(user, "daemon-reload", false, said, cause) == -1 ||
	    systemctl(user, "enable", true, said, cause) == -1)
		goto out;
	say(said, "clmd starts at %s; start it now with: systemctl%s start "
	    "clm", user ? "login" : "boot", user ? " --user" : "");
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(tmp);
	free(path);
	return r;
}

int
startup_remove(bool user, char ***said, char **cause)
{
	char	*path = startup_path(user);
	int	 r = -1;

	if (access(path, F_OK) == -1) {
		*cause = clm_asprintf("there is no %s (nothing to remove)",
		    path);
		goto out;
	}
	/* Disabling fails without a running systemd: remove it anyway. */
	if (systemctl(user, "disable", true, said, cause) == -1) {
		say(said, "%s", *cause);
		free(*cause);
		*cause = NULL;
	}
	if (unlink(path) == -1) {
		*cause = clm_asprintf("cannot remove %s: %s", path,
		    strerror(errno));
		goto out;
	}
	say(said, "removed %s", path);
	if (systemctl(user, "daemon-reload", false, said, cause) == -1) {
		say(said, "%s", *cause);
		free(*cause);
		*cause = NULL;
	}
	r = 0;
out:
	free(path);
	return r;
}
