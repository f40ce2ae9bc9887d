/*
 * Unit tests of PM2's ecosystem files (src/ecosystem.c) read from JSON and
 * YAML (the .js path, through Node, is tested end to end), and of dotenv
 * files (src/dotenv.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/dotenv.h"
#include "clm/ecosystem.h"
#include "clm/options.h"
#include "unit.h"

static char *
env_of(char *const *env, const char *key)
{
	size_t	len = strlen(key), i;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (strncmp(env[i], key, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	}
	return NULL;
}

TEST(dotenv_every_form)
{
	static const char text[] =
	    "# comment\n"
	    "PLAIN=hello world\n"
	    "export EXPORTED=yes\n"
	    "  SPACED  =  trimmed value  \r\n"
	    "SINGLE='$HOME \\n # raw'\n"
	    "DOUBLE=\"a\\nb \\\"q\\\" \\\\ end\" # comment\n"
	    "HASH=value # a comment\n"
	    "NOHASH=a#b\n"
	    "EMPTY=\n"
	    "\n"
	    "DUP=first\n"
	    "DUP=second\n"
	    "KEEP=new";
	char	**env = NULL, *cause = NULL;

	clm_strv_push(&env, "KEEP=old");
	clm_strv_push(&env, "OTHER=1");
	ASSERT_EQ_INT(dotenv_parse("x.env", text, strlen(text), &env, &cause),
	    0);
	ASSERT_EQ_STR(env_of(env, "PLAIN"), "hello world");
	ASSERT_EQ_STR(env_of(env, "EXPORTED"), "yes");
	ASSERT_EQ_STR(env_of(env, "SPACED"), "trimmed value");
	ASSERT_EQ_STR(env_of(env, "SINGLE"), "$HOME \\n # raw");
	ASSERT_EQ_STR(env_of(env, "DOUBLE"), "a\nb \"q\" \\ end");
	ASSERT_EQ_STR(env_of(env, "HASH"), "value");
	ASSERT_EQ_STR(env_of(env, "NOHASH"), "a#b");
	ASSERT_EQ_STR(env_of(env, "EMPTY"), "");
	ASSERT_EQ_STR(env_of(env, "DUP"), "second");
	ASSERT_EQ_STR(env_of(env, "KEEP"), "new");
	ASSERT_EQ_STR(env_of(env, "OTHER"), "1");
	ASSERT_EQ_INT(clm_strv_len(env), 11);
	clm_strv_free(env);
}

static void
dotenv_bad(const char *text, const char *want)
{
	char	**env = NULL, *cause = NULL;

	clm_strv_push(&env, "A=1");
	ASSERT_EQ_INT(dotenv_parse("x.env", text, strlen(text), &env, &cause),
	    -1);
	ASSERT_EQ_STR(cause, want);
	/* Unchanged. */
	ASSERT_EQ_INT(clm_strv_len(env), 1);
	ASSERT_EQ_STR(env[0], "A=1");
	free(cause);
	clm_strv_free(env);
}

TEST(dotenv_errors_name_file_and_line)
{
	dotenv_bad("A=1\n\nno equals here\n", "x.env:3: 'no equals here' is "
	    "not KEY=VALUE (a KEY is letters, digits and _, not starting with "
	    "a digit; comments start with #)");
	dotenv_bad("1A=x\n", "x.env:1: '1A=x' is not KEY=VALUE (a KEY is "
	    "letters, digits and _, not starting with a digit; comments start "
	    "with #)");
	dotenv_bad("# c\nA=\"open\n", "x.env:2: the \" quote is not closed "
	    "on this line (close it; write a newline as \\n)");
	dotenv_bad("A='x' y\n", "x.env:1: text after the closing quote (put "
	    "it inside the quotes, or start a comment with #)");
}

/* A scratch folder with app.js. */
static char *
eco_dir(void)
{
	char	*dir = clm_strdup("/tmp/clm-unit-eco-XXXXXX");

	ASSERT_NOT_NULL(mkdtemp(dir));
	ASSERT_EQ_INT(chdir(dir), 0);
	ASSERT_EQ_INT(setenv("PWD", dir, 1), 0);
	unit_write_file("app.js", "\n", 0644);
	unit_write_file("bin-node", "#!/bin/sh\n", 0755);
	return dir;
}

static void
eco_dir_free(char *dir)
{
	char	*cmd = clm_asprintf("/bin/rm -rf '%s'", dir);

	ASSERT_EQ_INT(chdir("/"), 0);
	ASSERT_EQ_INT(system(cmd), 0);
	free(cmd);
	free(dir);
}

/* Load path; return its errors joined by '\n' (NULL: none). */
static char *
eco_errors(const char *path, const struct ecosystem_opts *opts,
    struct clm_app_spec ***apps, size_t *n, char ***warnings)
{
	char	**errors = NULL, *all = NULL, *tmp;
	size_t	  i;

	if (ecosystem_load(path, NULL, opts, apps, n, warnings, &errors) == 0)
		return NULL;
	for (i = 0; errors[i] != NULL; i++) {
		tmp = all == NULL ? clm_strdup(errors[i]) :
		    clm_asprintf("%s\n%s", all, errors[i]);
		free(all);
		all = tmp;
	}
	clm_strv_free(errors);
	return all;
}

TEST(ecosystem_json_and_yaml_make_the_same_specs)
{
	static const struct ecosystem_opts opts = { NULL, "prod", false };
	struct clm_app_spec	**a = NULL, **b = NULL;
	char			 *dir, *err, **warn = NULL, *fa, *fb;
	size_t			  na, nb, i;

	dir = eco_dir();
	unit_write_file("e.json", "{\"apps\":[{\"name\":\"w\",\"script\":"
	    "\"app.js\",\"interpreter\":\"./bin-node\",\"instances\":\"max\","
	    "\"args\":[\"a b\",\"c\"],\"node_args\":\"--x=1\","
	    "\"kill_timeout\":2500,\"autorestart\":false,\"uid\":\"nobody\","
	    "\"env\":{\"P\":3000,\"M\":\"dev\"},\"env_prod\":{\"M\":\"prod\"},"
	    "\"exec_mode\":\"cluster\",\"watch\":false,"
	    "\"stop_exit_codes\":[0,3],\"cron_restart\":\"0 3 * * *\","
	    "\"ignore_watch\":[\"*.log\",\"tmp\"],\"watch_delay\":1500}]}",
	    0644);
	unit_write_file("e.yaml", "apps:\n  - name: w\n    script: app.js\n"
	    "    interpreter: ./bin-node\n    instances: max\n"
	    "    args: [\"a b\", c]\n    node_args: --x=1\n"
	    "    kill_timeout: 2500\n    autorestart: false\n"
	    "    uid: nobody\n    env:\n      P: 3000\n      M: dev\n"
	    "    env_prod:\n      M: prod\n    exec_mode: cluster\n"
	    "    watch: false\n    stop_exit_codes: [0, 3]\n"
	    "    cron_restart: 0 3 * * *\n    ignore_watch:\n"
	    "      - \"*.log\"\n      - tmp\n    watch_delay: 1500\n", 0644);
	err = eco_errors("e.json", &opts, &a, &na, &warn);
	if (err != NULL)
		unit_fail(__FILE__, __LINE__, "%s", err);
	ASSERT_NULL(warn);	/* exec_mode, watch: false ask for nothing */
	err = eco_errors("e.yaml", &opts, &b, &nb, &warn);
	if (err != NULL)
		unit_fail(__FILE__, __LINE__, "%s", err);
	ASSERT_EQ_INT(na, 1);
	ASSERT_EQ_INT(nb, 1);
	for (i = 0; i < options_count; i++) {
		fa = options_format(&options_table[i], a[0]);
		fb = options_format(&options_table[i], b[0]);
		ASSERT_EQ_STR(unit_str(fa), unit_str(fb));
		free(fa);
		free(fb);
	}
	ASSERT_EQ_STR(a[0]->args[0], "a b");
	ASSERT_EQ_STR(a[0]->args[1], "c");
	ASSERT_EQ_STR(a[0]->interpreter_args[0], "--x=1");
	ASSERT_EQ_INT(a[0]->instances, 0);
	ASSERT_EQ_INT(a[0]->kill_timeout_ms, 2500);
	ASSERT_EQ_INT(a[0]->autorestart, CLM_RESTART_NEVER);
	ASSERT_EQ_STR(a[0]->stop_exit_codes[0], "0");
	ASSERT_EQ_STR(a[0]->stop_exit_codes[1], "3");
	ASSERT_NULL(a[0]->stop_exit_codes[2]);
	ASSERT_EQ_STR(a[0]->cron_restart, "0 3 * * *");
	ASSERT_NULL(a[0]->watch);	/* watch: false */
	ASSERT_EQ_STR(a[0]->ignore_watch[0], "*.log");
	ASSERT_EQ_STR(a[0]->ignore_watch[1], "tmp");
	ASSERT_EQ_INT(a[0]->watch_delay_ms, 1500);
	ASSERT_EQ_STR(a[0]->user, "nobody");
	ASSERT_EQ_STR(env_of(a[0]->env, "P"), "3000");
	ASSERT_EQ_STR(env_of(a[0]->env, "M"), "prod");
	clm_app_spec_free(a[0]);
	clm_app_spec_free(b[0]);
	free(a);
	free(b);
	eco_dir_free(dir);
}

TEST(ecosystem_errors_name_file_app_and_key)
{
	static const struct ecosystem_opts opts = { NULL, NULL, false };
	static const struct ecosystem_opts strict = { NULL, NULL, true };
	struct clm_app_spec	**apps = (void *)1;
	char			 *dir, *err, **warn = NULL;
	size_t			  n = 9;

	dir = eco_dir();
	/* The file's shape first; then every value, all reported. */
	unit_write_file("shape.json", "{\"apps\":[{\"name\":\"w\",\"script\":"
	    "\"app.js\",\"instances\":[1],\"env\":[]},{\"name\":\"w\"}]}",
	    0644);
	err = eco_errors("shape.json", &opts, &apps, &n, &warn);
	ASSERT_EQ_STR(err, "shape.json: app 'w': instances must be a string "
	    "or a number, not an array\n"
	    "shape.json: app 'w': env must be an object of NAME: value, not "
	    "an array\n"
	    "shape.json: app 'w' has no script (add script: PATH)\n"
	    "shape.json: two apps are named 'w' (each needs a name of its "
	    "own)");
	free(err);
	unit_write_file("bad.json", "{\"apps\":[{\"name\":\"w\",\"script\":"
	    "\"app.js\",\"kill_timeout\":\"soon\"},"
	    "{\"script\":\"app.js\",\"max_restarts\":-2}]}", 0644);
	err = eco_errors("bad.json", &opts, &apps, &n, &warn);
	ASSERT_EQ_STR(err, "bad.json: app 'w': kill_timeout: 'soon' is not a duration from "
	    "0ms to 86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)\n"
	    "bad.json: app 'app': max_restarts: '-2' is not a number from 0 "
	    "to 1000000");
	ASSERT_NULL(apps);
	ASSERT_EQ_INT(n, 0);
	free(err);

	unit_write_file("bad.yaml", "apps:\n  - name: w\n    script: [\n",
	    0644);
	err = eco_errors("bad.yaml", &opts, &apps, &n, &warn);
	ASSERT_NOT_NULL(err);
	ASSERT_TRUE(strncmp(err, "bad.yaml: line 4, column 1: ", 28) == 0);
	free(err);

	unit_write_file("syntax.json", "{\"apps\": [\n  {\"name\": 1,}\n]}",
	    0644);
	err = eco_errors("syntax.json", &opts, &apps, &n, &warn);
	ASSERT_EQ_STR(err, "syntax.json: line 2, column 15: not valid JSON");
	free(err);

	unit_write_file("unknown.json", "{\"apps\":[{\"name\":\"w\",\"script\":"
	    "\"app.js\",\"instanecs\":2,\"pid_file\":\"w.pid\"}]}",
	    0644);
	err = eco_errors("unknown.json", &opts, &apps, &n, &warn);
	ASSERT_NULL(err);
	ASSERT_EQ_INT(n, 1);
	clm_app_spec_free(apps[0]);
	free(apps);
	ASSERT_EQ_STR(warn[0], "unknown.json: app 'w': instanecs: unknown key "
	    "(did you mean 'instances'?)");
	ASSERT_EQ_STR(warn[1], "unknown.json: app 'w': pid_file: clm keeps "
	    "no pid files (clm list --json has the pids)");
	ASSERT_NULL(warn[2]);
	clm_strv_free(warn);
	warn = NULL;
	err = eco_errors("unknown.json", &strict, &apps, &n, &warn);
	ASSERT_EQ_STR(err, "unknown.json: app 'w': instanecs: unknown key "
	    "(did you mean 'instances'?)\n"
	    "unknown.json: app 'w': pid_file: clm keeps no pid files (clm "
	    "list --json has the pids)");
	ASSERT_NULL(warn);
	free(err);
	eco_dir_free(dir);
}

/* PM2's watch: true is the cwd (watch = yes), a path or paths are kept;
 * stop_exit_codes is a number or an array; none of them is reported. */
TEST(ecosystem_watch_and_exit_codes)
{
	static const struct ecosystem_opts strict = { NULL, NULL, true };
	struct clm_app_spec	**apps = NULL;
	char			 *dir, *err, **warn = NULL;
	size_t			  n;

	dir = eco_dir();
	unit_write_file("w.json", "{\"apps\":[{\"name\":\"a\",\"script\":"
	    "\"app.js\",\"watch\":true,\"stop_exit_codes\":3},"
	    "{\"name\":\"b\",\"script\":\"app.js\",\"watch\":\"src\"},"
	    "{\"name\":\"c\",\"script\":\"app.js\",\"watch\":[\"src\","
	    "\"lib\"],\"stop_exit_codes\":[],\"autorestart\":true}]}", 0644);
	err = eco_errors("w.json", &strict, &apps, &n, &warn);
	if (err != NULL)
		unit_fail(__FILE__, __LINE__, "%s", err);
	ASSERT_NULL(warn);
	ASSERT_EQ_INT(n, 3);
	ASSERT_EQ_STR(apps[0]->watch[0], "yes");
	ASSERT_NULL(apps[0]->watch[1]);
	ASSERT_EQ_STR(apps[0]->stop_exit_codes[0], "3");
	ASSERT_EQ_STR(apps[1]->watch[0], "src");
	ASSERT_EQ_STR(apps[2]->watch[0], "src");
	ASSERT_EQ_STR(apps[2]->watch[1], "lib");
	ASSERT_NULL(apps[2]->stop_exit_codes);
	ASSERT_EQ_INT(apps[2]->autorestart, CLM_RESTART_ALWAYS);
	for (n = 0; n < 3; n++)
		clm_app_spec_free(apps[n]);
	free(apps);
	eco_dir_free(dir);
}

/* script: a bare command that the folder lacks comes from PATH (PM2's
 * script: 'npm', args: 'start'); a file of the folder comes first. */
TEST(ecosystem_script_from_path)
{
	static const struct ecosystem_opts opts = { NULL, NULL, false };
	struct clm_app_spec	**apps = NULL;
	char			 *dir, *err, **warn = NULL, *want;
	size_t			  n;

	dir = eco_dir();
	unit_write_file("e.json", "{\"apps\":[{\"name\":\"a\",\"script\":\"sh\","
	    "\"args\":\"-c true\"},{\"name\":\"b\",\"script\":\"app.js\"}]}",
	    0644);
	err = eco_errors("e.json", &opts, &apps, &n, &warn);
	if (err != NULL)
		unit_fail(__FILE__, __LINE__, "%s", err);
	ASSERT_EQ_INT(n, 2);
	ASSERT_TRUE(apps[0]->script[0] == '/');
	ASSERT_EQ_STR(strrchr(apps[0]->script, '/'), "/sh");
	ASSERT_NULL(apps[0]->interpreter);
	want = clm_asprintf("%s/app.js", dir);
	ASSERT_EQ_STR(apps[1]->script, want);
	free(want);
	clm_app_spec_free(apps[0]);
	clm_app_spec_free(apps[1]);
	free(apps);
	eco_dir_free(dir);
}
