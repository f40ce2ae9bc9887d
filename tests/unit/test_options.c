/*
 * Unit tests of the table of app options (src/options.c) and of the four
 * entries it drives: clm start's flags (cli.c), app-file keys (config.c),
 * the wire (proto.c) and describe (render.c). Every row is tried at every
 * entry it has; a row left out of an entry, a limit one entry forgets, or
 * a doc that lacks a key fails here.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/cli.h"
#include "clm/config.h"
#include "clm/health.h"
#include "clm/options.h"
#include "clm/proto.h"
#include "clm/render.h"
#include "unit.h"

#ifndef CLM_SRC_DIR
#error "CLM_SRC_DIR must name the source tree (tests/CMakeLists.txt)"
#endif

/* A scratch directory (the cwd) with app.js and bin/node. */
struct ofx {
	char	dir[64];
	char	path[160];
};

static void
ofx_setup(struct ofx *fx)
{
	strcpy(fx->dir, "/tmp/clm-unit-options-XXXXXX");
	ASSERT_NOT_NULL(mkdtemp(fx->dir));
	ASSERT_EQ_INT(chdir(fx->dir), 0);
	ASSERT_EQ_INT(setenv("PWD", fx->dir, 1), 0);
	ASSERT_EQ_INT(mkdir("bin", 0755), 0);
	unit_write_file("bin/node", "#!/bin/sh\n", 0755);
	unit_write_file("app.js", "\n", 0644);
	unit_write_file("other.js", "\n", 0644);
	unit_write_file("app.env", "F_DOTENV=1\n", 0644);
	snprintf(fx->path, sizeof fx->path, "%s/bin", fx->dir);
	ASSERT_EQ_INT(setenv("PATH", fx->path, 1), 0);
}

static void
ofx_teardown(struct ofx *fx)
{
	char	*cmd;

	ASSERT_EQ_INT(chdir("/"), 0);
	cmd = clm_asprintf("/bin/rm -rf '%s'", fx->dir);
	ASSERT_EQ_INT(system(cmd), 0);
	free(cmd);
}

static char *
read_text(const char *path)
{
	char	*buf;
	ssize_t	 n;
	size_t	 len = 0, cap = 1 << 16;
	int	 fd;

	fd = open(path, O_RDONLY);
	if (fd == -1)
		unit_fail(__FILE__, __LINE__, "open %s", path);
	buf = clm_malloc(cap + 1);
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			buf = clm_realloc(buf, cap + 1);
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* The table itself. */

TEST(options_table_is_consistent)
{
	const struct clm_option	*o, *p;
	struct clm_app_spec	*spec;
	char			*cause = NULL, *line;
	size_t			 i, j;

	ASSERT_TRUE(options_count <= CLM_OPTIONS_MAX);
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		ASSERT_NOT_NULL(o->key);
		ASSERT_NOT_NULL(o->help);
		ASSERT_TRUE(o->flags & (CLM_OPT_CLI | CLM_OPT_FILE));
		/* Each name once, in every namespace. */
		for (j = 0; j < i; j++) {
			p = &options_table[j];
			if (strcmp(o->key, p->key) == 0)
				unit_fail(__FILE__, __LINE__, "key %s twice",
				    o->key);
			if (o->flag != NULL && p->flag != NULL &&
			    strcmp(o->flag, p->flag) == 0)
				unit_fail(__FILE__, __LINE__, "flag %s twice",
				    o->flag);
			if (o->json != NULL && p->json != NULL &&
			    strcmp(o->json, p->json) == 0)
				unit_fail(__FILE__, __LINE__, "field %s twice",
				    o->json);
			if (o->shrt != 0 && o->shrt == p->shrt)
				unit_fail(__FILE__, __LINE__, "-%c twice",
				    o->shrt);
		}
		ASSERT_TRUE(options_by_key(o->key) == o);
		if (o->flag != NULL)
			ASSERT_TRUE(options_by_flag(o->flag,
			    strlen(o->flag)) == o);
		if (o->json != NULL)
			ASSERT_TRUE(options_by_json(o->json) == o);
		/* A flag's value is named in --help; a bool takes none. */
		if (o->flag != NULL)
			ASSERT_TRUE((o->arg == NULL) ==
			    (o->type == CLM_OPT_BOOL));
		if (o->flags & CLM_OPT_NEGATE) {
			ASSERT_TRUE(o->type == CLM_OPT_BOOL ||
			    o->type == CLM_OPT_CHOICE);
			if (o->type == CLM_OPT_CHOICE) {
				line = clm_asprintf("no-%s", o->flag);
				ASSERT_TRUE(options_by_flag(line,
				    strlen(line)) == o);
				free(line);
			}
		}
		if (o->type == CLM_OPT_CHOICE)
			ASSERT_TRUE(o->choices != NULL &&
			    o->choices[0] != NULL && o->choices[1] != NULL);
		/* [defaults] fills numbers, and a string (on_event). */
		if (o->flags & CLM_OPT_DEFAULTS) {
			ASSERT_NOT_NULL(o->def);
			ASSERT_TRUE(o->type == CLM_OPT_STRING ||
			    o->type == CLM_OPT_INT ||
			    o->type == CLM_OPT_DURATION ||
			    o->type == CLM_OPT_SIZE ||
			    o->type == CLM_OPT_SIGNAL ||
			    o->type == CLM_OPT_CHOICE);
		}
		/* Every default reads back as a user writes it. */
		if (o->def != NULL) {
			spec = clm_app_spec_new();
			if (options_parse(o, o->key, o->def, false, spec,
			    &cause) != 0)
				unit_fail(__FILE__, __LINE__, "%s", cause);
			clm_app_spec_free(spec);
		}
	}
}

TEST(options_defaults_unset_and_fill)
{
	struct clm_app_spec	*spec, *def;
	const struct clm_option	*o;
	char			*a, *b;
	size_t			 i;

	spec = clm_app_spec_new();
	def = clm_app_spec_new();
	options_defaults(def);
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		ASSERT_EQ_INT(options_unset(o, spec),
		    (o->flags & CLM_OPT_DEFAULTS) != 0);
		ASSERT_FALSE(options_unset(o, def));
	}
	ASSERT_EQ_INT(spec->kill_timeout_ms, CLM_UNSET_MS);
	ASSERT_EQ_INT(def->kill_timeout_ms, 1600);
	ASSERT_EQ_INT(def->max_log_size, 10 * 1024 * 1024);
	ASSERT_EQ_INT(def->log_retain, 5);
	ASSERT_EQ_INT(spec->instances, 1);
	ASSERT_TRUE(spec->autorestart);
	spec->min_uptime_ms = 7;
	clm_app_spec_fill(spec, def);
	ASSERT_EQ_INT(spec->min_uptime_ms, 7);
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_DEFAULTS) == 0 ||
		    strcmp(o->key, "min_uptime") == 0)
			continue;
		a = options_format(o, spec);
		b = options_format(o, def);
		ASSERT_EQ_STR(a, b);
		free(a);
		free(b);
	}
	clm_app_spec_free(spec);
	clm_app_spec_free(def);
}

TEST(options_durations_and_sizes_parse_the_same_everywhere)
{
	struct clm_app_spec	*spec;
	const struct clm_option	*o;
	char			*cause = NULL;

	spec = clm_app_spec_new();
	o = options_by_key("kill_timeout");
	ASSERT_EQ_INT(options_parse(o, "--kill-timeout", "5s", false, spec,
	    &cause), 0);
	ASSERT_EQ_INT(spec->kill_timeout_ms, 5000);
	/* A plain number stays milliseconds (compatibility). */
	ASSERT_EQ_INT(options_parse(o, "--kill-timeout", "900", false, spec,
	    &cause), 0);
	ASSERT_EQ_INT(spec->kill_timeout_ms, 900);
	o = options_by_key("max_memory_restart");
	ASSERT_EQ_INT(options_parse(o, "x", "1.5G", false, spec, &cause), 0);
	ASSERT_EQ_INT(spec->max_memory, 1536ULL << 20);
	ASSERT_EQ_INT(options_parse(o, "x", "0", false, spec, &cause), 0);
	ASSERT_EQ_INT(spec->max_memory, 0);
	clm_app_spec_free(spec);
}

/* ------------------------------------------------------------------ */
/* Every row through every entry it has. */

/*
 * A value of row o that differs from its default, as a user writes it;
 * NULL for rows without one here (env: its own tests).
 */
static const char *
sample(const struct ofx *fx, const struct clm_option *o, char *buf,
    size_t len)
{
	size_t	k;

	switch (o->type) {
	case CLM_OPT_STRING:
		if (strcmp(o->key, "script") == 0)
			snprintf(buf, len, "%s/other.js", fx->dir);
		else if (strcmp(o->key, "interpreter") == 0)
			snprintf(buf, len, "%s/bin/node", fx->dir);
		else if (strcmp(o->key, "cwd") == 0)
			snprintf(buf, len, "%s", fx->dir);
		else if (strcmp(o->key, "cron_restart") == 0)
			snprintf(buf, len, "0 3 * * *");
		else if (strcmp(o->key, "cron_tz") == 0)
			snprintf(buf, len, "Europe/Berlin");
		else if (strcmp(o->key, "health_check") == 0)
			snprintf(buf, len, "exec:true");
		else if (strcmp(o->key, "env_file") == 0)
			snprintf(buf, len, "%s/app.env", fx->dir);
		else if (strcmp(o->key, "out_file") == 0 ||
		    strcmp(o->key, "error_file") == 0)
			snprintf(buf, len, "%s/%s.log", fx->dir, o->key);
		else
			snprintf(buf, len, "v%zu", (size_t)(o - options_table));
		return buf;
	case CLM_OPT_ARGS:
		return "a 'b c'";
	case CLM_OPT_LIST:
		if (strcmp(o->key, "depends_on") == 0)
			return "db";
		return strcmp(o->key, "stop_exit_codes") == 0 ? "3" :
		    "127.0.0.1:3001";
	case CLM_OPT_CHOICE:
		/* The last one that is not the default. */
		for (k = 0; o->choices[k + 1] != NULL; k++)
			;
		if (o->def != NULL && strcmp(o->choices[k], o->def) == 0)
			k--;
		return o->choices[k];
	case CLM_OPT_INSTANCES:
		return "3";
	case CLM_OPT_INT:
		snprintf(buf, len, "%lld", o->min + 3);
		return buf;
	case CLM_OPT_DURATION:
		return "2.5s";
	case CLM_OPT_SIZE:
		return "2M";
	case CLM_OPT_BOOL:
		return strcmp(o->def, "true") == 0 ? "false" : "true";
	case CLM_OPT_SIGNAL:
		return "SIGTERM";
	case CLM_OPT_ENV:
		return NULL;
	}
	return NULL;
}

static void
same_value(const struct clm_option *o, const struct clm_app_spec *got,
    const struct clm_app_spec *want, const char *entry)
{
	char	*a, *b;

	a = options_format(o, got);
	b = options_format(o, want);
	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		unit_fail(__FILE__, __LINE__, "%s: option %s is '%s', not "
		    "'%s'", entry, o->key, unit_str(a), unit_str(b));
	free(a);
	free(b);
}

TEST(options_every_row_round_trips_at_every_entry)
{
	struct ofx		  fx;
	const struct clm_option	 *o;
	struct clm_app_spec	 *want, *fresh, *got, **apps;
	struct clm_request	 *req, *back;
	const char		 *value, *code;
	char			  buf[128], *argv[8], *cause = NULL, *line;
	char			 *ini, **errors, *a, *b;
	size_t			  i, napps;
	int			  argc, ncli = 0, nfile = 0, nwire = 0;
	bool			  name_only;

	ofx_setup(&fx);
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((value = sample(&fx, o, buf, sizeof buf)) == NULL)
			continue;
		want = clm_app_spec_new();
		if (options_parse(o, o->key, value, false, want, &cause) != 0)
			unit_fail(__FILE__, __LINE__, "%s", cause);
		/* The sample must differ from the default to prove anything. */
		fresh = clm_app_spec_new();
		a = options_format(o, want);
		b = options_format(o, fresh);
		if (a != NULL && b != NULL && strcmp(a, b) == 0)
			unit_fail(__FILE__, __LINE__, "%s: sample '%s' is the "
			    "default", o->key, value);
		free(a);
		free(b);
		clm_app_spec_free(fresh);

		/* clm start app.js --flag VALUE */
		if ((o->flags & CLM_OPT_CLI) && o->flag != NULL) {
			argc = 0;
			argv[argc++] = "app.js";
			line = clm_asprintf("--%s", o->flag);
			argv[argc++] = line;
			if (o->type != CLM_OPT_BOOL)
				argv[argc++] = (char *)value;
			else
				ASSERT_EQ_INT(strcmp(value, "true") == 0,
				    (o->flags & CLM_OPT_NEGATE) == 0);
			argv[argc] = NULL;
			got = clm_app_spec_new();
			if (clm_cli_parse_start(argc, argv, fx.dir, got,
			    &name_only, &cause) != 0)
				unit_fail(__FILE__, __LINE__, "%s %s: %s",
				    line, value, cause);
			same_value(o, got, want, line);
			clm_app_spec_free(got);
			free(line);
			ncli++;
		}

		/* An app file's key. */
		if (o->flags & CLM_OPT_FILE) {
			ini = clm_asprintf("[web]\n%s%s = %s\n",
			    strcmp(o->key, "script") == 0 ? "" :
			    "script = app.js\n", o->key, value);
			unit_write_file("apps.ini", ini, 0644);
			free(ini);
			if (config_load_apps("apps.ini", NULL, NULL, NULL, &apps,
			    &napps, &errors) != 0)
				unit_fail(__FILE__, __LINE__, "%s: %s", o->key,
				    errors[0]);
			ASSERT_EQ_INT(napps, 1);
			same_value(o, apps[0], want, "apps.ini");
			clm_app_spec_free(apps[0]);
			free(apps);
			nfile++;
		}

		/* The wire: encode, decode. */
		if (o->flags & CLM_OPT_WIRE) {
			req = proto_request_new("start");
			req->spec = clm_app_spec_copy(want);
			if (req->spec->name == NULL)
				req->spec->name = clm_strdup("web");
			if (req->spec->script == NULL)
				req->spec->script = clm_strdup("/app.js");
			line = proto_request_encode(req);
			if (proto_request_decode(line, strlen(line) - 1, &back,
			    &code, &cause) != 0)
				unit_fail(__FILE__, __LINE__, "%s: %s", o->key,
				    cause);
			ASSERT_CONTAINS(line, o->json);
			same_value(o, back->spec, want, "wire");
			proto_request_free(back);
			proto_request_free(req);
			free(line);
			nwire++;
		}
		clm_app_spec_free(want);
	}
	/* Most rows have every entry. */
	ASSERT_TRUE(ncli >= 15);
	ASSERT_TRUE(nfile >= 18);
	ASSERT_TRUE(nwire >= 20);
	ofx_teardown(&fx);
}

/* ------------------------------------------------------------------ */
/* Limits: one definition, checked at the CLI, in files and on the wire. */

struct bad {
	const struct clm_option	*o;
	char			 text[64];	/* as a user writes it */
	long long		 wire;		/* as the wire carries it */
	bool			 ok;
};

/* The values at and just past each limit of each number row. */
static size_t
edges(struct bad *v, size_t max)
{
	const struct clm_option	*o;
	size_t			 i, n = 0;

	for (i = 0; i < options_count && n + 4 <= max; i++) {
		o = &options_table[i];
		if (o->type != CLM_OPT_INT && o->type != CLM_OPT_DURATION &&
		    o->type != CLM_OPT_SIZE && o->type != CLM_OPT_INSTANCES)
			continue;
		v[n] = (struct bad){ o, "", o->max, true };
		v[n + 1] = (struct bad){ o, "", o->max + 1, false };
		v[n + 2] = (struct bad){ o, "", o->min, true };
		v[n + 3] = (struct bad){ o, "", o->min - 1,
		    o->type == CLM_OPT_SIZE && o->min - 1 == 0 };
		if (o->type == CLM_OPT_SIZE && o->min > 1)
			v[n + 3].ok = false;
		snprintf(v[n].text, sizeof v[n].text, "%lld", v[n].wire);
		snprintf(v[n + 1].text, sizeof v[n + 1].text, "%lld",
		    v[n + 1].wire);
		snprintf(v[n + 2].text, sizeof v[n + 2].text, "%lld",
		    v[n + 2].wire);
		snprintf(v[n + 3].text, sizeof v[n + 3].text, "%lld",
		    v[n + 3].wire);
		n += 4;
	}
	return n;
}

TEST(options_limits_hold_at_every_entry)
{
	struct ofx		  fx;
	struct bad		  v[4 * CLM_OPTIONS_MAX];
	struct clm_app_spec	 *spec, **apps;
	struct clm_request	 *req;
	const char		 *code;
	char			 *argv[4], *flag, *ini, *line, *cause = NULL;
	char			**errors = NULL;
	size_t			  i, n, napps;
	bool			  name_only, cli_ok, file_ok, wire_ok;

	ofx_setup(&fx);
	n = edges(v, CLM_ARRAY_SIZE(v));
	ASSERT_TRUE(n >= 6 * 4);
	for (i = 0; i < n; i++) {
		/* A negative size or duration is no number to their parsers:
		 * refused, and that is the point. */
		if (v[i].o->flags & CLM_OPT_CLI) {
			flag = clm_asprintf("--%s", v[i].o->flag);
			argv[0] = "app.js";
			argv[1] = flag;
			argv[2] = v[i].text;
			argv[3] = NULL;
			spec = clm_app_spec_new();
			cause = NULL;
			cli_ok = clm_cli_parse_start(3, argv, fx.dir, spec,
			    &name_only, &cause) == 0;
			if (cli_ok != v[i].ok)
				unit_fail(__FILE__, __LINE__, "CLI %s %s: %s",
				    flag, v[i].text, cli_ok ? "accepted" :
				    cause);
			free(cause);
			clm_app_spec_free(spec);
			free(flag);
		}

		ini = clm_asprintf("[web]\nscript = app.js\n%s = %s\n",
		    v[i].o->key, v[i].text);
		unit_write_file("apps.ini", ini, 0644);
		free(ini);
		file_ok = config_load_apps("apps.ini", NULL, NULL, NULL, &apps,
		    &napps, &errors) == 0;
		if (file_ok != v[i].ok)
			unit_fail(__FILE__, __LINE__, "apps.ini %s = %s: %s",
			    v[i].o->key, v[i].text, file_ok ? "accepted" :
			    errors[0]);
		if (file_ok) {
			clm_app_spec_free(apps[0]);
			free(apps);
		}
		clm_strv_free(errors);
		errors = NULL;

		line = clm_asprintf("{\"v\":1,\"cmd\":\"start\",\"spec\":"
		    "{\"name\":\"web\",\"script\":\"/a.js\",\"%s\":%lld}}",
		    v[i].o->json, v[i].wire);
		cause = NULL;
		wire_ok = proto_request_decode(line, strlen(line), &req,
		    &code, &cause) == 0;
		if (wire_ok != v[i].ok)
			unit_fail(__FILE__, __LINE__, "wire %s: %s", line,
			    wire_ok ? "accepted" : cause);
		if (wire_ok)
			proto_request_free(req);
		else
			ASSERT_CONTAINS(cause, v[i].o->json);
		free(cause);
		free(line);
	}
	ofx_teardown(&fx);
}

/* [defaults] in clm.ini takes the CLM_OPT_DEFAULTS rows, with the same
 * parser and limits. */
TEST(options_defaults_section_takes_the_rows)
{
	struct ofx			 fx;
	struct clm_daemon_config	 cfg, def;
	const struct clm_option		*o;
	char				*ini, *was, **errors = NULL;
	char				 buf[128];
	size_t				 i;
	int				 n = 0;

	ofx_setup(&fx);
	config_daemon_defaults(&def);
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_DEFAULTS) == 0)
			continue;
		ini = clm_asprintf("[defaults]\n%s = %s\n", o->key,
		    sample(&fx, o, buf, sizeof buf));
		unit_write_file("clm.ini", ini, 0644);
		free(ini);
		config_daemon_defaults(&cfg);
		if (config_load_daemon("clm.ini", &cfg, &errors) != 0)
			unit_fail(__FILE__, __LINE__, "%s", errors[0]);
		ini = options_format(o, &cfg.defaults);
		was = options_format(o, &def.defaults);
		if (strcmp(ini, was) == 0)
			unit_fail(__FILE__, __LINE__, "[defaults] %s: still "
			    "%s", o->key, was);
		free(was);
		free(ini);
		config_daemon_free(&cfg);
		n++;
		if (o->type == CLM_OPT_STRING)	/* on_event: no limit */
			continue;

		/* Past the limit: refused. */
		if (o->type == CLM_OPT_SIGNAL)
			ini = clm_asprintf("[defaults]\n%s = SIGNOPE\n",
			    o->key);
		else if (o->type == CLM_OPT_CHOICE)
			ini = clm_asprintf("[defaults]\n%s = nope\n", o->key);
		else
			ini = clm_asprintf("[defaults]\n%s = %lld\n", o->key,
			    o->max + 1);
		unit_write_file("clm.ini", ini, 0644);
		free(ini);
		config_daemon_defaults(&cfg);
		ASSERT_EQ_INT(config_load_daemon("clm.ini", &cfg, &errors), -1);
		ASSERT_CONTAINS(errors[0], o->key);
		clm_strv_free(errors);
		errors = NULL;
		config_daemon_free(&cfg);
	}
	ASSERT_TRUE(n >= 7);
	config_daemon_free(&def);
	ofx_teardown(&fx);
}

/* ------------------------------------------------------------------ */
/* The docs list every option. */

/* The text of README.md from the line starting with from to the next
 * line starting with "## " (or its end). */
static char *
readme_section(const char *readme, const char *from)
{
	const char	*a, *b;

	a = strstr(readme, from);
	if (a == NULL)
		unit_fail(__FILE__, __LINE__, "README.md has no '%s'", from);
	b = strstr(a + strlen(from), "\n## ");
	return clm_strndup(a, b != NULL ? (size_t)(b - a) : strlen(a));
}

/* The [defaults] keys of clm.ini: "\nKEY = VALUE" lines after
 * "[defaults]". */
static char *
ini_defaults_value(const char *ini, const char *key)
{
	const char	*sec, *p;
	char		*needle;
	size_t		 len;

	sec = strstr(ini, "\n[defaults]\n");
	if (sec == NULL)
		return NULL;
	needle = clm_asprintf("\n%s =", key);	/* "on_event =": empty */
	p = strstr(sec, needle);
	free(needle);
	if (p == NULL)
		return NULL;
	p += strlen(key) + 3;
	if (*p == ' ')
		p++;
	len = strcspn(p, "\n");
	return clm_strndup(p, len);
}

/* What `clm start --help` prints. */
static char *
start_help(void)
{
	char	 path[] = "/tmp/clm-unit-help-XXXXXX", *text;
	char	*argv[] = { "clm", "start", "--help", NULL };
	int	 fd, saved;

	fd = mkstemp(path);
	ASSERT_TRUE(fd != -1);
	fflush(stdout);
	saved = dup(1);
	ASSERT_EQ_INT(dup2(fd, 1), 1);
	ASSERT_EQ_INT(clm_cli_main(3, argv), 0);
	fflush(stdout);
	ASSERT_EQ_INT(dup2(saved, 1), 1);
	close(saved);
	close(fd);
	text = read_text(path);
	unlink(path);
	return text;
}

TEST(options_docs_list_every_option)
{
	const struct clm_option	*o;
	char			*readme, *table, *keys, *ini, *help;
	char			*needle, *value;
	size_t			 i;

	readme = read_text(CLM_SRC_DIR "/README.md");
	table = readme_section(readme, "Options of `clm start`");
	keys = readme_section(readme, "## App files");
	ini = read_text(CLM_SRC_DIR "/config/clm.ini");
	help = start_help();
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_CLI) && o->flag != NULL) {
			needle = clm_asprintf("`--%s", o->flag);
			if (strstr(table, needle) == NULL)
				unit_fail(__FILE__, __LINE__, "README.md: the "
				    "options of clm start lack %s", needle);
			free(needle);
			needle = clm_asprintf(" --%s", o->flag);
			if (strstr(help, needle) == NULL)
				unit_fail(__FILE__, __LINE__, "clm start --help "
				    "lacks %s", needle);
			free(needle);
		}
		if (o->flags & CLM_OPT_FILE) {
			needle = o->type == CLM_OPT_ENV ?
			    clm_strdup("`env.NAME`") :
			    clm_asprintf("`%s`", o->key);
			if (strstr(keys, needle) == NULL)
				unit_fail(__FILE__, __LINE__, "README.md: the "
				    "app file keys lack %s", needle);
			free(needle);
			needle = o->type == CLM_OPT_ENV ?
			    clm_strdup(" env.NAME") :
			    clm_asprintf(" %s", o->key);
			if (strstr(help, needle) == NULL)
				unit_fail(__FILE__, __LINE__, "clm start --help "
				    "lacks the key%s", needle);
			free(needle);
		}
		if (o->flags & CLM_OPT_DEFAULTS) {
			value = ini_defaults_value(ini, o->key);
			if (value == NULL)
				unit_fail(__FILE__, __LINE__, "config/clm.ini: "
				    "[defaults] lacks %s", o->key);
			/* Listed with its default, as written in the table. */
			ASSERT_EQ_STR(value, o->def);
			free(value);
		}
	}
	free(help);
	free(ini);
	free(keys);
	free(table);
	free(readme);
}

/* ------------------------------------------------------------------ */
/* describe shows every option, by its key. */

TEST(options_describe_shows_every_row)
{
	struct clm_app_spec	*spec;
	char			 path[] = "/tmp/clm-unit-describe-XXXXXX";
	char			*text, *needle;
	FILE			*f;
	size_t			 i;
	int			 fd;

	spec = clm_app_spec_new();
	spec->name = clm_strdup("web");
	spec->max_memory = 300ULL << 20;
	fd = mkstemp(path);
	ASSERT_TRUE(fd != -1);
	f = fdopen(fd, "w");
	render_describe(f, spec, NULL, 0, false);
	fclose(f);
	text = read_text(path);
	unlink(path);
	for (i = 0; i < options_count; i++) {
		needle = clm_asprintf("\n%s ", options_table[i].key);
		if (i == 0)
			ASSERT_TRUE(strncmp(text, needle + 1,
			    strlen(needle + 1)) == 0);
		else
			ASSERT_CONTAINS(text, needle);
		free(needle);
	}
	ASSERT_CONTAINS(text, "max_memory_restart  300M\n");
	ASSERT_CONTAINS(text, "kill_timeout        (clmd's default)\n");
	free(text);
	clm_app_spec_free(spec);
}

/* health_check: the three kinds; a bad target refused with the fix. */
TEST(options_health_check_spec)
{
	static const char *const good[] = {
		"exec:true", "http://127.0.0.1:8080/health",
		"http://localhost:80", "http://[::1]:8080/a?b=c",
		"tcp:127.0.0.1:5432", "tcp:[::1]:6379", "tcp:localhost:1",
	};
	static const struct { const char *s, *says; } bad[] = {
		{ "exec:", "needs a command" },
		{ "https://127.0.0.1:443/", "plain HTTP only" },
		{ "ftp://127.0.0.1:21/", "http://HOST:PORT/PATH" },
		{ "http://example.com:80/", "no DNS lookups" },
		{ "http://127.0.0.1/health", "a port from 1 to 65535" },
		{ "http://127.0.0.1:0/", "a port from 1 to 65535" },
		{ "http://127.0.0.1:99999/", "a port from 1 to 65535" },
		{ "http://:8080/", "numeric" },
		{ "http://127.0.0.1:80/a b", "may not hold spaces" },
		{ "tcp:127.0.0.1:80/x", "with no path" },
		{ "tcp:db:5432", "no DNS lookups" },
		{ "tcp:5432", "numeric" },
	};
	char	*cause;
	size_t	 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		cause = NULL;
		ASSERT_EQ_INT(health_check_spec(good[i], &cause), 0);
		ASSERT_NULL(cause);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		ASSERT_EQ_INT(health_check_spec(bad[i].s, &cause), -1);
		ASSERT_NOT_NULL(cause);
		ASSERT_CONTAINS(cause, bad[i].says);
		ASSERT_CONTAINS(cause, bad[i].s);
		free(cause);
	}
}
