/* Unit tests of src/config.c: durations, sizes, clm.ini, app files, and
 * clm_app_resolve (src/app.c) as app files use it. */
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/config.h"
#include "clm/options.h"
#include "unit.h"

#ifndef CLM_SRC_DIR
#error "CLM_SRC_DIR must name the source tree (tests/CMakeLists.txt)"
#endif

/*
 * A scratch directory, made the cwd, with scripts and a bin/ holding fake
 * interpreters. Each test runs in its own process: chdir is harmless.
 */
struct fx {
	char	dir[64];
	char	bin[96];
	char   *env[4];		/* the CLI's environment for config_load_apps */
};

static void
fx_setup(struct fx *fx)
{
	strcpy(fx->dir, "/tmp/clm-unit-config-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(fx->dir));
	ASSERT_EQ_INT(chdir(fx->dir), 0);
	ASSERT_EQ_INT(setenv("PWD", fx->dir, 1), 0);
	snprintf(fx->bin, sizeof fx->bin, "%s/bin", fx->dir);
	ASSERT_EQ_INT(mkdir("bin", 0755), 0);
	ASSERT_EQ_INT(mkdir("sub", 0755), 0);
	ASSERT_EQ_INT(mkdir("sub/www", 0755), 0);
	unit_write_file("bin/node", "#!/bin/sh\n", 0755);
	unit_write_file("bin/sh", "#!/bin/sh\n", 0755);
	unit_write_file("app.js", "\n", 0644);
	unit_write_file("api.py", "\n", 0644);
	unit_write_file("tool", "#!/bin/sh\n", 0755);
	unit_write_file("plain", "\n", 0644);
	unit_write_file("sub/server.js", "\n", 0644);
	unit_write_file("sub/api.py", "\n", 0644);
	unit_write_file("sub/www/index.js", "\n", 0644);
	fx->env[0] = clm_asprintf("PATH=%s", fx->bin);
	fx->env[1] = clm_strdup("HOME=/home/test");
	fx->env[2] = clm_strdup("NODE_ENV=development");
	fx->env[3] = NULL;
}

static void
fx_teardown(struct fx *fx)
{
	char	*cmd;
	size_t	 i;

	ASSERT_EQ_INT(chdir("/"), 0);
	cmd = clm_asprintf("/bin/rm -rf '%s'", fx->dir);
	ASSERT_EQ_INT(system(cmd), 0);
	free(cmd);
	for (i = 0; fx->env[i] != NULL; i++)
		free(fx->env[i]);
}

static void
free_apps(struct clm_app_spec **apps, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		clm_app_spec_free(apps[i]);
	free(apps);
}

/* Load text as path; must succeed. */
static struct clm_app_spec **
apps_ok(struct fx *fx, const char *path, const char *text, char *const *only,
    size_t *n)
{
	struct clm_app_spec	**apps = NULL;
	char			**errors = NULL;

	unit_write_file(path, text, 0644);
	if (config_load_apps(path, fx->env, only, NULL, &apps, n, &errors) != 0) {
		unit_fail(__FILE__, __LINE__, "%s: %s", path,
		    unit_str(errors != NULL ? errors[0] : NULL));
	}
	ASSERT_NULL(errors);
	ASSERT_NOT_NULL(apps);
	return apps;
}

/* Load text as path; must fail with exactly the errors given (NULL-ended). */
static void
apps_fail(struct fx *fx, const char *path, const char *text,
    char *const *only, ...)
{
	struct clm_app_spec	**apps = (void *)1;
	char			**errors = NULL;
	const char		 *want;
	size_t			  i = 0, n = 99;
	va_list			  ap;

	unit_write_file(path, text, 0644);
	ASSERT_EQ_INT(config_load_apps(path, fx->env, only, NULL, &apps, &n,
	    &errors), -1);
	ASSERT_NULL(apps);
	ASSERT_EQ_INT(n, 0);
	ASSERT_NOT_NULL(errors);
	va_start(ap, only);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (errors[i] == NULL)
			unit_fail(__FILE__, __LINE__, "missing error: %s",
			    want);
		ASSERT_EQ_STR(errors[i], want);
		i++;
	}
	va_end(ap);
	if (errors[i] != NULL)
		unit_fail(__FILE__, __LINE__, "extra error: %s", errors[i]);
	clm_strv_free(errors);
}

/* Load a daemon file; it must fail with exactly these errors. */
static void
daemon_fail(const char *path, const char *text, ...)
{
	struct clm_daemon_config	 cfg, def;
	char				**errors = NULL;
	const char			 *want;
	size_t				  i = 0;
	va_list				  ap;

	unit_write_file(path, text, 0644);
	config_daemon_defaults(&cfg);
	config_daemon_defaults(&def);
	ASSERT_EQ_INT(config_load_daemon(path, &cfg, &errors), -1);
	ASSERT_NOT_NULL(errors);
	va_start(ap, text);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (errors[i] == NULL)
			unit_fail(__FILE__, __LINE__, "missing error: %s",
			    want);
		ASSERT_EQ_STR(errors[i], want);
		i++;
	}
	va_end(ap);
	if (errors[i] != NULL)
		unit_fail(__FILE__, __LINE__, "extra error: %s", errors[i]);
	clm_strv_free(errors);
	/* A failed load changes nothing (on_event: an equal string). */
	ASSERT_EQ_STR(cfg.defaults.on_event, def.defaults.on_event);
	free(cfg.defaults.on_event);
	free(def.defaults.on_event);
	cfg.defaults.on_event = def.defaults.on_event = NULL;
	ASSERT_TRUE(memcmp(&cfg, &def, sizeof cfg) == 0);
}

/* ------------------------------------------------------------------ */

TEST(config_parse_duration)
{
	static const struct {
		const char	*s;
		long long	 ms;	/* -1: malformed */
	} table[] = {
		{ "0", 0 }, { "1600", 1600 }, { "1600ms", 1600 },
		{ "1.6s", 1600 }, { "2m", 120000 }, { "1h", 3600000 },
		{ "1.5h", 5400000 }, { "0.001s", 1 }, { "1.0", 1 },
		{ "2S", 2000 }, { "3MS", 3 }, { "4294967295", 4294967295LL },
		{ "4294967.295s", 4294967295LL },
		{ "", -1 }, { "ms", -1 }, { "s", -1 }, { "-1", -1 },
		{ "+1", -1 }, { " 1", -1 }, { "1 s", -1 }, { "1s ", -1 },
		{ "1.", -1 }, { ".5s", -1 }, { "1.5", -1 }, { "0.0001s", -1 },
		{ "1.0000001s", -1 }, { "1e3", -1 }, { "1d", -1 },
		{ "1sec", -1 }, { "4294967296", -1 }, { "4294968s", -1 },
		{ "99999999999999999999999", -1 }, { "1..5s", -1 },
		{ "0x10", -1 }, { "2mm", -1 },
	};
	uint32_t	ms;
	size_t		i;

	for (i = 0; i < CLM_ARRAY_SIZE(table); i++) {
		ms = 12345;
		if (table[i].ms == -1) {
			if (options_parse_duration(table[i].s, &ms) != -1)
				unit_fail(__FILE__, __LINE__, "'%s' accepted",
				    table[i].s);
			ASSERT_EQ_INT(ms, 12345);
			continue;
		}
		if (options_parse_duration(table[i].s, &ms) != 0)
			unit_fail(__FILE__, __LINE__, "'%s' refused",
			    table[i].s);
		ASSERT_EQ_INT(ms, table[i].ms);
	}
	ASSERT_EQ_INT(options_parse_duration(NULL, &ms), -1);
}

TEST(config_parse_size)
{
	static const struct {
		const char	*s;
		long long	 bytes;	/* -1: malformed */
	} table[] = {
		{ "0", 0 }, { "512", 512 }, { "512b", 512 }, { "10K", 10240 },
		{ "10k", 10240 }, { "10KB", 10240 }, { "10KiB", 10240 },
		{ "10M", 10485760 }, { "1.5M", 1572864 }, { "1G", 1073741824 },
		{ "2T", 2199023255552LL }, { "0.5K", 512 },
		{ "8388607T", 9223370937343148032LL },
		{ "", -1 }, { "M", -1 }, { "-1", -1 }, { "10 M", -1 },
		{ "10X", -1 }, { "1.1K", -1 }, { "1.5", -1 }, { "10MBs", -1 },
		{ "8388608T", -1 }, { "99999999999999999999", -1 },
		{ "1P", -1 },
	};
	uint64_t	bytes;
	size_t		i;

	for (i = 0; i < CLM_ARRAY_SIZE(table); i++) {
		bytes = 7;
		if (table[i].bytes == -1) {
			if (options_parse_size(table[i].s, &bytes) != -1)
				unit_fail(__FILE__, __LINE__, "'%s' accepted",
				    table[i].s);
			ASSERT_EQ_INT(bytes, 7);
			continue;
		}
		if (options_parse_size(table[i].s, &bytes) != 0)
			unit_fail(__FILE__, __LINE__, "'%s' refused",
			    table[i].s);
		ASSERT_EQ_INT(bytes, table[i].bytes);
	}
}

/* ------------------------------------------------------------------ */
/* clm.ini */

TEST(config_shipped_clm_ini_is_the_defaults)
{
	static const char *const keys[] = {
		"socket", "socket_mode", "socket_group", "log_dir",
		"metrics_listen", "kill_signal", "kill_timeout", "min_uptime", "max_restarts",
		"listen_timeout", "backoff_initial", "backoff_max",
		"max_log_size", "log_retain",
	};
	struct clm_daemon_config	 cfg, def;
	char				**errors = NULL, *text, *needle;
	char				 *line, buf[8192];
	const char			 *path = CLM_SRC_DIR "/config/clm.ini";
	ssize_t				  len;
	size_t				  i;
	int				  fd;

	config_daemon_defaults(&def);
	/* The defaults are those of clm start. */
	ASSERT_EQ_INT(def.defaults.kill_signal, SIGINT);
	ASSERT_EQ_INT(def.defaults.kill_timeout_ms, 1600);
	ASSERT_EQ_INT(def.defaults.min_uptime_ms, 1000);
	ASSERT_EQ_INT(def.defaults.max_restarts, 16);
	ASSERT_EQ_INT(def.defaults.listen_timeout_ms, 3000);
	ASSERT_EQ_INT(def.socket_mode, 0600);
	ASSERT_NULL(def.socket_path);
	ASSERT_NULL(def.socket_group);
	ASSERT_NULL(def.log_dir);

	/* Start from values that differ from every default. */
	memset(&cfg, 0, sizeof cfg);
	cfg.socket_mode = 0666;
	cfg.defaults.kill_signal = SIGTERM;
	cfg.defaults.kill_timeout_ms = 1;
	cfg.defaults.min_uptime_ms = 1;
	cfg.defaults.max_restarts = 1;
	cfg.defaults.listen_timeout_ms = 1;
	cfg.backoff_initial_ms = 1;
	cfg.backoff_max_ms = 2;
	cfg.defaults.max_log_size = 1;
	cfg.defaults.log_retain = 1;
	cfg.socket_path = clm_strdup("/x.sock");
	cfg.log_dir = clm_strdup("/logs");
	if (config_load_daemon(path, &cfg, &errors) != 0)
		unit_fail(__FILE__, __LINE__, "%s", unit_str(errors[0]));
	ASSERT_NULL(errors);
	ASSERT_NULL(cfg.socket_path);
	ASSERT_NULL(cfg.socket_group);
	ASSERT_NULL(cfg.log_dir);
	ASSERT_EQ_INT(cfg.socket_mode, def.socket_mode);
	ASSERT_EQ_INT(cfg.defaults.kill_signal, def.defaults.kill_signal);
	ASSERT_EQ_INT(cfg.defaults.kill_timeout_ms, def.defaults.kill_timeout_ms);
	ASSERT_EQ_INT(cfg.defaults.min_uptime_ms, def.defaults.min_uptime_ms);
	ASSERT_EQ_INT(cfg.defaults.max_restarts, def.defaults.max_restarts);
	ASSERT_EQ_INT(cfg.defaults.listen_timeout_ms, def.defaults.listen_timeout_ms);
	ASSERT_EQ_INT(cfg.backoff_initial_ms, def.backoff_initial_ms);
	ASSERT_EQ_INT(cfg.backoff_max_ms, def.backoff_max_ms);
	ASSERT_EQ_INT(cfg.defaults.max_log_size, def.defaults.max_log_size);
	ASSERT_EQ_INT(cfg.defaults.log_retain, def.defaults.log_retain);
	config_daemon_free(&cfg);
	config_daemon_free(&def);

	/* Every key is there once, with a comment line above it. */
	fd = open(path, O_RDONLY);
	ASSERT_TRUE(fd != -1);
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	ASSERT_TRUE(len > 0 && len < (ssize_t)sizeof buf - 1);
	buf[len] = '\0';
	text = clm_asprintf("\n%s", buf);
	for (i = 0; i < CLM_ARRAY_SIZE(keys); i++) {
		needle = clm_asprintf("\n%s =", keys[i]);
		ASSERT_CONTAINS(text, needle);
		line = strstr(text, needle);
		ASSERT_NULL(strstr(line + 1, needle));
		/* The line above is a comment. */
		while (line > text && line[-1] != '\n')
			line--;
		if (line[0] != ';')
			unit_fail(__FILE__, __LINE__, "no comment above %s",
			    keys[i]);
		free(needle);
	}
	free(text);
}

TEST(config_daemon_values)
{
	struct fx			 fx;
	struct clm_daemon_config	 cfg;
	char				**errors = NULL, *want;

	fx_setup(&fx);
	unit_write_file("sub/clm.ini",
	    "; a comment\n"
	    "# another\n"
	    "[daemon]\n"
	    "socket = run/clm.sock ; relative to this file\n"
	    "socket_group = root\n"
	    "log_dir = /var/log/clm\n"
	    "\n"
	    "  [ defaults ]  ; blanks are fine\n"
	    "  kill_signal = term\n"
	    "kill_timeout = 5s\n"
	    "min_uptime = 2500\n"
	    "max_restarts = 0\n"
	    "listen_timeout = 1m\n"
	    "backoff_initial = 0.25s\n"
	    "backoff_max = 1h\n"
	    "max_log_size = 0\n"
	    "log_retain = 0\n", 0644);
	config_daemon_defaults(&cfg);
	if (config_load_daemon("sub/clm.ini", &cfg, &errors) != 0)
		unit_fail(__FILE__, __LINE__, "%s", unit_str(errors[0]));
	want = clm_asprintf("%s/sub/run/clm.sock", fx.dir);
	ASSERT_EQ_STR(cfg.socket_path, want);
	free(want);
	ASSERT_EQ_STR(cfg.socket_group, "root");
	ASSERT_EQ_INT(cfg.socket_mode, 0660);	/* implied by the group */
	ASSERT_EQ_STR(cfg.log_dir, "/var/log/clm");
	ASSERT_EQ_INT(cfg.defaults.kill_signal, SIGTERM);
	ASSERT_EQ_INT(cfg.defaults.kill_timeout_ms, 5000);
	ASSERT_EQ_INT(cfg.defaults.min_uptime_ms, 2500);
	ASSERT_EQ_INT(cfg.defaults.max_restarts, 0);
	ASSERT_EQ_INT(cfg.defaults.listen_timeout_ms, 60000);
	ASSERT_EQ_INT(cfg.backoff_initial_ms, 250);
	ASSERT_EQ_INT(cfg.backoff_max_ms, 3600000);
	ASSERT_EQ_INT(cfg.defaults.max_log_size, 0);
	ASSERT_EQ_INT(cfg.defaults.log_retain, 0);

	/* A second file loads over the first; empty paths reset. */
	unit_write_file("two.ini", "[daemon]\nsocket =\nsocket_mode = 0o600\n"
	    "socket_group = 0\n[defaults]\nmax_log_size = 1K\n", 0644);
	ASSERT_EQ_INT(config_load_daemon("two.ini", &cfg, &errors), -1);
	ASSERT_EQ_STR(errors[0], "two.ini:3: socket_mode 0600 gives "
	    "socket_group '0' no access (use 0660)");
	ASSERT_NULL(errors[1]);
	clm_strv_free(errors);
	ASSERT_EQ_STR(cfg.socket_group, "root");	/* unchanged */
	unit_write_file("two.ini", "[daemon]\nsocket =\nsocket_mode = 660\n"
	    "socket_group =\n[defaults]\nmax_log_size = 1K\n", 0644);
	ASSERT_EQ_INT(config_load_daemon("two.ini", &cfg, &errors), 0);
	ASSERT_NULL(cfg.socket_path);
	ASSERT_NULL(cfg.socket_group);
	ASSERT_EQ_INT(cfg.socket_mode, 0660);
	ASSERT_EQ_INT(cfg.defaults.max_log_size, 1024);
	ASSERT_EQ_INT(cfg.defaults.kill_timeout_ms, 5000);	/* kept */
	config_daemon_free(&cfg);
	fx_teardown(&fx);
}

TEST(config_daemon_errors)
{
	struct fx	 fx;
	char		*longpath, *text, *want;

	fx_setup(&fx);
	daemon_fail("c.ini",
	    "kill_timeout = 1s\n"			/* 1 */
	    "[deamon]\n"				/* 2 */
	    "socket = /x\n"				/* 3: ignored */
	    "[daemon]\n"				/* 4 */
	    "sockt = /x\n"				/* 5 */
	    "kill_timeout = 1s\n"			/* 6 */
	    "socket_mode = 0400\n"			/* 7 */
	    "socket_group = no-such-group-clm\n"	/* 8 */
	    "[defaults]\n"				/* 9 */
	    "kill_timout = 2s\n"			/* 10 */
	    "kill_timeout = soon\n"			/* 11 */
	    "kill_signal = SIGNOPE\n"			/* 12 */
	    "max_restarts = -1\n"			/* 13 */
	    "listen_timeout = 25h\n"			/* 14 */
	    "backoff_initial = 0\n"			/* 15 */
	    "max_log_size = 10\n"			/* 16 */
	    "log_retain = many\n"			/* 17 */
	    "min_uptime = 1s\n"				/* 18 */
	    "min_uptime = 2s\n"				/* 19 */
	    "frobnicate = 1\n"				/* 20 */
	    "[daemon]\n"				/* 21 */
	    "[logs]\n",					/* 22 */
	    "c.ini:1: key 'kill_timeout' is outside any section (put it "
	    "under [defaults])",
	    "c.ini:2: unknown section [deamon] (did you mean [daemon]?)",
	    "c.ini:5: unknown key 'sockt' in [daemon] (did you mean "
	    "'socket'?)",
	    "c.ini:6: key 'kill_timeout' belongs in [defaults], not [daemon]",
	    "c.ini:7: socket_mode: 0400 must let the owner read and write "
	    "(0600 at least)",
	    "c.ini:8: socket_group: no group 'no-such-group-clm' (see "
	    "/etc/group)",
	    "c.ini:10: unknown key 'kill_timout' in [defaults] (did you mean "
	    "'kill_timeout'?)",
	    "c.ini:11: kill_timeout: 'soon' is not a duration from 0ms to "
	    "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)",
	    "c.ini:12: kill_signal: 'SIGNOPE' is not a signal (use a name "
	    "like SIGTERM or a number)",
	    "c.ini:13: max_restarts: '-1' is not a number from 0 to 1000000",
	    "c.ini:14: listen_timeout: '25h' is not a duration from 0ms to "
	    "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)",
	    "c.ini:15: backoff_initial: '0' is not a duration from 1ms to "
	    "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)",
	    "c.ini:16: max_log_size: '10' is not 0 or a size of at least 1K "
	    "(write 512K, 10M or 1G)",
	    "c.ini:17: log_retain: 'many' is not a number from 0 to 1000",
	    "c.ini:19: 'min_uptime' is already set on line 18 (set each key "
	    "once)",
	    "c.ini:20: unknown key 'frobnicate' in [defaults] (every key is "
	    "listed in " CLM_DATADIR "/clm.ini)",
	    "c.ini:21: duplicate section [daemon] (first on line 4; merge "
	    "them)",
	    "c.ini:22: unknown section [logs] (the sections are [daemon] and "
	    "[defaults])",
	    NULL);

	/* Checks across keys, once each key is fine. */
	daemon_fail("c.ini", "[defaults]\nbackoff_initial = 2s\n"
	    "backoff_max = 1s\n",
	    "c.ini:3: backoff_max (1000ms) is less than backoff_initial "
	    "(2000ms)", NULL);
	daemon_fail("c.ini", "[daemon]\nsocket_mode = 9\nsocket_mode = 1\n"
	    "socket_group =\nlog_dir =\n[defaults]\nkill_signal =\n",
	    "c.ini:2: socket_mode: '9' is not an octal mode like 0600 or 0660",
	    "c.ini:3: 'socket_mode' is already set on line 2 (set each key "
	    "once)",
	    "c.ini:7: kill_signal needs a value (every key is listed in "
	    CLM_DATADIR "/clm.ini)", NULL);

	longpath = clm_asprintf("/%0120d.sock", 0);
	text = clm_asprintf("[daemon]\nsocket = %s\n", longpath);
	want = clm_asprintf("c.ini:2: socket: the path is %zu bytes long, a "
	    "UNIX socket's may have at most 107 (choose a shorter one)",
	    strlen(longpath));
	daemon_fail("c.ini", text, want, NULL);
	free(want);
	free(text);
	free(longpath);

	{
		struct clm_daemon_config	 cfg;
		char				**errors;

		config_daemon_defaults(&cfg);
		ASSERT_EQ_INT(config_load_daemon("nowhere.ini", &cfg, &errors),
		    -1);
		ASSERT_EQ_STR(errors[0], "nowhere.ini: cannot open: No such "
		    "file or directory");
		clm_strv_free(errors);
		ASSERT_EQ_INT(config_load_daemon("sub", &cfg, &errors), -1);
		ASSERT_EQ_STR(errors[0], "sub: not a regular file");
		clm_strv_free(errors);
		config_daemon_free(&cfg);
	}
	fx_teardown(&fx);
}

/* ------------------------------------------------------------------ */
/* App files */

static const char *
env_get(char *const *env, const char *key)
{
	size_t	i, len;

	len = strlen(key);
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (strncmp(env[i], key, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	}
	return NULL;
}

TEST(config_apps_two_apps)
{
	struct fx		  fx;
	struct clm_app_spec	**apps, *a;
	char			 *want;
	size_t			  n;

	fx_setup(&fx);
	apps = apps_ok(&fx, "apps.ini",
	    "\xef\xbb\xbf; apps of the test\r\n"
	    "[web]\r\n"
	    "script = sub/server.js\r\n"
	    "instances = max\n"
	    "args = --port 3000 'two words' \"say \\\"hi\\\"\" a\\ b '' x;y\n"
	    "args = more\n"
	    "listen = 3000, 127.0.0.1:3001\n"
	    "listen = [::1]:3002\n"
	    "kill_signal = SIGTERM\n"
	    "kill_timeout = 5s\n"
	    "min_uptime = 1.5s\n"
	    "max_restarts = 3\n"
	    "autorestart = off\n"
	    "listen_timeout = 2m\n"
	    "env.NODE_ENV = production\n"
	    "env.EMPTY =\n"
	    "env.EQ = a=b ; a comment\n"
	    "\n"
	    "[api]\n"
	    "    script: api.py\n"
	    "    interpreter = sh\n"
	    "    instances = -1\n"
	    "    cwd = sub\n"
	    "    args =\n", NULL, &n);
	ASSERT_EQ_INT(n, 2);

	a = apps[0];
	ASSERT_EQ_STR(a->name, "web");
	want = clm_asprintf("%s/sub/server.js", fx.dir);
	ASSERT_EQ_STR(a->script, want);
	free(want);
	want = clm_asprintf("%s/node", fx.bin);
	ASSERT_EQ_STR(a->interpreter, want);
	free(want);
	ASSERT_EQ_STR(a->cwd, fx.dir);		/* the file's folder */
	ASSERT_EQ_INT(a->instances, CLM_INSTANCES_MAX);
	ASSERT_EQ_INT(clm_strv_len(a->args), 8);
	ASSERT_EQ_STR(a->args[0], "--port");
	ASSERT_EQ_STR(a->args[1], "3000");
	ASSERT_EQ_STR(a->args[2], "two words");
	ASSERT_EQ_STR(a->args[3], "say \"hi\"");
	ASSERT_EQ_STR(a->args[4], "a b");
	ASSERT_EQ_STR(a->args[5], "");
	ASSERT_EQ_STR(a->args[6], "x;y");
	ASSERT_EQ_STR(a->args[7], "more");
	ASSERT_EQ_INT(clm_strv_len(a->listen), 3);
	ASSERT_EQ_STR(a->listen[0], "3000");
	ASSERT_EQ_STR(a->listen[1], "127.0.0.1:3001");
	ASSERT_EQ_STR(a->listen[2], "[::1]:3002");
	ASSERT_EQ_INT(a->kill_signal, SIGTERM);
	ASSERT_EQ_INT(a->kill_timeout_ms, 5000);
	ASSERT_EQ_INT(a->min_uptime_ms, 1500);
	ASSERT_EQ_INT(a->max_restarts, 3);
	ASSERT_FALSE(a->autorestart);
	ASSERT_EQ_INT(a->listen_timeout_ms, 120000);
	/* The CLI's environment, then env.KEY over it. */
	ASSERT_EQ_STR(env_get(a->env, "NODE_ENV"), "production");
	ASSERT_EQ_STR(env_get(a->env, "HOME"), "/home/test");
	ASSERT_EQ_STR(env_get(a->env, "EMPTY"), "");
	ASSERT_EQ_STR(env_get(a->env, "EQ"), "a=b");
	ASSERT_EQ_INT(clm_strv_len(a->env), 5);

	a = apps[1];
	ASSERT_EQ_STR(a->name, "api");
	want = clm_asprintf("%s/sub", fx.dir);
	ASSERT_EQ_STR(a->cwd, want);
	free(want);
	/* The script is relative to the app's cwd, as with clm start. */
	want = clm_asprintf("%s/sub/api.py", fx.dir);
	ASSERT_EQ_STR(a->script, want);
	free(want);
	want = clm_asprintf("%s/sh", fx.bin);
	ASSERT_EQ_STR(a->interpreter, want);
	free(want);
	ASSERT_EQ_INT(a->instances, CLM_INSTANCES_ALL_BUT_ONE);
	ASSERT_NOT_NULL(a->args);
	ASSERT_EQ_INT(clm_strv_len(a->args), 0);
	ASSERT_EQ_INT(clm_strv_len(a->env), 3);
	free_apps(apps, n);
	fx_teardown(&fx);
}

TEST(config_apps_defaults_and_relative_paths)
{
	struct fx		  fx;
	struct clm_app_spec	**apps, *a;
	char			 *want;
	size_t			  n;

	fx_setup(&fx);
	/*
	 * Loaded from another directory: paths are relative to the file's
	 * folder, spelled as the user did ("..", like symbolic links, kept).
	 */
	ASSERT_EQ_INT(chdir("bin"), 0);
	ASSERT_EQ_INT(unsetenv("PWD"), 0);
	apps = apps_ok(&fx, "../sub/apps.ini",
	    "[site]\n"
	    "script = www/index.js\n"
	    "[site2]\n"
	    "cwd = www\n"
	    "script = index.js\n"
	    "[tool]\n"
	    "script = ../tool\n"
	    "[abs]\n"
	    "cwd = /\n"
	    "script = ../../../../../bin/sh\n"
	    "interpreter = none\n"
	    "[parent]\n"
	    "cwd = ..\n"
	    "script = app.js\n"
	    "interpreter = ../bin/node\n", NULL, &n);
	ASSERT_EQ_INT(n, 5);

	a = apps[0];
	want = clm_asprintf("%s/bin/../sub/www/index.js", fx.dir);
	ASSERT_EQ_STR(a->script, want);
	free(want);
	want = clm_asprintf("%s/bin/../sub", fx.dir);
	ASSERT_EQ_STR(a->cwd, want);
	free(want);
	/* Unset options are left to the daemon's [defaults]. */
	ASSERT_EQ_INT(a->instances, 1);
	ASSERT_EQ_INT(a->kill_signal, CLM_UNSET_SIGNAL);
	ASSERT_TRUE(a->kill_timeout_ms == CLM_UNSET_MS);
	ASSERT_TRUE(a->min_uptime_ms == CLM_UNSET_MS);
	ASSERT_EQ_INT(a->max_restarts, CLM_UNSET_RESTARTS);
	ASSERT_TRUE(a->listen_timeout_ms == CLM_UNSET_MS);
	ASSERT_TRUE(a->autorestart);
	ASSERT_NULL(a->args);
	ASSERT_NULL(a->listen);
	ASSERT_EQ_INT(clm_strv_len(a->env), 3);

	a = apps[1];
	want = clm_asprintf("%s/bin/../sub/www/index.js", fx.dir);
	ASSERT_EQ_STR(a->script, want);
	free(want);
	want = clm_asprintf("%s/bin/../sub/www", fx.dir);
	ASSERT_EQ_STR(a->cwd, want);
	free(want);

	a = apps[2];
	want = clm_asprintf("%s/bin/../sub/../tool", fx.dir);
	ASSERT_EQ_STR(a->script, want);
	free(want);
	ASSERT_NULL(a->interpreter);		/* executable: run directly */

	a = apps[3];
	ASSERT_EQ_STR(a->cwd, "/");
	ASSERT_EQ_STR(a->script, "/../../../../../bin/sh");
	ASSERT_NULL(a->interpreter);

	a = apps[4];
	want = clm_asprintf("%s/bin/../sub/..", fx.dir);
	ASSERT_EQ_STR(a->cwd, want);
	free(want);
	want = clm_asprintf("%s/bin/../sub/../bin/node", fx.dir);
	ASSERT_EQ_STR(a->interpreter, want);	/* relative to the file */
	free(want);
	free_apps(apps, n);
	fx_teardown(&fx);
}

TEST(config_apps_only)
{
	static const char	  text[] =
	    "[web]\nscript = app.js\n"
	    "[api]\nscript = missing.js\n"
	    "[worker]\nscript = tool\n";
	struct fx		  fx;
	struct clm_app_spec	**apps;
	char			 *only[4], *want;
	size_t			  n;

	fx_setup(&fx);
	only[0] = "worker";
	only[1] = "web";
	only[2] = NULL;
	/* In the file's order; api's missing script does not matter. */
	apps = apps_ok(&fx, "apps.ini", text, only, &n);
	ASSERT_EQ_INT(n, 2);
	ASSERT_EQ_STR(apps[0]->name, "web");
	ASSERT_EQ_STR(apps[1]->name, "worker");
	free_apps(apps, n);

	only[0] = "api";
	only[1] = NULL;
	want = clm_asprintf("apps.ini:4: script 'missing.js' not found (looked "
	    "in %s)", fx.dir);
	apps_fail(&fx, "apps.ini", text, only, want, NULL);
	free(want);

	/* A name the file lacks is an error, naming the file's apps. */
	only[0] = "web";
	only[1] = "wbe";
	only[2] = NULL;
	apps_fail(&fx, "apps.ini", text, only, "apps.ini: no app named 'wbe' "
	    "in the file (it has web, api, worker)", NULL);
	fx_teardown(&fx);
}

TEST(config_apps_errors_name_file_and_line)
{
	struct fx	 fx;
	char		*want1, *want2, *want3;

	fx_setup(&fx);
	want1 = clm_asprintf("apps.ini:31: script 'nope.js' not found (looked "
	    "in %s)", fx.dir);
	want2 = clm_asprintf("apps.ini:35: cwd: directory %s/nodir: No such "
	    "file or directory", fx.dir);
	want3 = clm_asprintf("apps.ini:38: cwd: %s/app.js is not a directory",
	    fx.dir);
	apps_fail(&fx, "apps.ini",
	    "script = app.js\n"				/* 1 */
	    "[web]\n"					/* 2 */
	    "script = app.js\n"				/* 3 */
	    "instancs = 2\n"				/* 4 */
	    "Script = app.js\n"				/* 5 */
	    "evn.PORT = 3\n"				/* 6 */
	    "merge_logs = maybe\n"			/* 7 */
	    "script = other.js\n"			/* 8 */
	    "just some words\n"				/* 9 */
	    "instances = lots\n"			/* 10 */
	    "kill_signal = SIGFOO\n"			/* 11 */
	    "kill_timeout = 2 s\n"			/* 12 */
	    "min_uptime = 2d\n"				/* 13 */
	    "max_restarts = 1.5\n"			/* 14 */
	    "autorestart = maybe\n"			/* 15 */
	    "listen_timeout = -1\n"			/* 16 */
	    "listen = 3000,,3001\n"			/* 17 */
	    "listen = 70000\n"				/* 18 */
	    "args = 'unterminated\n"			/* 19 */
	    "args = trailing\\\n"			/* 20 */
	    "env.A B = 1\n"				/* 21 */
	    "env. = 1\n"				/* 22 */
	    "env.X = 1\n"				/* 23 */
	    "env.X = 2\n"				/* 24 */
	    "interpreter =\n"				/* 25 */
	    "[web]\n"					/* 26 */
	    "script = app.js\n"				/* 27: ignored */
	    "[web\n"					/* 28 */
	    "[bad name]\n"				/* 29 */
	    "[lost]\n"					/* 30 */
	    "script = nope.js\n"			/* 31 */
	    "[empty]\n"					/* 32 */
	    "[dir]\n"					/* 33 */
	    "script = app.js\n"				/* 34 */
	    "cwd = nodir\n"				/* 35 */
	    "[file]\n"					/* 36 */
	    "script = app.js\n"				/* 37 */
	    "cwd = app.js\n"				/* 38 */
	    "[all]\n"					/* 39 */
	    "[x] junk\n"				/* 40 */
	    "[]\n"					/* 41 */
	    "merge_logs = true\n",			/* 42: after a bad [] */
	    NULL,
	    "apps.ini:1: key 'script' is outside any section (put it under "
	    "the [NAME] of its app)",
	    "apps.ini:4: unknown key 'instancs' in [web] (did you mean "
	    "'instances'?)",
	    "apps.ini:5: unknown key 'Script' in [web] (did you mean "
	    "'script'?)",
	    "apps.ini:6: unknown key 'evn.PORT' in [web] (did you mean "
	    "'env.PORT'?)",
	    "apps.ini:7: merge_logs: 'maybe' is not true or false (or "
	    "yes/no, on/off, 1/0)",
	    "apps.ini:8: 'script' is already set on line 3 (set each key once)",
	    "apps.ini:9: 'just' is not a KEY = VALUE line",
	    "apps.ini:10: instances: invalid instance count 'lots' (use a "
	    "number from 1 to 4096, 0 or max for every logical core, -1 for "
	    "all but one)",
	    "apps.ini:11: kill_signal: 'SIGFOO' is not a signal (use a name "
	    "like SIGTERM or a number)",
	    "apps.ini:12: kill_timeout: '2 s' is not a duration from 0ms to "
	    "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)",
	    "apps.ini:13: min_uptime: '2d' is not a duration from 0ms to "
	    "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)",
	    "apps.ini:14: max_restarts: '1.5' is not a number from 0 to "
	    "1000000",
	    "apps.ini:15: autorestart: 'maybe' is not always, on-failure or "
	    "never (or yes/no)",
	    "apps.ini:16: listen_timeout: '-1' is not a duration from 0ms to "
	    "86400000ms (write 1600, 1600ms, 1.6s, 2m or 1h)",
	    "apps.ini:17: listen: an empty value (write [HOST:]PORT, several "
	    "separated by commas)",
	    "apps.ini:18: listen: '70000' is not an address (write PORT, "
	    "HOST:PORT or [IPV6]:PORT with a port from 1 to 65535, a numeric "
	    "host)",
	    "apps.ini:19: args: the ' quote is not closed",
	    "apps.ini:20: args: a '\\' ends the line (escape it as '\\\\')",
	    "apps.ini:21: 'env.A B' does not name a variable (write "
	    "env.NAME = VALUE; NAME without '=' or blanks)",
	    "apps.ini:22: 'env.' does not name a variable (write env.NAME = "
	    "VALUE; NAME without '=' or blanks)",
	    "apps.ini:24: 'env.X' is already set on line 23 (set each key "
	    "once)",
	    "apps.ini:25: interpreter needs a value",
	    "apps.ini:26: duplicate section [web] (also on line 2; each app "
	    "needs a name of its own)",
	    "apps.ini:28: section header lacks its closing ']'",
	    "apps.ini:29: app name 'bad name' contains ' ' (use only letters, "
	    "digits, '.', '_' and '-') (the section name is the app's name)",
	    "apps.ini:39: app name 'all' is reserved (it means every app; "
	    "choose another with --name) (the section name is the app's "
	    "name)",
	    "apps.ini:40: unexpected 'junk' after the section header "
	    "(comments start with ;)",
	    "apps.ini:41: section header needs a name between [ and ]",
	    want1,
	    "apps.ini:32: [empty] has no script (add script = PATH)",
	    want2,
	    want3,
	    NULL);
	free(want1);
	free(want2);
	free(want3);

	/* Too far from every key to be a typo: the keys are listed. */
	apps_fail(&fx, "apps.ini", "[web]\nscript = app.js\nti = 1\n"
	    "scrip = app.js\n", NULL,
	    "apps.ini:3: unknown key 'ti' in [web] (the keys are script, args, "
	    "interpreter, interpreter_args, instances, cwd, listen, "
	    "kill_signal, kill_timeout, min_uptime, max_restarts, "
	    "autorestart, stop_exit_codes, errored_retry, max_uptime, "
	    "max_uptime_jitter, cron_restart, cron_tz, watch, ignore_watch, "
	    "watch_delay, depends_on, pre_start, post_stop, restart_delay, "
	    "listen_timeout, user, group, "
	    "inherit_env, max_memory_restart, watchdog, health_check, "
	    "health_interval, health_timeout, health_retries, time, "
	    "log_date_format, "
	    "merge_logs, out_file, "
	    "error_file, log_target, log_format, max_log_size, log_retain, instance_var, "
	    "increment_var, env_file, on_event and env.NAME)",
	    "apps.ini:4: unknown key 'scrip' in [web] (did you mean "
	    "'script'?)", NULL);
	fx_teardown(&fx);
}

TEST(config_apps_interpreters)
{
	struct fx	 fx;
	char		*want;

	fx_setup(&fx);
	/* From the extension: reported on the script's line. */
	apps_fail(&fx, "a.ini", "[api]\n\nscript = api.py\n", NULL,
	    "a.ini:3: interpreter 'python3' not found on PATH (install it or "
	    "set interpreter = PROG)", NULL);
	/* Named: on the interpreter's line. */
	apps_fail(&fx, "a.ini", "[a]\ninterpreter = ruby\nscript = app.js\n",
	    NULL, "a.ini:2: interpreter 'ruby' not found on PATH (install it "
	    "or set interpreter = PROG)", NULL);
	apps_fail(&fx, "a.ini", "[a]\nscript = app.js\ninterpreter = ./plain\n",
	    NULL, "a.ini:3: interpreter './plain' is not an executable file",
	    NULL);
	/* Run directly, a script must be executable: the script's line. */
	apps_fail(&fx, "a.ini", "[a]\ninterpreter = none\nscript = plain\n",
	    NULL, "a.ini:3: script 'plain' is not executable (chmod +x it, or "
	    "set interpreter = PROG)", NULL);
	want = clm_asprintf("a.ini:2: script 'sub' is a directory, not a file "
	    "(in %s)", fx.dir);
	apps_fail(&fx, "a.ini", "[a]\nscript = sub\n", NULL, want, NULL);
	free(want);
	/* The app's PATH (env.PATH over the CLI's) finds the interpreter. */
	{
		struct clm_app_spec	**apps;
		char			 *text;
		size_t			  n;

		unit_write_file("bin/python3", "#!/bin/sh\n", 0755);
		ASSERT_EQ_INT(mkdir("empty", 0755), 0);
		apps_fail(&fx, "a.ini", "[a]\nscript = api.py\n"
		    "env.PATH = /nonexistent:empty\n", NULL,
		    "a.ini:2: interpreter 'python3' not found on PATH "
		    "(install it or set interpreter = PROG)", NULL);
		text = clm_asprintf("[a]\nscript = api.py\nenv.PATH = "
		    "/nonexistent:%s\n", fx.bin);
		apps = apps_ok(&fx, "a.ini", text, NULL, &n);
		want = clm_asprintf("%s/python3", fx.bin);
		ASSERT_EQ_STR(apps[0]->interpreter, want);
		free(want);
		free(text);
		free_apps(apps, n);
	}
	fx_teardown(&fx);
}

TEST(config_apps_files)
{
	struct fx	 fx;
	char		*big;

	fx_setup(&fx);
	apps_fail(&fx, "a.ini", "", NULL, "a.ini: no apps in the file (add a "
	    "section [NAME] with script = PATH)", NULL);
	apps_fail(&fx, "a.ini", "; only comments\n\n   \n", NULL,
	    "a.ini: no apps in the file (add a section [NAME] with script = "
	    "PATH)", NULL);
	{
		struct clm_app_spec	**apps = NULL;
		char			**errors = NULL;
		size_t			  n = 0;

		ASSERT_EQ_INT(config_load_apps("none.ini", fx.env, NULL, NULL, &apps,
		    &n, &errors), -1);
		ASSERT_EQ_STR(errors[0], "none.ini: cannot open: No such file "
		    "or directory");
		ASSERT_NULL(errors[1]);
		clm_strv_free(errors);
		ASSERT_EQ_INT(mkfifo("fifo.ini", 0644), 0);
		ASSERT_EQ_INT(config_load_apps("fifo.ini", fx.env, NULL, NULL, &apps,
		    &n, &errors), -1);
		ASSERT_EQ_STR(errors[0], "fifo.ini: not a regular file");
		clm_strv_free(errors);
	}
	/* Over 16 MiB: refused before parsing. */
	big = clm_malloc(16 * 1024 * 1024 + 2);
	memset(big, ';', 16 * 1024 * 1024 + 1);
	big[16 * 1024 * 1024 + 1] = '\0';
	apps_fail(&fx, "big.ini", big, NULL, "big.ini: larger than 16 MiB "
	    "(is it the right file?)", NULL);
	/* Under it, read whole: 3 MiB of comments, then the app (the first
	 * limit, 1 MiB, refused an app file of a few thousand apps). */
	{
		struct clm_app_spec	**apps;
		size_t			  n, i, len = 3 * 1024 * 1024;

		for (i = 0; i < len; i += 4)
			memcpy(big + i, ";..\n", 4);
		strcpy(big + len, "[last]\nscript = app.js\n");
		apps = apps_ok(&fx, "big.ini", big, NULL, &n);
		ASSERT_EQ_INT(n, 1);
		ASSERT_EQ_STR(apps[0]->name, "last");
		free_apps(apps, n);
	}
	free(big);

	/* Lines over inih's buffer are refused, not cut in pieces. */
	{
		struct clm_app_spec	**apps;
		char			 *text, x[300];
		size_t			  n;

		/* "env.X = " and 190 bytes: 198, the most inih takes. */
		memset(x, 'x', 190);
		x[190] = '\0';
		text = clm_asprintf("[a]\nscript = app.js\nenv.X = %s\n", x);
		apps = apps_ok(&fx, "big.ini", text, NULL, &n);
		ASSERT_EQ_STR(env_get(apps[0]->env, "X"), x);
		free_apps(apps, n);
		free(text);
		text = clm_asprintf("[a]\nscript = app.js\nenv.X = %sy\n"
		    "env.Y = 1\n", x);
		apps_fail(&fx, "big.ini", text, NULL, "big.ini:3: line too "
		    "long (199 characters; at most 198)", NULL);
		free(text);
	}
	fx_teardown(&fx);
}

TEST(config_apps_hostile_bytes)
{
	struct fx		  fx;
	struct clm_app_spec	**apps;
	char			**errors, buf[4096];
	size_t			  i, j, n;
	unsigned		  seed = 1;
	int			  fd;

	fx_setup(&fx);
	apps_fail(&fx, "a.ini", "[a]\nscript = app.js\nenv.X = a\x01z\n", NULL,
	    "a.ini:3: control byte 0x01 in the line (is this a text file?)",
	    NULL);
	apps_fail(&fx, "a.ini", "[a]\nscript = app.js\nenv.X = \xff\xfe\n"
	    "env.Y = \xed\xa0\x80\n", NULL,
	    "a.ini:3: the line is not valid UTF-8",
	    "a.ini:4: the line is not valid UTF-8", NULL);
	/* UTF-8 is fine. */
	apps = apps_ok(&fx, "a.ini", "[a]\nscript = app.js\n"
	    "env.GREETING = h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\n", NULL,
	    &n);
	ASSERT_EQ_STR(env_get(apps[0]->env, "GREETING"),
	    "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
	free_apps(apps, n);

	/* Random bytes, NULs included: errors, capped, and no crash. */
	for (i = 0; i < 200; i++) {
		for (j = 0; j < sizeof buf; j++) {
			seed = seed * 1103515245 + 12345;
			buf[j] = (char)(seed >> 16);
			if (i % 2 == 0 && buf[j] == '\0')
				buf[j] = '\n';
		}
		fd = open("r.ini", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ASSERT_EQ_INT(write(fd, buf, sizeof buf), sizeof buf);
		close(fd);
		errors = NULL;
		apps = (void *)1;
		ASSERT_EQ_INT(config_load_apps("r.ini", fx.env, NULL, NULL, &apps,
		    &n, &errors), -1);
		ASSERT_NULL(apps);
		ASSERT_NOT_NULL(errors);
		ASSERT_TRUE(clm_strv_len(errors) <= 51);
		for (j = 0; errors[j] != NULL; j++)
			ASSERT_EQ_INT(strncmp(errors[j], "r.ini:", 6), 0);
		clm_strv_free(errors);
	}

	/* Many errors stop at a limit, with a last line that says so. */
	{
		char	*text = NULL, *tmp;

		text = clm_strdup("[a]\nscript = app.js\n");
		for (i = 0; i < 200; i++) {
			tmp = clm_asprintf("%sbad%zu = 1\n", text, i);
			free(text);
			text = tmp;
		}
		unit_write_file("many.ini", text, 0644);
		free(text);
		ASSERT_EQ_INT(config_load_apps("many.ini", fx.env, NULL, NULL, &apps,
		    &n, &errors), -1);
		ASSERT_EQ_INT(clm_strv_len(errors), 51);
		ASSERT_EQ_STR(errors[50], "many.ini: too many errors, stopped "
		    "after 50");
		clm_strv_free(errors);
	}
	fx_teardown(&fx);
}

TEST(config_app_resolve_fields)
{
	struct fx		 fx;
	struct clm_app_spec	*spec;
	const char		*field = NULL;
	char			*cause = NULL, *want;

	fx_setup(&fx);
	spec = clm_app_spec_new();
	spec->cwd = clm_strdup("nodir");
	spec->script = clm_strdup("app.js");
	ASSERT_EQ_INT(clm_app_resolve(spec, fx.dir, fx.env[0] + 5, "X",
	    &field, &cause), -1);
	ASSERT_EQ_STR(field, "cwd");
	ASSERT_CONTAINS(cause, "/nodir: No such file or directory");
	ASSERT_EQ_STR(spec->cwd, "nodir");	/* unchanged */
	free(cause);

	free(spec->cwd);
	spec->cwd = NULL;
	free(spec->script);
	spec->script = NULL;
	ASSERT_EQ_INT(clm_app_resolve(spec, fx.dir, NULL, "X", &field,
	    &cause), -1);
	ASSERT_EQ_STR(field, "script");
	ASSERT_EQ_STR(cause, "no script given");
	free(cause);

	spec->script = clm_strdup("./sub/../app.js");
	ASSERT_EQ_INT(clm_app_resolve(spec, fx.dir, fx.env[0] + 5, "X",
	    &field, &cause), 0);
	want = clm_asprintf("%s/sub/../app.js", fx.dir);
	ASSERT_EQ_STR(spec->script, want);
	free(want);
	ASSERT_EQ_STR(spec->cwd, fx.dir);
	want = clm_asprintf("%s/node", fx.bin);
	ASSERT_EQ_STR(spec->interpreter, want);
	free(want);
	/* Resolving again changes nothing: absolute paths stay. */
	ASSERT_EQ_INT(clm_app_resolve(spec, "/", NULL, "X", &field, &cause),
	    0);
	want = clm_asprintf("%s/node", fx.bin);
	ASSERT_EQ_STR(spec->interpreter, want);
	free(want);
	clm_app_spec_free(spec);
	fx_teardown(&fx);
}
