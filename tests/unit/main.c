/*
 * clm-unit: runs the registered unit tests, each in a forked child with a
 * 30 s alarm. Prints "ok NAME" or "FAIL NAME" per test and, last, one line
 * "N passed, N failed". Exit 1 if any failed.
 *
 *	clm-unit		run every test
 *	clm-unit NAME...	run only those
 *	clm-unit --list		list the tests
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#define UNIT_TIMEOUT 30
#define UNIT_MAX 1024

struct unit_test {
	const char	*name;
	unit_fn		 fn;
	const char	*file;
	int		 line;
};

static struct unit_test	unit_tests[UNIT_MAX];
static size_t		unit_ntests;
static int		unit_overflow;

void
unit_register(const char *name, unit_fn fn, const char *file, int line)
{
	if (unit_ntests == UNIT_MAX) {
		unit_overflow = 1;
		return;
	}
	unit_tests[unit_ntests].name = name;
	unit_tests[unit_ntests].fn = fn;
	unit_tests[unit_ntests].file = file;
	unit_tests[unit_ntests].line = line;
	unit_ntests++;
}

void
unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);	/* skip the leak check: the test stopped half-way */
}

const char *
unit_str(const char *s)
{
	return s == NULL ? "(null)" : s;
}

void
unit_write_file(const char *path, const char *text, unsigned mode)
{
	size_t	len = strlen(text);
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)mode);
	if (fd == -1 || write(fd, text, len) != (ssize_t)len ||
	    close(fd) != 0 || chmod(path, (mode_t)mode) != 0)
		unit_fail(__FILE__, __LINE__, "cannot write %s", path);
}

/* Constructors run in no fixed order across files: sort by file, line. */
static int
unit_cmp(const void *a, const void *b)
{
	const struct unit_test	*ta = a, *tb = b;
	int			 c;

	if ((c = strcmp(ta->file, tb->file)) != 0)
		return c;
	return (ta->line > tb->line) - (ta->line < tb->line);
}

static struct unit_test *
unit_find(const char *name)
{
	size_t	i;

	for (i = 0; i < unit_ntests; i++) {
		if (strcmp(unit_tests[i].name, name) == 0)
			return &unit_tests[i];
	}
	return NULL;
}

/* Run one test in a child; 0 if it passed. */
static int
unit_run(const struct unit_test *t)
{
	pid_t	pid;
	int	status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		perror("clm-unit: fork");
		return -1;
	}
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(UNIT_TIMEOUT);
		t->fn();
		fflush(stdout);
		exit(0);	/* exit, not _exit: the leak check runs */
	}
	while (waitpid(pid, &status, 0) == -1) {
		perror("clm-unit: waitpid");
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		printf("# %s: timed out after %d s (%s:%d)\n", t->name,
		    UNIT_TIMEOUT, t->file, t->line);
	} else if (WIFSIGNALED(status)) {
		printf("# %s: killed by signal %d (%s)\n", t->name,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (WEXITSTATUS(status) != 1) {
		printf("# %s: exited with status %d\n", t->name,
		    WEXITSTATUS(status));
	}
	return -1;
}

static void
unit_usage(FILE *f)
{
	fprintf(f, "usage: clm-unit [--list] [NAME...]\n");
}

int
main(int argc, char **argv)
{
	struct unit_test	*t;
	size_t			 i, j, n;
	int			 passed = 0, failed = 0;

	qsort(unit_tests, unit_ntests, sizeof unit_tests[0], unit_cmp);
	if (unit_overflow) {
		fprintf(stderr, "clm-unit: more than %d tests (raise UNIT_MAX "
		    "in tests/unit/main.c)\n", UNIT_MAX);
		return 1;
	}
	for (i = 0; i < unit_ntests; i++) {
		for (j = i + 1; j < unit_ntests; j++) {
			if (strcmp(unit_tests[i].name,
			    unit_tests[j].name) != 0)
				continue;
			fprintf(stderr, "clm-unit: test '%s' is defined twice "
			    "(%s:%d and %s:%d)\n", unit_tests[i].name,
			    unit_tests[i].file, unit_tests[i].line,
			    unit_tests[j].file, unit_tests[j].line);
			return 1;
		}
	}

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < unit_ntests; i++)
			printf("%s\n", unit_tests[i].name);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		unit_usage(stdout);
		return 0;
	}

	for (i = 1; i < (size_t)argc; i++) {
		if (unit_find(argv[i]) == NULL) {
			fprintf(stderr, "clm-unit: no test named '%s' (see "
			    "clm-unit --list)\n", argv[i]);
			return 2;
		}
	}
	n = argc > 1 ? (size_t)argc - 1 : unit_ntests;
	for (i = 0; i < n; i++) {
		t = argc > 1 ? unit_find(argv[i + 1]) : &unit_tests[i];
		if (unit_run(t) == 0) {
			printf("ok %s\n", t->name);
			passed++;
		} else {
			printf("FAIL %s\n", t->name);
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0 ? 1 : 0;
}
