/* Unit tests of src/cli.c (clm start's arguments, verbs), src/render.c and
 * src/home.c. */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/cli.h"
#include "clm/home.h"
#include "clm/render.h"
#include "unit.h"

/*
 * A scratch directory with scripts, and a bin/ with fake interpreters that
 * becomes the whole PATH (each test runs in its own process).
 */
struct fixture {
	char	dir[64];
	char	bin[96];
};

static void
fixture_file(const struct fixture *fx, const char *name, mode_t mode)
{
	char	*path;
	int	 fd;

	path = clm_asprintf("%s/%s", fx->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ASSERT_TRUE(fd != -1);
	ASSERT_EQ_INT(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	ASSERT_EQ_INT(chmod(path, mode), 0);
	free(path);
}

static void
fixture_setup(struct fixture *fx)
{
	strcpy(fx->dir, "/tmp/clm-unit-cli-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(fx->dir));
	snprintf(fx->bin, sizeof fx->bin, "%s/bin", fx->dir);
	ASSERT_EQ_INT(mkdir(fx->bin, 0755), 0);
	fixture_file(fx, "bin/node", 0755);
	fixture_file(fx, "bin/sh", 0755);
	fixture_file(fx, "app.js", 0644);
	fixture_file(fx, "worker.py", 0644);
	fixture_file(fx, "run.sh", 0644);
	fixture_file(fx, "mod.mjs", 0644);
	fixture_file(fx, "my.server.js", 0644);
	fixture_file(fx, "tool", 0755);
	fixture_file(fx, "plain", 0644);
	fixture_file(fx, "my app.js", 0644);
	ASSERT_EQ_INT(setenv("PATH", fx->bin, 1), 0);
}

static void
fixture_teardown(struct fixture *fx)
{
	char	*cmd;

	cmd = clm_asprintf("/bin/rm -rf '%s'", fx->dir);
	ASSERT_EQ_INT(system(cmd), 0);
	free(cmd);
}

/* Run clm_cli_parse_start on a NULL-terminated list of words. */
static int
parse(const struct fixture *fx, struct clm_app_spec **spec, bool *name_only,
    char **cause, ...)
{
	char		*argv[32];
	const char	*s;
	va_list		 ap;
	int		 argc = 0;

	va_start(ap, cause);
	while ((s = va_arg(ap, const char *)) != NULL)
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	*spec = clm_app_spec_new();
	*cause = NULL;
	return clm_cli_parse_start(argc, argv, fx->dir, *spec, name_only,
	    cause);
}

static char *
in_dir(const struct fixture *fx, const char *name)
{
	return clm_asprintf("%s/%s", fx->dir, name);
}

TEST(cli_resolve_verb)
{
	char	*cause = NULL;

	ASSERT_EQ_STR(clm_cli_resolve_verb("list", &cause), "list");
	ASSERT_EQ_STR(clm_cli_resolve_verb("ls", &cause), "list");
	ASSERT_EQ_STR(clm_cli_resolve_verb("del", &cause), "delete");
	ASSERT_EQ_STR(clm_cli_resolve_verb("delete", &cause), "delete");
	ASSERT_EQ_STR(clm_cli_resolve_verb("li", &cause), "list");
	ASSERT_EQ_STR(clm_cli_resolve_verb("desc", &cause), "describe");
	ASSERT_EQ_STR(clm_cli_resolve_verb("sto", &cause), "stop");
	ASSERT_EQ_STR(clm_cli_resolve_verb("desc", &cause), "describe");
	ASSERT_EQ_STR(clm_cli_resolve_verb("k", &cause), "kill");
	ASSERT_EQ_STR(clm_cli_resolve_verb("p", &cause), "ping");
	ASSERT_EQ_STR(clm_cli_resolve_verb("reload", &cause), "reload");
	ASSERT_EQ_STR(clm_cli_resolve_verb("resta", &cause), "restart");
	ASSERT_EQ_STR(clm_cli_resolve_verb("sc", &cause), "scale");
	ASSERT_EQ_STR(clm_cli_resolve_verb("help", &cause), "help");
	ASSERT_EQ_STR(clm_cli_resolve_verb("save", &cause), "save");
	ASSERT_EQ_STR(clm_cli_resolve_verb("sa", &cause), "save");
	ASSERT_EQ_STR(clm_cli_resolve_verb("resu", &cause), "resurrect");
	ASSERT_EQ_STR(clm_cli_resolve_verb("resurrect", &cause),
	    "resurrect");
	ASSERT_NULL(cause);

	ASSERT_NULL(clm_cli_resolve_verb("re", &cause));
	ASSERT_EQ_STR(cause, "ambiguous command: re, could be: reload, "
	    "reload-logs, restart, resurrect");
	free(cause);
	cause = NULL;
	ASSERT_NULL(clm_cli_resolve_verb("res", &cause));
	ASSERT_EQ_STR(cause, "ambiguous command: res, could be: restart, "
	    "resurrect");
	free(cause);
	cause = NULL;
	ASSERT_NULL(clm_cli_resolve_verb("s", &cause));
	ASSERT_EQ_STR(cause, "ambiguous command: s, could be: save, scale, "
	    "start, startup, stop");
	free(cause);
	cause = NULL;
	ASSERT_NULL(clm_cli_resolve_verb("de", &cause));
	ASSERT_EQ_STR(cause, "ambiguous command: de, could be: delete, "
	    "describe");
	free(cause);
	cause = NULL;
	ASSERT_NULL(clm_cli_resolve_verb("foo", &cause));
	ASSERT_EQ_STR(cause, "unknown command: foo");
	free(cause);
	cause = NULL;
	ASSERT_NULL(clm_cli_resolve_verb("lists", &cause));
	ASSERT_EQ_STR(cause, "unknown command: lists");
	free(cause);
	cause = NULL;
	ASSERT_NULL(clm_cli_resolve_verb("", &cause));
	ASSERT_EQ_STR(cause, "unknown command: ");
	free(cause);
}

TEST(cli_start_flags_before_and_after_script)
{
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause, *want;
	bool			 name_only;

	fixture_setup(&fx);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "-i", "2",
	    "app.js", "--name", "web", "--kill-signal", "SIGTERM", NULL), 0);
	ASSERT_NULL(cause);
	ASSERT_FALSE(name_only);
	ASSERT_EQ_INT(spec->instances, 2);
	ASSERT_EQ_STR(spec->name, "web");
	want = in_dir(&fx, "app.js");
	ASSERT_EQ_STR(spec->script, want);
	free(want);
	ASSERT_EQ_STR(spec->cwd, fx.dir);
	want = in_dir(&fx, "bin/node");
	ASSERT_EQ_STR(spec->interpreter, want);
	free(want);
	ASSERT_NULL(spec->args);
	ASSERT_NOT_NULL(spec->env);
	ASSERT_EQ_INT(spec->kill_signal, 15);
	ASSERT_TRUE(spec->autorestart);
	/* Not given: left for the daemon's defaults. */
	ASSERT_TRUE(spec->kill_timeout_ms == CLM_UNSET_MS);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "./app.js",
	    "--instances=3", "-nweb2", "--kill-timeout", "500",
	    "--min-uptime=200", "--max-restarts", "4", "--no-autorestart",
	    "--listen-timeout", "9000", NULL), 0);
	ASSERT_EQ_INT(spec->instances, 3);
	ASSERT_EQ_STR(spec->name, "web2");
	want = in_dir(&fx, "app.js");
	ASSERT_EQ_STR(spec->script, want);
	free(want);
	ASSERT_EQ_INT(spec->kill_timeout_ms, 500);
	ASSERT_EQ_INT(spec->min_uptime_ms, 200);
	ASSERT_EQ_INT(spec->max_restarts, 4);
	ASSERT_FALSE(spec->autorestart);
	ASSERT_EQ_INT(spec->listen_timeout_ms, 9000);
	clm_app_spec_free(spec);

	fixture_teardown(&fx);
}

TEST(cli_start_script_args)
{
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause;
	bool			 name_only;

	fixture_setup(&fx);
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js", "-i",
	    "2", "--", "--port", "80", "-i", "3", "--", NULL), 0);
	ASSERT_EQ_INT(spec->instances, 2);
	ASSERT_EQ_INT(clm_strv_len(spec->args), 5);
	ASSERT_EQ_STR(spec->args[0], "--port");
	ASSERT_EQ_STR(spec->args[1], "80");
	ASSERT_EQ_STR(spec->args[2], "-i");
	ASSERT_EQ_STR(spec->args[3], "3");
	ASSERT_EQ_STR(spec->args[4], "--");
	clm_app_spec_free(spec);

	/* "--" with nothing after it: no arguments. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js", "--",
	    NULL), 0);
	ASSERT_NULL(spec->args);
	clm_app_spec_free(spec);

	/* The script itself after "--" is not the script. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "--", "app.js",
	    NULL), CLM_EXIT_USAGE);
	ASSERT_CONTAINS(cause, "missing script");
	free(cause);
	clm_app_spec_free(spec);
	fixture_teardown(&fx);
}

TEST(cli_start_instances)
{
	static const struct {
		const char	*value;
		int		 rc;
		int		 want;
	} table[] = {
		{ "1", 0, 1 },
		{ "4", 0, 4 },
		{ "0", 0, CLM_INSTANCES_MAX },
		{ "max", 0, CLM_INSTANCES_MAX },
		{ "-1", 0, CLM_INSTANCES_ALL_BUT_ONE },
		{ "-2", CLM_EXIT_USAGE, 0 },
		{ "abc", CLM_EXIT_USAGE, 0 },
		{ "1.5", CLM_EXIT_USAGE, 0 },
		{ "", CLM_EXIT_USAGE, 0 },
		{ "99999999999999999999", CLM_EXIT_USAGE, 0 },
	};
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause;
	bool			 name_only;
	size_t			 i;

	fixture_setup(&fx);
	for (i = 0; i < CLM_ARRAY_SIZE(table); i++) {
		ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js",
		    "-i", table[i].value, NULL), table[i].rc);
		if (table[i].rc == 0) {
			ASSERT_NULL(cause);
			ASSERT_EQ_INT(spec->instances, table[i].want);
		} else {
			ASSERT_CONTAINS(cause, "-i: ");
			free(cause);
		}
		clm_app_spec_free(spec);
	}
	/* A value stuck to the flag. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "-i3", "app.js",
	    NULL), 0);
	ASSERT_EQ_INT(spec->instances, 3);
	clm_app_spec_free(spec);
	fixture_teardown(&fx);
}

TEST(cli_start_usage_errors)
{
	static const struct {
		const char	*a, *b;
		const char	*cause;
	} table[] = {
		{ "--kill-timeout", "abc",
		  "--kill-timeout: 'abc' is not a duration from 0ms to "
		  "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)" },
		{ "--kill-timeout", "-5",
		  "--kill-timeout: '-5' is not a duration from 0ms to "
		  "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)" },
		{ "--min-uptime", "1.0001s",
		  "--min-uptime: '1.0001s' is not a duration from 0ms to "
		  "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)" },
		{ "--listen-timeout", "99999999999",
		  "--listen-timeout: '99999999999' is not a duration from 0ms "
		  "to 86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)" },
		{ "--kill-timeout", "25h",
		  "--kill-timeout: '25h' is not a duration from 0ms to "
		  "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)" },
		{ "--max-restarts", "x",
		  "--max-restarts: 'x' is not a number from 0 to 1000000" },
		{ "--max-memory-restart", "1000K",
		  "--max-memory-restart: '1000K' is not 0 or a size of at "
		  "least 1M (write 512K, 10M or 1G)" },
		{ "--log-retain", "1001",
		  "--log-retain: '1001' is not a number from 0 to 1000" },
		{ "--nmae", "x",
		  "unknown option '--nmae' (did you mean --name?)" },
		{ "--kil-timeout", "5s",
		  "unknown option '--kil-timeout' (did you mean "
		  "--kill-timeout?)" },
		{ "--kill-signal", "SIGFOO",
		  "--kill-signal: 'SIGFOO' is not a signal (use a name like "
		  "SIGTERM or a number)" },
		{ "--bogus", "1", "unknown option '--bogus'" },
		{ "-x", "1", "unknown option '-x'" },
		{ "--no-autorestart=1", "1",
		  "option --no-autorestart takes no value" },
		{ "--name", "bad/name", NULL },
	};
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause;
	bool			 name_only;
	size_t			 i;

	fixture_setup(&fx);
	for (i = 0; i < CLM_ARRAY_SIZE(table); i++) {
		ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js",
		    table[i].a, table[i].b, NULL), CLM_EXIT_USAGE);
		ASSERT_NOT_NULL(cause);
		if (table[i].cause != NULL)
			ASSERT_EQ_STR(cause, table[i].cause);
		free(cause);
		clm_app_spec_free(spec);
	}

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js",
	    "--name", NULL), CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "option --name needs a value");
	free(cause);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, NULL),
	    CLM_EXIT_USAGE);
	ASSERT_CONTAINS(cause, "missing script");
	free(cause);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js",
	    "extra", NULL), CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "unexpected argument 'extra' (arguments for the "
	    "script go after --)");
	free(cause);
	clm_app_spec_free(spec);
	fixture_teardown(&fx);
}

TEST(cli_start_missing_script)
{
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause, *want;
	bool			 name_only;

	fixture_setup(&fx);
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "nosuch.js",
	    NULL), CLM_EXIT_FAIL);
	ASSERT_FALSE(name_only);
	want = clm_asprintf("script 'nosuch.js' not found (looked in %s)",
	    fx.dir);
	ASSERT_EQ_STR(cause, want);
	free(want);
	free(cause);
	clm_app_spec_free(spec);

	/* With options, a missing word is a missing script, not a name. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "web", "-i", "2",
	    NULL), CLM_EXIT_FAIL);
	ASSERT_FALSE(name_only);
	ASSERT_CONTAINS(cause, "script 'web' not found (looked in ");
	free(cause);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "sub/web", NULL),
	    CLM_EXIT_FAIL);
	ASSERT_CONTAINS(cause, "script 'sub/web' not found");
	free(cause);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "/nonexistent/x.py",
	    NULL), CLM_EXIT_FAIL);
	ASSERT_EQ_STR(cause, "script '/nonexistent/x.py' not found (looked in "
	    "/nonexistent)");
	free(cause);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "bin.js", "--cwd",
	    "bin", NULL), CLM_EXIT_FAIL);
	ASSERT_CONTAINS(cause, "/bin)");
	free(cause);
	clm_app_spec_free(spec);

	/* A directory is not a script. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "bin/", "-i", "1",
	    NULL), CLM_EXIT_FAIL);
	ASSERT_CONTAINS(cause, "is a directory");
	free(cause);
	clm_app_spec_free(spec);
	fixture_teardown(&fx);
}

TEST(cli_start_interpreter)
{
	static const struct {
		const char	*script;
		const char	*interpreter;	/* in bin/, or NULL */
	} table[] = {
		{ "app.js", "node" },
		{ "mod.mjs", "node" },
		{ "run.sh", "sh" },
		{ "tool", NULL },
	};
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause, *want;
	bool			 name_only;
	size_t			 i;

	fixture_setup(&fx);
	for (i = 0; i < CLM_ARRAY_SIZE(table); i++) {
		ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause,
		    table[i].script, NULL), 0);
		if (table[i].interpreter == NULL)
			ASSERT_NULL(spec->interpreter);
		else {
			want = clm_asprintf("%s/%s", fx.bin,
			    table[i].interpreter);
			ASSERT_EQ_STR(spec->interpreter, want);
			free(want);
		}
		clm_app_spec_free(spec);
	}

	/* python3 is not in our PATH. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "worker.py", NULL),
	    CLM_EXIT_FAIL);
	ASSERT_EQ_STR(cause, "interpreter 'python3' not found on PATH "
	    "(install it or pass --interpreter)");
	free(cause);
	clm_app_spec_free(spec);

	/* ... unless named. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "worker.py",
	    "--interpreter", "sh", NULL), 0);
	want = clm_asprintf("%s/sh", fx.bin);
	ASSERT_EQ_STR(spec->interpreter, want);
	free(want);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "worker.py",
	    "--interpreter", "./bin/node", NULL), 0);
	want = clm_asprintf("%s/node", fx.bin);
	ASSERT_EQ_STR(spec->interpreter, want);
	free(want);
	clm_app_spec_free(spec);

	/* Executed directly, it must be executable. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "plain", "-i", "1",
	    NULL), CLM_EXIT_FAIL);
	ASSERT_EQ_STR(cause, "script 'plain' is not executable (chmod +x it, "
	    "or pass --interpreter)");
	free(cause);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "tool",
	    "--interpreter", "none", NULL), 0);
	ASSERT_NULL(spec->interpreter);
	clm_app_spec_free(spec);
	fixture_teardown(&fx);
}

TEST(cli_start_name_and_cwd)
{
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause, *want;
	bool			 name_only;

	fixture_setup(&fx);
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "my.server.js",
	    NULL), 0);
	ASSERT_EQ_STR(spec->name, "my.server");
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "tool", NULL), 0);
	ASSERT_EQ_STR(spec->name, "tool");
	clm_app_spec_free(spec);

	/* A base name that is no valid name needs --name. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "my app.js",
	    NULL), CLM_EXIT_USAGE);
	ASSERT_CONTAINS(cause, "pass --name NAME");
	free(cause);
	clm_app_spec_free(spec);
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "my app.js", "-n",
	    "myapp", NULL), 0);
	ASSERT_EQ_STR(spec->name, "myapp");
	clm_app_spec_free(spec);

	/* --cwd: relative to the CLI's cwd; the script is looked up there. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "node", "--cwd",
	    "bin", "--interpreter", "sh", NULL), 0);
	ASSERT_EQ_STR(spec->cwd, fx.bin);
	want = clm_asprintf("%s/node", fx.bin);
	ASSERT_EQ_STR(spec->script, want);
	free(want);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js", "--cwd",
	    "nowhere", NULL), CLM_EXIT_FAIL);
	ASSERT_CONTAINS(cause, "--cwd: ");
	ASSERT_CONTAINS(cause, "/nowhere");
	free(cause);
	clm_app_spec_free(spec);

	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js", "--cwd",
	    "app.js", NULL), CLM_EXIT_FAIL);
	ASSERT_CONTAINS(cause, "is not a directory");
	free(cause);
	clm_app_spec_free(spec);
	fixture_teardown(&fx);
}

TEST(cli_start_name_only)
{
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause;
	bool			 name_only;

	fixture_setup(&fx);
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "web", NULL), 0);
	ASSERT_TRUE(name_only);
	ASSERT_EQ_STR(spec->name, "web");
	ASSERT_NULL(spec->script);
	clm_app_spec_free(spec);

	/* A directory named like the app does not get in the way. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "bin", NULL), 0);
	ASSERT_TRUE(name_only);
	ASSERT_EQ_STR(spec->name, "bin");
	clm_app_spec_free(spec);

	/* A script extension means a script. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "web.js", NULL),
	    CLM_EXIT_FAIL);
	ASSERT_FALSE(name_only);
	free(cause);
	clm_app_spec_free(spec);

	/* An existing file wins over the name. */
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "tool", NULL), 0);
	ASSERT_FALSE(name_only);
	ASSERT_NOT_NULL(spec->script);
	clm_app_spec_free(spec);
	fixture_teardown(&fx);
}

TEST(render_duration_bytes)
{
	char	buf[32];

	render_duration(buf, sizeof buf, 0);
	ASSERT_EQ_STR(buf, "0s");
	render_duration(buf, sizeof buf, 12999);
	ASSERT_EQ_STR(buf, "12s");
	render_duration(buf, sizeof buf, 5 * 60 * 1000 + 59000);
	ASSERT_EQ_STR(buf, "5m");
	render_duration(buf, sizeof buf, 3 * 3600 * 1000ULL);
	ASSERT_EQ_STR(buf, "3h");
	render_duration(buf, sizeof buf, 2 * 86400 * 1000ULL + 5);
	ASSERT_EQ_STR(buf, "2D");

	render_bytes(buf, sizeof buf, 512);
	ASSERT_EQ_STR(buf, "512b");
	render_bytes(buf, sizeof buf, 2048);
	ASSERT_EQ_STR(buf, "2.0kb");
	render_bytes(buf, sizeof buf, (uint64_t)(41.2 * 1024 * 1024));
	ASSERT_EQ_STR(buf, "41.2mb");
	render_bytes(buf, sizeof buf, 3ULL * 1024 * 1024 * 1024);
	ASSERT_EQ_STR(buf, "3.0gb");
}

/* What render_workers prints, as a string. */
static char *
render_to_string(const struct clm_worker_info *w, size_t n, const char *name)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f;

	f = open_memstream(&buf, &len);
	ASSERT_NOT_NULL(f);
	render_workers(f, w, n, name, false);
	fclose(f);
	return buf;
}

TEST(render_workers_table)
{
	struct clm_worker_info	w[3];
	char			*out;

	out = render_to_string(NULL, 0, NULL);
	ASSERT_EQ_STR(out, "id  name  pid  uptime  restarts  status  cpu  "
	    "memory\n(no apps; start one with clm start SCRIPT)\n");
	free(out);

	memset(w, 0, sizeof w);
	w[0].name = (char *)"web";
	w[0].id = 0;
	w[0].pid = 4242;
	w[0].status = (char *)"online";
	w[0].restarts = 3;
	w[0].uptime_ms = 12000;
	w[0].cpu = 0.3;
	w[0].memory = (uint64_t)(41.2 * 1024 * 1024);
	w[1] = w[0];
	w[1].id = 1;
	w[1].pid = 0;
	w[1].status = (char *)"errored";
	w[2] = w[0];
	w[2].name = (char *)"api";

	out = render_to_string(w, 3, NULL);
	ASSERT_EQ_STR(out,
	    "id  name  pid   uptime  restarts  status   cpu   memory\n"
	    "0   web   4242  12s     3         online   0.3%  41.2mb\n"
	    "1   web   -     -       3         errored  -     -\n"
	    "0   api   4242  12s     3         online   0.3%  41.2mb\n");
	free(out);

	out = render_to_string(w, 3, "api");
	ASSERT_EQ_STR(out,
	    "id  name  pid   uptime  restarts  status  cpu   memory\n"
	    "0   api   4242  12s     3         online  0.3%  41.2mb\n");
	free(out);
}

TEST(home_paths)
{
	struct clm_home	 home;
	struct stat	 sb;
	char		 dir[64], *cause = NULL, *want, *cmd, *longdir;

	strcpy(dir, "/tmp/clm-unit-home-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(dir));
	ASSERT_EQ_INT(chdir(dir), 0);

	/* Relative CLM_HOME: made absolute; nothing created without create. */
	ASSERT_EQ_INT(setenv("CLM_HOME", "h/", 1), 0);
	ASSERT_EQ_INT(clm_home_init(&home, false, &cause), 0);
	want = clm_asprintf("%s/h", dir);
	ASSERT_EQ_STR(home.dir, want);
	free(want);
	want = clm_asprintf("%s/h/clm.sock", dir);
	ASSERT_EQ_STR(home.sock, want);
	free(want);
	ASSERT_TRUE(stat(home.dir, &sb) != 0);
	clm_home_free(&home);

	/* create: the directory and logs/, 0700. */
	ASSERT_EQ_INT(setenv("CLM_HOME", "h/a/b", 1), 0);
	ASSERT_EQ_INT(clm_home_init(&home, true, &cause), 0);
	ASSERT_EQ_INT(stat(home.dir, &sb), 0);
	ASSERT_EQ_INT(sb.st_mode & 0777, 0700);
	ASSERT_EQ_INT(stat(home.logdir, &sb), 0);
	ASSERT_EQ_INT(sb.st_mode & 0777, 0700);
	want = clm_asprintf("%s/h/a/b/logs", dir);
	ASSERT_EQ_STR(home.logdir, want);
	free(want);
	want = clm_asprintf("%s/h/a/b/start.lock", dir);
	ASSERT_EQ_STR(home.startlock, want);
	free(want);
	clm_home_free(&home);
	/* Again: it exists, that is fine. */
	ASSERT_EQ_INT(clm_home_init(&home, true, &cause), 0);
	clm_home_free(&home);

	/* A file in the way. */
	ASSERT_EQ_INT(system("touch h/file"), 0);
	ASSERT_EQ_INT(setenv("CLM_HOME", "h/file", 1), 0);
	ASSERT_EQ_INT(clm_home_init(&home, false, &cause), -1);
	ASSERT_CONTAINS(cause, "is not a directory");
	free(cause);
	cause = NULL;

	/* Too long for sun_path. */
	longdir = clm_asprintf("/tmp/%0120d", 0);
	ASSERT_EQ_INT(setenv("CLM_HOME", longdir, 1), 0);
	ASSERT_EQ_INT(clm_home_init(&home, true, &cause), -1);
	ASSERT_CONTAINS(cause, "too long");
	ASSERT_CONTAINS(cause, "set a shorter CLM_HOME");
	ASSERT_TRUE(stat(longdir, &sb) != 0);
	free(cause);
	free(longdir);

	/* The default: $HOME/.clm. */
	ASSERT_EQ_INT(unsetenv("CLM_HOME"), 0);
	ASSERT_EQ_INT(setenv("HOME", dir, 1), 0);
	ASSERT_EQ_INT(clm_home_init(&home, false, &cause), 0);
	want = clm_asprintf("%s/.clm", dir);
	ASSERT_EQ_STR(home.dir, want);
	free(want);
	clm_home_free(&home);

	ASSERT_EQ_INT(chdir("/"), 0);
	cmd = clm_asprintf("rm -rf '%s'", dir);
	ASSERT_EQ_INT(system(cmd), 0);
	free(cmd);
}

/* Run clm_cli_parse_app_file on a NULL-terminated list of words. */
static int
parse_file(const char **file, char ***only, char **cause, ...)
{
	char		*argv[32];
	const char	*s;
	va_list		 ap;
	int		 argc = 0;

	va_start(ap, cause);
	while ((s = va_arg(ap, const char *)) != NULL)
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	*cause = NULL;
	return clm_cli_parse_app_file(argc, argv, file, only, cause);
}

TEST(cli_app_file)
{
	const char	*file;
	char		**only, *cause;

	ASSERT_TRUE(clm_cli_is_app_file("apps.ini"));
	ASSERT_TRUE(clm_cli_is_app_file("/etc/clm/Apps.INI"));
	ASSERT_TRUE(clm_cli_is_app_file("x.ini"));
	ASSERT_FALSE(clm_cli_is_app_file(".ini"));
	ASSERT_FALSE(clm_cli_is_app_file("app.js"));
	ASSERT_FALSE(clm_cli_is_app_file("ini"));
	ASSERT_FALSE(clm_cli_is_app_file("apps.ini.js"));

	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "apps.ini", NULL), 0);
	ASSERT_EQ_STR(file, "apps.ini");
	ASSERT_NULL(only);

	/* --only: comma-separated, repeatable, before or after the file. */
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "--only", "web,api",
	    "apps.ini", "--only=worker", NULL), 0);
	ASSERT_EQ_STR(file, "apps.ini");
	ASSERT_EQ_INT(clm_strv_len(only), 3);
	ASSERT_EQ_STR(only[0], "web");
	ASSERT_EQ_STR(only[1], "api");
	ASSERT_EQ_STR(only[2], "worker");
	clm_strv_free(only);

	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "apps.ini", "--only",
	    "web,", NULL), CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "--only: app name is empty (use --name NAME)");
	ASSERT_NULL(only);
	free(cause);
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "apps.ini", "--only",
	    "a b", NULL), CLM_EXIT_USAGE);
	ASSERT_CONTAINS(cause, "--only: app name 'a b' contains ' '");
	free(cause);
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "apps.ini", "--only",
	    NULL), CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "option --only needs a value");
	free(cause);

	/* Options of a script do not apply: the file sets them. */
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "apps.ini", "-i", "2",
	    NULL), CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "option -i does not apply to an app file (set it "
	    "in the file)");
	free(cause);
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "--only", "web",
	    "--name", "x", "apps.ini", NULL), CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "option --name does not apply to an app file "
	    "(set it in the file)");
	ASSERT_NULL(only);
	free(cause);
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "apps.ini", "--", "x",
	    NULL), CLM_EXIT_USAGE);
	ASSERT_CONTAINS(cause, "arguments after -- do not apply");
	free(cause);
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "apps.ini", "b.ini",
	    NULL), CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "unexpected argument 'b.ini' (one app file at a "
	    "time)");
	free(cause);
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "--only", "a", NULL),
	    CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "missing app file");
	free(cause);
	ASSERT_EQ_INT(parse_file(&file, &only, &cause, "app.js", NULL),
	    CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "'app.js' is not an app file (its name must end "
	    "in .ini; an ecosystem file's in .config.js, .config.cjs, .json, "
	    ".yaml or .yml)");
	free(cause);
}

TEST(cli_start_only_needs_app_file)
{
	struct fixture		 fx;
	struct clm_app_spec	*spec;
	char			*cause;
	bool			 name_only;

	fixture_setup(&fx);
	ASSERT_EQ_INT(parse(&fx, &spec, &name_only, &cause, "app.js", "--only",
	    "web", NULL), CLM_EXIT_USAGE);
	ASSERT_EQ_STR(cause, "--only applies to an app file or an ecosystem "
	    "file (clm start FILE.ini --only ...)");
	free(cause);
	clm_app_spec_free(spec);
	fixture_teardown(&fx);
}
