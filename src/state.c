/* The saved list of apps: $CLM_HOME/dump.json. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clm/home.h"
#include "clm/proto.h"
#include "clm/state.h"

char *
state_path(const struct clm_home *home)
{
	return clm_asprintf("%s/dump.json", home->dir);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

int
state_save(const struct clm_home *home, struct clm_app_spec *const *apps,
    size_t n, char *const *stopped, char **cause)
{
	char	*path = state_path(home), *tmp, *bak, *text;
	int	 fd, dfd, r = -1;

	tmp = clm_asprintf("%s.tmp", path);
	bak = clm_asprintf("%s.bak", path);
	text = proto_dump_encode(apps, n, stopped);
	/* A new file of ours, never one someone put (or linked) there. */
	if (unlink(tmp) == -1 && errno != ENOENT)
		(void)0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 || write_all(fd, text, strlen(text)) == -1 ||
	    fsync(fd) == -1) {
		*cause = clm_asprintf("cannot write %s: %s", tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	/* Keep the previous dump; dump.json exists at every moment. */
	if (unlink(bak) == -1 && errno != ENOENT)
		(void)0;
	if (link(path, bak) == -1 && errno != ENOENT) {
		*cause = clm_asprintf("cannot keep %s as %s: %s", path, bak,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) == -1) {
		*cause = clm_asprintf("cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	if ((dfd = open(home->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	r = 0;
out:
	free(text);
	free(tmp);
	free(bak);
	free(path);
	return r;
}

int
state_load(const struct clm_home *home, struct clm_app_spec ***apps,
    size_t *n, char ***stopped, bool *missing, char **cause)
{
	char		*path = state_path(home), *buf = NULL, *why = NULL;
	struct stat	 st;
	size_t		 len = 0;
	ssize_t		 got;
	int		 fd, r = -1;

	*missing = false;
	fd = -1;
	/* Root starts what it reads here: only from a file of root's. */
	if (clm_trust_path("the saved apps", path, cause) == -1)
		goto out;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		*missing = errno == ENOENT;
		*cause = *missing ? clm_asprintf("no saved apps: %s does not "
		    "exist (save them first with clm save)", path) :
		    clm_asprintf("cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > CLM_DUMP_MAX) {
		*cause = clm_asprintf("%s is not a regular file of at most "
		    "16 MiB", path);
		goto out;
	}
	buf = clm_malloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		got = read(fd, buf + len, (size_t)st.st_size - len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	if (proto_dump_decode(buf, len, apps, n, stopped, &why) == -1) {
		char	*bak = clm_asprintf("%s.bak", path);

		if (access(bak, F_OK) == 0)
			*cause = clm_asprintf("%s: %s (the previous dump is "
			    "%s)", path, why, bak);
		else
			*cause = clm_asprintf("%s: %s", path, why);
		free(bak);
		free(why);
		goto out;
	}
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(buf);
	free(path);
	return r;
}
