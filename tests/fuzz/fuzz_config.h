/*
 * The INI targets read real files (config.c opens a path and insists on a
 * regular file): each input is written to FUZZ_DIR/apps.ini, in a private
 * temp folder that also holds scripts the app files can name, so that
 * valid files get through script and interpreter resolution too.
 */
#ifndef CLM_FUZZ_CONFIG_H
#define CLM_FUZZ_CONFIG_H

#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

static char	fuzz_dir[64];
static char	fuzz_file[128];

static void
fuzz_put(const char *name, const char *text, mode_t mode)
{
	char	path[192];
	int	fd;

	snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	FUZZ_CHECK(fd != -1, "cannot create %s", path);
	FUZZ_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	    "cannot write %s", path);
	close(fd);
}

static void
fuzz_cleanup(void)
{
	static const char *const files[] = {
		"apps.ini", "app.js", "app.py", "run.sh", "bin", "sub/app.js",
		NULL
	};
	char	path[192];
	size_t	i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof path, "%s/%s", fuzz_dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/sub", fuzz_dir);
	rmdir(path);
	rmdir(fuzz_dir);
}

static void
fuzz_setup(void)
{
	const char	*base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			    "/tmp";
	char		 sub[128];

	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/clmfuzz.XXXXXX", base);
	FUZZ_CHECK(mkdtemp(fuzz_dir) != NULL, "mkdtemp %s", fuzz_dir);
	snprintf(fuzz_file, sizeof fuzz_file, "%s/apps.ini", fuzz_dir);
	snprintf(sub, sizeof sub, "%s/sub", fuzz_dir);
	FUZZ_CHECK(mkdir(sub, 0755) == 0, "mkdir %s", sub);
	fuzz_put("app.js", "setInterval(() => {}, 1000);\n", 0644);
	fuzz_put("app.py", "import time\ntime.sleep(1)\n", 0644);
	fuzz_put("run.sh", "#!/bin/sh\nsleep 1\n", 0755);
	fuzz_put("bin", "#!/bin/sh\nsleep 1\n", 0755);
	fuzz_put("sub/app.js", "\n", 0644);
	atexit(fuzz_cleanup);
}

/* Write the input as the file the loader reads. */
static void
fuzz_write_input(const uint8_t *data, size_t size)
{
	int	fd;
	size_t	off = 0;
	ssize_t	n;

	fd = open(fuzz_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	FUZZ_CHECK(fd != -1, "cannot open %s", fuzz_file);
	while (off < size) {
		n = write(fd, data + off, size - off);
		FUZZ_CHECK(n > 0, "cannot write %s", fuzz_file);
		off += (size_t)n;
	}
	close(fd);
}

/* Every error is "FILE:LINE: ..." or "FILE: ...", and there are few. */
static void
fuzz_check_errors(char **errors)
{
	size_t	i, plen = strlen(fuzz_file);

	FUZZ_CHECK(errors != NULL && errors[0] != NULL, "failed, no errors");
	for (i = 0; errors[i] != NULL; i++) {
		FUZZ_CHECK(strncmp(errors[i], fuzz_file, plen) == 0 &&
		    errors[i][plen] == ':', "error without file: %s",
		    errors[i]);
		FUZZ_CHECK(strchr(errors[i], '\n') == NULL,
		    "error with a newline: %s", errors[i]);
	}
	FUZZ_CHECK(i <= 64, "%zu errors", i);
}

#endif
