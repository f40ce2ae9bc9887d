/* What clm logs shows of a line, the last lines of a file, file names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/logs.h"
#include "clm/logview.h"
#include "unit.h"

static void
check_escape(const char *in, size_t n, bool raw, const char *want)
{
	char	*got = logview_escape(in, n, n, raw);

	ASSERT_EQ_STR(got, want);
	free(got);
}

TEST(logview_escape_bytes_and_controls)
{
	check_escape("plain text", 10, false, "plain text");
	check_escape("caf\xc3\xa9 \xe2\x82\xac", 9, false, "caf\xc3\xa9 \xe2\x82\xac");
	check_escape("bad \xff\xfe!", 7, false, "bad \\xff\\xfe!");
	/* Overlong, surrogate, truncated sequences: each byte escaped. */
	check_escape("\xc0\xaf", 2, false, "\\xc0\\xaf");
	check_escape("\xed\xa0\x80", 3, false, "\\xed\\xa0\\x80");
	check_escape("x\xe2\x82", 3, false, "x\\xe2\\x82");
	/* ESC, BEL, CR, DEL, C1 escaped; tab kept. */
	check_escape("\x1b[31mred\a\r\x7f\tend", 15, false,
	    "\\x1b[31mred\\x07\\x0d\\x7f\tend");
	check_escape("\xc2\x9b" "2J", 4, false, "\\xc2\\x9b2J");
	/* --raw: controls as they are, but never invalid UTF-8 or NUL. */
	check_escape("\x1b[31mred \xff", 10, true, "\x1b[31mred \\xff");
	check_escape("a\0b", 3, true, "a\\x00b");
}

TEST(logview_escape_cuts_long_lines)
{
	size_t	 n = 1024 * 1024;
	char	*line = malloc(n), *got, want[64];

	memset(line, 'L', n);
	got = logview_escape(line, n, n, false);
	snprintf(want, sizeof want, " [clm: line cut, %zu bytes]", n);
	ASSERT_EQ_INT(strlen(got), LOGVIEW_LINE_SHOW + strlen(want));
	ASSERT_EQ_STR(got + LOGVIEW_LINE_SHOW, want);
	free(got);
	free(line);
}

static char *
tmpfile_with(const char *data, size_t n)
{
	char	*path = strdup("/tmp/clm-unit-tail.XXXXXX");
	int	 fd = mkstemp(path);

	ASSERT_TRUE(fd != -1);
	ASSERT_TRUE(write(fd, data, n) == (ssize_t)n);
	close(fd);
	return path;
}

TEST(logview_tail_lines_and_markers)
{
	size_t	  big = 1024 * 1024 + 10, off;
	char	 *data = malloc(big + 200), *path, **l;

	/* The last lines, a missing final newline, fewer than asked. */
	path = tmpfile_with("a\nb\n\nc\nd", 8);
	l = logview_tail(path, 3, false, true);
	ASSERT_EQ_INT(clm_strv_len(l), 3);
	ASSERT_EQ_STR(l[0], "");
	ASSERT_EQ_STR(l[1], "c");
	ASSERT_EQ_STR(l[2], "d");
	clm_strv_free(l);
	l = logview_tail(path, 100, false, true);
	ASSERT_EQ_INT(clm_strv_len(l), 5);
	ASSERT_EQ_STR(l[0], "a");
	clm_strv_free(l);
	unlink(path);
	free(path);

	/* A 1 MiB line before the last one: shown, cut. */
	off = 0;
	memcpy(data, "first\n", 6);
	off = 6;
	memset(data + off, 'L', big);
	off += big;
	memcpy(data + off, "\nlast\n", 6);
	off += 6;
	path = tmpfile_with(data, off);
	l = logview_tail(path, 2, false, true);
	ASSERT_EQ_INT(clm_strv_len(l), 2);
	ASSERT_TRUE(strncmp(l[0], "LLLL", 4) == 0);
	ASSERT_TRUE(strstr(l[0], "[clm: line cut, 1048586 bytes]") != NULL);
	ASSERT_EQ_STR(l[1], "last");
	clm_strv_free(l);
	unlink(path);
	free(path);

	/* A line longer than the look back: one line, said so. */
	big = 9 * 1024 * 1024;
	data = realloc(data, big + 16);
	memcpy(data, "x\n", 2);
	memset(data + 2, 'Z', big);
	memcpy(data + 2 + big, "\nend\n", 5);
	path = tmpfile_with(data, big + 7);
	l = logview_tail(path, 3, false, true);
	ASSERT_EQ_INT(clm_strv_len(l), 2);
	ASSERT_TRUE(strstr(l[0], "its start is not shown] ZZZ") != NULL);
	ASSERT_EQ_STR(l[1], "end");
	clm_strv_free(l);
	unlink(path);
	free(path);

	/* A deleted app's lines end with a marker: a live app (or a file
	 * that goes on after it) shows only what follows. */
#define MARK "--- clm: app 'r' deleted at 2026-11-30T06:13:59Z; the lines " \
	    "above are from it ---\n"
	path = tmpfile_with("old 1\nold 2\n" MARK "new 1\n",
	    strlen("old 1\nold 2\n" MARK "new 1\n"));
	l = logview_tail(path, 10, false, true);
	ASSERT_EQ_INT(clm_strv_len(l), 1);
	ASSERT_EQ_STR(l[0], "new 1");
	clm_strv_free(l);
	l = logview_tail(path, 10, false, false);
	ASSERT_EQ_INT(clm_strv_len(l), 1);
	clm_strv_free(l);
	unlink(path);
	free(path);
	path = tmpfile_with("old 1\n" MARK, strlen("old 1\n" MARK));
	l = logview_tail(path, 10, false, false);	/* deleted: all */
	ASSERT_EQ_INT(clm_strv_len(l), 2);
	ASSERT_EQ_STR(l[0], "old 1");
	clm_strv_free(l);
	l = logview_tail(path, 10, false, true);	/* live: none */
	ASSERT_EQ_INT(clm_strv_len(l), 0);
	clm_strv_free(l);
	unlink(path);
	free(path);
	free(data);
}

TEST(logs_file_names)
{
	char	app[64], kind[4];
	long	slot;

	ASSERT_EQ_INT(logs_file_name("web-0-out.log", app, sizeof app,
	    &slot, kind), 0);
	ASSERT_EQ_STR(app, "web");
	ASSERT_EQ_INT(slot, 0);
	ASSERT_EQ_STR(kind, "out");
	ASSERT_EQ_INT(logs_file_name("web-0-all-err.log", app, sizeof app,
	    &slot, kind), 0);
	ASSERT_EQ_STR(app, "web-0");
	ASSERT_EQ_INT(slot, -1);
	ASSERT_EQ_STR(kind, "err");
	ASSERT_EQ_INT(logs_file_name("api.v2-out.log", app, sizeof app,
	    &slot, kind), 0);
	ASSERT_EQ_STR(app, "api.v2");
	ASSERT_EQ_INT(slot, -1);
	ASSERT_EQ_INT(logs_file_name("web-0-out.log.1", app, sizeof app,
	    &slot, kind), -1);
	ASSERT_EQ_INT(logs_file_name("clmd.log", app, sizeof app, &slot,
	    kind), -1);
	ASSERT_EQ_INT(logs_file_name("-out.log", app, sizeof app, &slot,
	    kind), -1);
}
