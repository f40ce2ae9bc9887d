/*
 * The clm command line: one table of verbs, a small option parser, and what
 * each verb sends to the daemon and prints.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clm/cli.h"
#include "clm/keeper.h"
#include "clm/client.h"
#include "clm/config.h"
#include "clm/dotenv.h"
#include "clm/ecosystem.h"
#include "clm/events.h"
#include "clm/monit.h"
#include "clm/home.h"
#include "clm/listeners.h"
#include "clm/logview.h"
#include "clm/nametab.h"
#include "clm/options.h"
#include "clm/proto.h"
#include "clm/render.h"
#include "clm/startup.h"

extern char **environ;

/*
 * The environment apps get from this clm: every variable but those whose
 * bytes are not UTF-8, which the protocol (JSON) cannot carry; each one
 * left out is named on stderr.
 */
static char **
cli_environ(void)
{
	char	**env = clm_calloc(1, sizeof *env);
	size_t	  i;

	for (i = 0; environ[i] != NULL; i++) {
		if (proto_utf8(environ[i]))
			clm_strv_push(&env, environ[i]);
		else
			fprintf(stderr, "clm: warning: %.*s is not passed to the "
			    "app: its value is not UTF-8\n",
			    (int)strcspn(environ[i], "="), environ[i]);
	}
	return env;
}

#define CLI_KILL_WAIT_MS	10000
#define CLI_KILL_POLL_MS	20

/* Options. */

enum {
	OPT_HELP = 1,
	OPT_JSON,
	OPT_APP,		/* a row of options_table */
	OPT_ONLY,
	OPT_UPDATE_ENV,
	OPT_UNIT_USER,
	OPT_LINES,
	OPT_ERR,
	OPT_OUT,
	OPT_NOSTREAM,
	OPT_RAW,
	OPT_BINARY,
	OPT_PRINT,
	OPT_PROFILE,		/* --env NAME (app files) */
	OPT_STRICT,
	OPT_OUTPUT,
	OPT_READY,
};

struct cli_option {
	const char	*lng;		/* without "--" */
	char		 shrt;		/* 0: none */
	bool		 arg;		/* takes a value */
	int		 id;		/* OPT_APP: options_by_flag(lng) */
};

/* What is left of argv once the options are taken out. */
struct cli_args {
	char	**pos;		/* positional arguments */
	size_t	  npos;
	char	**rest;		/* after "--" (when kept apart) */
	size_t	  nrest;
	bool	  dashdash;	/* "--" was seen */
	bool	  help;		/* -h or --help was seen */
	size_t	  nopts;	/* options seen, --help aside */
};

/* Called for each option with its value (NULL for flags) and its spelling
 * ("--name", "-n") for messages. Returns 0 or an exit code. */
typedef int (*cli_option_fn)(void *, const struct cli_option *,
    const char *, const char *, char **);

static const struct cli_option cli_help_option = { "help", 'h', false,
    OPT_HELP };

static const struct cli_option cli_startup_options[] = {
	{ "user", 0, false, OPT_UNIT_USER },
	{ "print", 0, false, OPT_PRINT },
	{ NULL, 0, false, 0 }
};

static const struct cli_option cli_logs_options[] = {
	{ "lines", 0, true, OPT_LINES },
	{ "err", 0, false, OPT_ERR },
	{ "out", 0, false, OPT_OUT },
	{ "nostream", 0, false, OPT_NOSTREAM },
	{ "raw", 0, false, OPT_RAW },
	{ NULL, 0, false, 0 }
};

static const struct cli_option cli_update_options[] = {
	{ "binary", 0, true, OPT_BINARY },
	{ NULL, 0, false, 0 }
};

static const struct cli_option cli_json_options[] = {
	{ "json", 0, false, OPT_JSON },
	{ NULL, 0, false, 0 }
};

static const struct cli_option cli_ping_options[] = {
	{ "ready", 0, false, OPT_READY },
	{ NULL, 0, false, 0 }
};

/* clm start's: every app option with a flag (cli_start_options_init),
 * then --only (app files). */
static struct cli_option cli_start_options[CLM_OPTIONS_MAX + 4];
/* clm restart's: --update-env, and the options [defaults] may set
 * (cli_start_options_init): a restart applies them, as PM2's does. */
static struct cli_option cli_restart_options[CLM_OPTIONS_MAX + 2];

/* The app options with a flag (with mask: only the rows that have it),
 * from c on; returns where they end. */
static struct cli_option *
cli_app_options(struct cli_option *c, unsigned mask)
{
	const struct clm_option	*o;
	size_t			 i;

	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_CLI) == 0 || o->flag == NULL ||
		    (o->flags & mask) != mask)
			continue;
		c->lng = o->flag;
		c->shrt = o->shrt;
		c->arg = o->type != CLM_OPT_BOOL;
		c->id = OPT_APP;
		c++;
		if (o->type == CLM_OPT_CHOICE && (o->flags & CLM_OPT_NEGATE)) {
			/* --no-autorestart: kept for the life of the CLI */
			c->lng = clm_asprintf("no-%s", o->flag);
			c->id = OPT_APP;
			c++;
		}
	}
	return c;
}

static void
cli_start_options_init(void)
{
	struct cli_option	*c = cli_start_options;

	if (c[0].lng != NULL)
		return;
	c = cli_app_options(c, 0);
	c->lng = "only";
	c->arg = true;
	c->id = OPT_ONLY;
	c++;
	c->lng = "env";
	c->arg = true;
	c->id = OPT_PROFILE;
	c++;
	c->lng = "strict";
	c->id = OPT_STRICT;

	c = cli_restart_options;
	c->lng = "update-env";
	c->id = OPT_UPDATE_ENV;
	(void)cli_app_options(c + 1, CLM_OPT_DEFAULTS);
}

static const struct cli_option cli_reload_options[] = {
	{ "only", 0, true, OPT_ONLY },
	{ "env", 0, true, OPT_PROFILE },
	{ "strict", 0, false, OPT_STRICT },
	{ NULL, 0, false, 0 }
};

static const struct cli_option cli_import_options[] = {
	{ "output", 'o', true, OPT_OUTPUT },
	{ "only", 0, true, OPT_ONLY },
	{ "strict", 0, false, OPT_STRICT },
	{ NULL, 0, false, 0 }
};


static const struct cli_option *
cli_find_long(const struct cli_option *opts, const char *name, size_t len)
{
	const struct cli_option	*o;

	if (len == 4 && strncmp(name, "help", 4) == 0)
		return &cli_help_option;
	for (o = opts; o != NULL && o->lng != NULL; o++) {
		if (strlen(o->lng) == len && strncmp(o->lng, name, len) == 0)
			return o;
	}
	return NULL;
}

static const struct cli_option *
cli_find_short(const struct cli_option *opts, char c)
{
	const struct cli_option	*o;

	if (c == 'h')
		return &cli_help_option;
	for (o = opts; o != NULL && o->lng != NULL; o++) {
		if (o->shrt != 0 && o->shrt == c)
			return o;
	}
	return NULL;
}

/* "unknown option '--nmae' (did you mean --name?)" */
static char *
cli_unknown_long(const struct cli_option *opts, const char *name, size_t len)
{
	const char		*names[CLM_OPTIONS_MAX + 8], *best;
	const struct cli_option	*o;
	char			*word, *cause;
	size_t			 n = 0;

	names[n++] = "help";
	for (o = opts; o != NULL && o->lng != NULL &&
	    n + 1 < CLM_ARRAY_SIZE(names); o++)
		names[n++] = o->lng;
	names[n] = NULL;
	word = clm_strndup(name, len);
	if ((best = clm_suggest(word, names)) != NULL)
		cause = clm_asprintf("unknown option '--%s' (did you mean "
		    "--%s?)", word, best);
	else
		cause = clm_asprintf("unknown option '--%s'", word);
	free(word);
	return cause;
}

static void
cli_args_free(struct cli_args *a)
{
	free(a->pos);
	memset(a, 0, sizeof *a);
}

/*
 * Split argv into options and positional arguments. Options may come
 * before or after positional ones; "--" ends them. "-" and words like
 * "-1" are positional. With keep_rest, what follows "--" goes to a->rest,
 * else to the positional arguments. Returns 0 or an exit code with *cause.
 */
static int
cli_parse_args(const struct cli_option *opts, bool keep_rest, int argc,
    char **argv, cli_option_fn fn, void *fnarg, struct cli_args *a,
    char **cause)
{
	const struct cli_option	*o;
	const char		*s, *name, *eq, *value;
	char			*spelled;
	size_t			 len;
	int			 i, rc;

	cli_start_options_init();
	memset(a, 0, sizeof *a);
	a->pos = clm_calloc((size_t)argc + 1, sizeof *a->pos);
	for (i = 0; i < argc; i++) {
		s = argv[i];
		if (strcmp(s, "--") == 0) {
			a->dashdash = true;
			for (i++; i < argc; i++) {
				if (keep_rest) {
					if (a->rest == NULL)
						a->rest = argv + i;
					a->nrest++;
				} else
					a->pos[a->npos++] = argv[i];
			}
			break;
		}
		if (s[0] != '-' || s[1] == '\0' ||
		    isdigit((unsigned char)s[1])) {
			a->pos[a->npos++] = argv[i];
			continue;
		}

		value = NULL;
		if (s[1] == '-') {
			name = s + 2;
			eq = strchr(name, '=');
			len = eq != NULL ? (size_t)(eq - name) : strlen(name);
			if ((o = cli_find_long(opts, name, len)) == NULL) {
				*cause = cli_unknown_long(opts, name, len);
				return CLM_EXIT_USAGE;
			}
			spelled = clm_asprintf("--%s", o->lng);
			if (eq != NULL && !o->arg) {
				*cause = clm_asprintf("option %s takes no "
				    "value", spelled);
				free(spelled);
				return CLM_EXIT_USAGE;
			}
			if (eq != NULL)
				value = eq + 1;
		} else {
			o = cli_find_short(opts, s[1]);
			if (o == NULL || (!o->arg && s[2] != '\0')) {
				*cause = clm_asprintf("unknown option '%s'", s);
				return CLM_EXIT_USAGE;
			}
			spelled = clm_asprintf("-%c", s[1]);
			if (s[2] != '\0')
				value = s + 2;
		}
		if (o->arg && value == NULL) {
			if (i + 1 >= argc) {
				*cause = clm_asprintf("option %s needs a value",
				    spelled);
				free(spelled);
				return CLM_EXIT_USAGE;
			}
			value = argv[++i];
		}

		rc = 0;
		if (o->id == OPT_HELP)
			a->help = true;
		else {
			a->nopts++;
			if (fn != NULL)
				rc = fn(fnarg, o, spelled, value, cause);
		}
		free(spelled);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* clm start: argument parsing. */

struct cli_start {
	struct clm_app_spec	*spec;
	bool			 only;		/* --only, --env or --strict */
	char			*file_opt;	/* ... as spelled */
};

static int
cli_start_option(void *arg, const struct cli_option *o, const char *spelled,
    const char *value, char **cause)
{
	struct cli_start	*st = arg;
	const struct clm_option	*row;

	if (o->id == OPT_ONLY || o->id == OPT_PROFILE || o->id == OPT_STRICT) {
		st->only = true;
		free(st->file_opt);
		st->file_opt = clm_strdup(spelled);
		return 0;
	}
	row = options_by_flag(o->lng, strlen(o->lng));
	/* Lists: --stop-exit-codes 0,3 as well as one value a flag. */
	if (options_parse(row, spelled, value, row->type == CLM_OPT_LIST,
	    st->spec, cause) != 0)
		return CLM_EXIT_USAGE;
	return 0;
}

/* A word that can only be an app's name, not a script's path. */
static bool
cli_looks_like_name(const char *s)
{
	char	*why = NULL;
	bool	 ok;

	if (strchr(s, '/') != NULL || clm_app_default_interpreter(s) != NULL)
		return false;
	ok = clm_app_name_check(s, &why) == 0;
	free(why);
	return ok;
}

int
clm_cli_parse_start(int argc, char **argv, const char *cwd,
    struct clm_app_spec *spec, bool *name_only, char **cause)
{
	struct cli_start	 st;
	struct cli_args		 a;
	struct stat		 sb;
	const char		*script, *field;
	char			*path, *name = NULL, *why, **env;
	size_t			 i;
	int			 rc;

	*name_only = false;
	memset(&st, 0, sizeof st);
	st.spec = spec;
	rc = cli_parse_args(cli_start_options, true, argc, argv,
	    cli_start_option, &st, &a, cause);
	if (rc != 0)
		goto out;
	rc = CLM_EXIT_USAGE;
	if (a.npos == 0) {
		*cause = clm_strdup("missing script (usage: clm start SCRIPT "
		    "[options] [-- ARGS...])");
		goto out;
	}
	if (a.npos > 1) {
		*cause = clm_asprintf("unexpected argument '%s' (arguments for "
		    "the script go after --)", a.pos[1]);
		goto out;
	}
	if (st.only) {
		*cause = clm_asprintf("%s applies to an app file or an "
		    "ecosystem file (clm start FILE.ini %s ...)", st.file_opt,
		    st.file_opt);
		goto out;
	}
	script = a.pos[0];

	/* A lone word that is no file may be a stopped app's name. */
	if (a.nopts == 0 && !a.dashdash && cli_looks_like_name(script)) {
		path = clm_path_join(cwd, script);
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(path);
			*name_only = true;
			free(spec->name);
			spec->name = clm_strdup(script);
			rc = 0;
			goto out;
		}
		free(path);
	}

	rc = CLM_EXIT_FAIL;
	free(spec->script);
	spec->script = clm_strdup(script);
	if (clm_app_resolve(spec, cwd, getenv("PATH"), "pass --interpreter",
	    &field, &why) != 0) {
		if (strcmp(field, "cwd") == 0) {
			*cause = clm_asprintf("--cwd: %s", why);
			free(why);
		} else
			*cause = why;
		goto out;
	}

	if (spec->name != NULL)
		name = clm_strdup(spec->name);
	else {
		name = clm_app_default_name(spec->script);
		if (clm_app_name_check(name, &why) != 0) {
			*cause = clm_asprintf("%s; pass --name NAME", why);
			free(why);
			rc = CLM_EXIT_USAGE;
			goto out;
		}
	}

	free(spec->name);
	spec->name = name;
	name = NULL;
	clm_strv_free(spec->args);
	spec->args = NULL;
	for (i = 0; i < a.nrest; i++)
		clm_strv_push(&spec->args, a.rest[i]);
	env = cli_environ();
	rc = dotenv_apply(spec, env, NULL, &why);
	clm_strv_free(env);
	if (rc != 0) {
		*cause = clm_asprintf("--env-file: %s", why);
		free(why);
		rc = CLM_EXIT_FAIL;
	}

out:
	free(st.file_opt);
	free(name);
	cli_args_free(&a);
	return rc;
}

/* App files: clm start|reload FILE.ini [--only NAME[,NAME]]. */

bool
clm_cli_is_app_file(const char *word)
{
	size_t	len;

	len = strlen(word);
	return (len > 4 && strcasecmp(word + len - 4, ".ini") == 0) ||
	    ecosystem_is_file(word);
}

/* What clm start|reload|import FILE take besides the file. */
struct cli_file {
	char		**only;
	char		 *profile;	/* --env NAME */
	bool		  strict;
	char		 *output;	/* import -o */
};

static void
cli_file_free(struct cli_file *cf)
{
	clm_strv_free(cf->only);
	free(cf->profile);
	free(cf->output);
	memset(cf, 0, sizeof *cf);
}

static int
cli_app_file_option(void *arg, const struct cli_option *o, const char *spelled,
    const char *value, char **cause)
{
	struct cli_file	 *cf = arg;
	char		***only = &cf->only;
	const char	  *p, *end;
	char		  *name, *why;

	switch (o->id) {
	case OPT_PROFILE:
		if (clm_app_name_check(value, &why) != 0) {
			*cause = clm_asprintf("%s: %s (a profile's name, as "
			    "production of env_production)", spelled, why);
			free(why);
			return CLM_EXIT_USAGE;
		}
		free(cf->profile);
		cf->profile = clm_strdup(value);
		return 0;
	case OPT_STRICT:
		cf->strict = true;
		return 0;
	case OPT_OUTPUT:
		free(cf->output);
		cf->output = clm_strdup(value);
		return 0;
	case OPT_ONLY:
		break;
	default:
		*cause = clm_asprintf("option %s does not apply to an app file "
		    "(set it in the file)", spelled);
		return CLM_EXIT_USAGE;
	}
	for (p = value;; p = end + 1) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		name = clm_strndup(p, (size_t)(end - p));
		if (clm_app_name_check(name, &why) != 0) {
			*cause = clm_asprintf("%s: %s", spelled, why);
			free(why);
			free(name);
			return CLM_EXIT_USAGE;
		}
		clm_strv_push(only, name);
		free(name);
		if (*end == '\0')
			return 0;
	}
}

static int
cli_parse_file(const struct cli_option *opts, int argc, char **argv,
    const char **file, struct cli_file *cf, char **cause)
{
	struct cli_args	a;
	int		rc;

	*file = NULL;
	memset(cf, 0, sizeof *cf);
	rc = cli_parse_args(opts, true, argc, argv, cli_app_file_option, cf,
	    &a, cause);
	if (rc == 0 && a.dashdash) {
		*cause = clm_strdup("arguments after -- do not apply to an app "
		    "file (set args = ... in the file)");
		rc = CLM_EXIT_USAGE;
	} else if (rc == 0 && a.npos != 1) {
		*cause = a.npos == 0 ? clm_strdup("missing app file") :
		    clm_asprintf("unexpected argument '%s' (one app file at a "
		    "time)", a.pos[1]);
		rc = CLM_EXIT_USAGE;
	} else if (rc == 0 && opts != cli_import_options &&
	    !clm_cli_is_app_file(a.pos[0])) {
		*cause = clm_asprintf("'%s' is not an app file (its name must "
		    "end in .ini; an ecosystem file's in .config.js, "
		    ".config.cjs, .json, .yaml or .yml)", a.pos[0]);
		rc = CLM_EXIT_USAGE;
	}
	if (rc == 0)
		*file = a.pos[0];
	else
		cli_file_free(cf);
	cli_args_free(&a);
	return rc;
}

int
clm_cli_parse_app_file(int argc, char **argv, const char **file,
    char ***only, char **cause)
{
	struct cli_file	cf;
	int		rc;

	*only = NULL;
	rc = cli_parse_file(cli_start_options, argc, argv, file, &cf, cause);
	if (rc == 0) {
		*only = cf.only;
		cf.only = NULL;
		cli_file_free(&cf);
	}
	return rc;
}

/* Whether the first positional argument names an app file. */
static bool
cli_names_app_file(const struct cli_option *opts, int argc, char **argv)
{
	struct cli_args	 a;
	char		*cause = NULL;
	bool		 yes;

	(void)cli_parse_args(opts, true, argc, argv, NULL, NULL, &a, &cause);
	free(cause);
	yes = a.npos > 0 && clm_cli_is_app_file(a.pos[0]);
	cli_args_free(&a);
	return yes;
}

/* Verbs. */

struct cli_verb;
typedef int (*cli_exec_fn)(const struct cli_verb *, int, char **);

struct cli_verb {
	const char		*name;
	const char		*alias;
	cli_exec_fn		 exec;
	const struct cli_option	*options;
	const char		*args;		/* after "clm VERB" in usage */
	const char		*summary;	/* one line in clm --help */
	const char		*help;		/* more for clm VERB --help */
	bool			 autostart;	/* starts a daemon if none */
	bool			 show;		/* print the app's rows after */
	int			 minargs;
	int			 maxargs;
};

static int cli_verb_start(const struct cli_verb *, int, char **);
static int cli_verb_metrics(const struct cli_verb *, int, char **);
static int cli_verb_logs(const struct cli_verb *, int, char **);
static int cli_verb_flush(const struct cli_verb *, int, char **);
static int cli_verb_update(const struct cli_verb *, int, char **);
static int cli_verb_startup(const struct cli_verb *, int, char **);
static int cli_verb_target(const struct cli_verb *, int, char **);
static int cli_verb_reload(const struct cli_verb *, int, char **);
static int cli_verb_save(const struct cli_verb *, int, char **);
static int cli_verb_resurrect(const struct cli_verb *, int, char **);
static int cli_verb_list(const struct cli_verb *, int, char **);
static int cli_verb_describe(const struct cli_verb *, int, char **);
static int cli_verb_ping(const struct cli_verb *, int, char **);
static int cli_verb_kill(const struct cli_verb *, int, char **);
static int cli_verb_scale(const struct cli_verb *, int, char **);
static int cli_verb_help(const struct cli_verb *, int, char **);
static int cli_verb_import(const struct cli_verb *, int, char **);
static int cli_verb_events(const struct cli_verb *, int, char **);
static int cli_verb_monit(const struct cli_verb *, int, char **);

/* Sorted by name: ambiguity messages list them in this order. */
static const struct cli_verb cli_verbs[] = {
	{ "delete", "del", cli_verb_target, NULL, "NAME...|all|FILE",
	  "stop an app and forget it",
	  "Stops every worker of the app (or of every app) and removes it; "
	  "says what it\ndeleted. Its log files stay (clm logs NAME reads "
	  "them).\n",
	  false, false, 1, -1 },
	{ "describe", NULL, cli_verb_describe, cli_json_options,
	  "NAME|NAME:ID [--json]",
	  "show an app's options and workers",
	  "NAME:ID shows one worker (ids count from 0 in each app).\n"
	  "Options:\n"
	  "      --json               print JSON instead of text\n",
	  false, false, 1, 1 },
	{ "events", NULL, cli_verb_events, cli_json_options, "[NAME] [--json]",
	  "follow what happens to the apps, as it happens",
	  "One line per event until interrupted: a worker launching, online, "
	  "its exit\n(code or signal), a restart scheduled, errored, stopping, "
	  "stopped; a\nreload's begin, end or failure; a scale; a replacement "
	  "for memory or a\nmissed watchdog; the daemon's start and update. "
	  "NAME: only that app's.\nA reader that falls 256 KiB behind is told "
	  "so and dropped.\n"
	  "Options:\n"
	  "      --json               one JSON object a line: time, event, app, "
	  "id, pid,\n"
	  "                           exit_code, signal, restarts, details\n",
	  false, false, 0, 1 },
	{ "flush", NULL, cli_verb_flush, NULL, "[NAME|all]",
	  "empty the log files of an app (default: all)",
	  NULL, false, false, 0, 1 },
	{ "help", NULL, cli_verb_help, NULL, "[COMMAND]",
	  "show this help, or a command's",
	  NULL,
	  false, false, 0, 1 },
	{ "import", NULL, cli_verb_import, cli_import_options,
	  "FILE [-o APPS.ini] [--only NAME[,NAME]] [--strict]",
	  "write the app file of a PM2 ecosystem file",
	  "Reads FILE (ecosystem.config.js, .cjs, .json, .yaml) as clm start "
	  "does and\n"
	  "writes the app file that declares the same apps, with their "
	  "env_NAME\n"
	  "profiles, to APPS.ini (default: standard output). Each key that "
	  "cannot be\n"
	  "carried over gets a comment that says why.\n"
	  "\n"
	  "Options:\n"
	  "  -o, --output APPS.ini      write there (atomically)\n"
	  "      --only NAME[,NAME]     only these apps\n"
	  "      --strict               a key not carried over is an error\n",
	  false, false, 1, 1 },
	{ "kill", NULL, cli_verb_kill, NULL, "",
	  "stop every app, then the daemon",
	  "Waits until the daemon has exited. Succeeds when no daemon runs.\n",
	  false, false, 0, 0 },
	{ "list", "ls", cli_verb_list, cli_json_options, "[--json]",
	  "show every app's workers",
	  "One row per worker; ids count from 0 in each app (NAME:ID names "
	  "one worker).\nA worker that does not run says why and since when: "
	  "errored (exit 3, 2m ago),\nstopped (clm stop, 5s ago). On a narrow "
	  "terminal long names are cut with ~.\nWith no daemon running: the "
	  "header and \"(no apps ...)\" (--json: []), exit 0;\nit never "
	  "starts one.\n"
	  "Options:\n"
	  "      --json               print a JSON array, one object per "
	  "worker\n",
	  false, false, 0, 0 },
	{ "logs", NULL, cli_verb_logs, cli_logs_options,
	  "[NAME|NAME:ID] [--lines N] [--err|--out] [--nostream] [--raw]",
	  "show the last lines of the logs, then follow them",
	  "Prints the last N lines (default 15) of each worker's out and err "
	  "log (NAME:ID:\none worker's), each "
	  "line prefixed with the worker, then new lines as they\ncome, until "
	  "interrupted.\n"
	  "--lines 0 prints only new lines. --nostream prints and exits.\n"
	  "Control bytes (terminal escapes) and bytes that are not UTF-8 are "
	  "shown as\n"
	  "\\xNN; --raw prints control bytes as they are. A line longer than "
	  "16 KiB is\n"
	  "cut, with a marker that says how long it was.\n",
	  false, false, 0, 1 },
	{ "metrics", NULL, cli_verb_metrics, NULL, "",
	  "print metrics in Prometheus' text format",
	  "Per worker: up, restarts, CPU seconds, resident bytes; per app: "
	  "desired and\n"
	  "online workers; clmd's own memory and CPU. metrics_listen = "
	  "HOST:PORT in\n"
	  "clm.ini serves the same over HTTP.\n",
	  false, false, 0, 0 },
	{ "monit", NULL, cli_verb_monit, NULL, "",
	  "a live view of every worker, in the terminal",
	  "Status, pid, uptime, restarts, CPU and memory of every worker with "
	  "their recent\nhistory, and the selected worker's last log lines; "
	  "refreshed every second.\nKeys: up/down (j/k) move, r restart, l "
	  "reload, s stop the selected app\n(asking first), / filter by name, "
	  "q quit.\n",
	  false, false, 0, 0 },
	{ "ping", NULL, cli_verb_ping, cli_ping_options, "[--ready]",
	  "check that the daemon answers",
	  "Exit 0 when the daemon answers, 1 when none runs. Never starts "
	  "one.\n"
	  "Options:\n"
	  "      --ready              exit 0 only when every worker of every "
	  "app is online\n"
	  "                           (as GET /readyz); else print what is "
	  "missing, exit 1\n",
	  false, false, 0, 0 },
	{ "reload", NULL, cli_verb_reload, cli_reload_options,
	  "NAME|NAME:ID|all\n"
	  "       clm reload FILE [--only NAME[,NAME]] [--env NAME]",
	  "replace an app's workers one by one, without downtime",
	  "Starts a new worker per slot, waits until it is ready, then stops "
	  "the old one.\nNAME:ID replaces one worker.\n"
	  "With an app file, applies the file to its running apps: their new "
	  "options,\n"
	  "and their new instance counts.\n"
	  "\n"
	  "Options:\n"
	  "      --only NAME[,NAME]   only these apps of the file "
	  "(repeatable)\n"
	  "      --env NAME           the apps' env_NAME values over their env "
	  "ones\n",
	  false, true, 1, 1 },
	{ "reload-logs", NULL, cli_verb_metrics, NULL, "",
	  "reopen every log file (after an external logrotate; as SIGUSR1)",
	  NULL, false, false, 0, 0 },
	{ "restart", NULL, cli_verb_target, cli_restart_options,
	  "NAME...|NAME:ID|all [--update-env] [options]",
	  "stop and start an app's workers",
	  "Also starts an errored or stopped app again. NAME:ID restarts one "
	  "worker.\n"
	  "An app keeps the environment it was started with (a restart, a "
	  "reload, a\n"
	  "resurrect do not change it), unless --update-env is given.\n"
	  "\n"
	  "A worker that does not listen (nor say READY=1) within its "
	  "--listen-timeout\nis taken as online, with a warning; clm reload "
	  "keeps the old worker instead.\n"
	  "\n"
	  "Options:\n"
	  "      --update-env         give the app clm's current environment "
	  "instead\n"
	  "  and these options of clm start, which the restart applies (as "
	  "PM2's does):\n  --kill-signal --kill-timeout --min-uptime "
	  "--max-restarts --listen-timeout\n  --max-log-size --log-retain "
	  "(those clm.ini's [defaults] may set)\n",
	  false, true, 1, -1 },
	{ "resurrect", NULL, cli_verb_resurrect, NULL, "",
	  "start the apps saved by clm save",
	  "Starts every app of $CLM_HOME/dump.json (written by clm save) with "
	  "its saved\n"
	  "options, instance count, ports and environment; an app saved "
	  "stopped comes\nback stopped. Prints the table of every app, and "
	  "exits 1 when an app did not\ncome online. Starts the daemon "
	  "if none is running; clmd --resurrect does the\nsame at start-up.\n",
	  true, true, 0, 0 },
	{ "save", NULL, cli_verb_save, NULL, "",
	  "save the apps for clm resurrect",
	  "Writes every app (options, instance count, environment) to "
	  "$CLM_HOME/dump.json,\n"
	  "atomically; the previous dump is kept as dump.json.bak.\n",
	  false, false, 0, 0 },
	{ "scale", NULL, cli_verb_scale, NULL, "NAME N|+N|-N",
	  "set the number of an app's workers",
	  "N workers (from 1; max: one per logical core), or N more (+N) or "
	  "fewer (-N).\nTo stop every worker: clm stop NAME.\n",
	  false, true, 2, 2 },
	{ "start", NULL, cli_verb_start, cli_start_options,
	  "SCRIPT [options] [-- ARGS...]\n"
	  "       clm start FILE.ini [--only NAME[,NAME]] [--env NAME]\n"
	  "       clm start ecosystem.config.js [--only NAME[,NAME]] "
	  "[--env NAME] [--strict]\n"
	  "       clm start NAME",
	  "start a script, the apps of an app file, or a stopped app",
	  "The interpreter comes from the extension: .js .mjs .cjs node, .py "
	  "python3,\n"
	  ".sh sh; other files are executed directly. ARGS go to the script.\n"
	  "Starts the daemon if none is running.\n"
	  "\n"
	  "An app file (FILE.ini) declares apps, one section per app named "
	  "after it:\n"
	  "  [web]\n"
	  "  script = server.js        ; required\n"
	  "  instances = 0\n"
	  "  env.NODE_ENV = production\n"
	  "Durations take ms, s, m or h (1600, 1.6s, 2m; a plain number is "
	  "milliseconds),\n"
	  "sizes K, M or G (512K, 300M), on the command line as in files. "
	  "Relative paths\n"
	  "are relative to the file's folder, which is also the default cwd; "
	  "a script is\n"
	  "relative to its app's cwd. Apps get clm's environment, then their "
	  "env.NAME\n"
	  "keys. Every app starts, or none: any error is printed as FILE:LINE: "
	  "and\n"
	  "nothing starts. Apps of the file that run already are left as they "
	  "are (clm\nreload FILE.ini applies changes). Values are read as a "
	  "shell reads words: args\nare split into words, quotes group them; "
	  "any other value in quotes is one word,\nits quotes removed "
	  "(env.MSG = \"Hi there\"). ';' after a blank starts a comment,\n"
	  "even inside quotes.\n"
	  "PM2's ecosystem files (.config.js, .config.cjs: evaluated by Node; "
	  ".json,\n"
	  ".yaml, .yml) are read as they are; a key clm does not carry over "
	  "is named.\n"
	  "      --only NAME[,NAME]   only these apps of the file "
	  "(repeatable)\n"
	  "      --env NAME           the apps' env_NAME values over their env "
	  "ones\n"
	  "      --strict             an ecosystem key not carried over is an "
	  "error\n",
	  true, true, 1, 1 },
	{ "startup", NULL, cli_verb_startup, cli_startup_options,
	  "[--user] [--print]",
	  "run clmd as a systemd service, from boot (or login with --user)",
	  "Writes clm.service (Type=notify, clmd --foreground --resurrect, "
	  "reload with\n"
	  "clm reload all) to /etc/systemd/system, or with --user to\n"
	  "~/.config/systemd/user, and enables it with systemctl. Its CLM_HOME "
	  "is this\n"
	  "clm's, so clm talks to the service's daemon; save your apps with "
	  "clm save\n"
	  "first. --print only prints the unit. clm unstartup removes it.\n",
	  false, false, 0, 0 },
	{ "stop", NULL, cli_verb_target, NULL, "NAME...|NAME:ID|all",
	  "stop an app's workers (the app stays listed)",
	  "Sends the app's kill signal to each worker's process group, and "
	  "SIGKILL\n"
	  "after its kill timeout. NAME:ID stops one worker (ids count from 0 "
	  "in each\napp); it stays stopped until clm restart NAME:ID or NAME. "
	  "While an app is\nstopped, its ports refuse connections.\n",
	  false, true, 1, -1 },
	{ "unstartup", NULL, cli_verb_startup, cli_startup_options, "[--user]",
	  "disable and remove the unit that clm startup wrote",
	  NULL, false, false, 0, 0 },
	{ "update", NULL, cli_verb_update, cli_update_options,
	  "[--binary PATH]",
	  "re-execute clmd from its (new) binary, keeping every worker",
	  "clmd runs the installed clmd (or PATH) in its own process: the same "
	  "pid, so\n"
	  "every worker stays its child and no port closes; the apps, workers, "
	  "restart\n"
	  "counts, sockets and logs are handed over. The new binary is asked "
	  "first\n"
	  "whether it can take over; if not, nothing changes. Also SIGUSR2.\n",
	  false, false, 0, 0 },
};

static const struct cli_verb *
cli_find_verb(const char *word, char **cause)
{
	const struct cli_verb	*found = NULL;
	size_t			 i, n = 0, len;
	char			*list = NULL, *tmp;

	len = strlen(word);
	for (i = 0; i < CLM_ARRAY_SIZE(cli_verbs); i++) {
		if (strcmp(word, cli_verbs[i].name) == 0 ||
		    (cli_verbs[i].alias != NULL &&
		    strcmp(word, cli_verbs[i].alias) == 0))
			return &cli_verbs[i];
	}
	for (i = 0; len > 0 && i < CLM_ARRAY_SIZE(cli_verbs); i++) {
		if (strncmp(word, cli_verbs[i].name, len) != 0)
			continue;
		found = &cli_verbs[i];
		n++;
		if (list == NULL)
			list = clm_strdup(found->name);
		else {
			tmp = clm_asprintf("%s, %s", list, found->name);
			free(list);
			list = tmp;
		}
	}
	if (n == 1) {
		free(list);
		return found;
	}
	if (n == 0)
		*cause = clm_asprintf("unknown command: %s", word);
	else
		*cause = clm_asprintf("ambiguous command: %s, could be: %s",
		    word, list);
	free(list);
	return NULL;
}

bool
clm_cli_verb_doc(size_t i, struct clm_cli_doc *d)
{
	const struct cli_verb	*v;
	const struct cli_option	*o;

	if (i >= CLM_ARRAY_SIZE(cli_verbs))
		return false;
	cli_start_options_init();
	v = &cli_verbs[i];
	memset(d, 0, sizeof *d);
	d->name = v->name;
	d->alias = v->alias;
	d->args = v->args;
	d->summary = v->summary;
	d->help = v->help;
	for (o = v->options; o != NULL && o->lng != NULL; o++)
		clm_strv_push(&d->flags, o->lng);
	return true;
}

const char *
clm_cli_resolve_verb(const char *word, char **cause)
{
	const struct cli_verb	*v;

	if ((v = cli_find_verb(word, cause)) == NULL)
		return NULL;
	return v->name;
}

/* Output. */

static int CLM_PRINTF(1, 2)
cli_error(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("clm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLM_EXIT_FAIL;
}

/* Print cause for exit code rc (with a hint for usage errors), free it. */
static int
cli_report(const struct cli_verb *v, int rc, char *cause)
{
	fflush(stdout);
	if (rc == CLM_EXIT_USAGE && v != NULL)
		fprintf(stderr, "clm: %s (see clm %s --help)\n", cause,
		    v->name);
	else if (rc == CLM_EXIT_USAGE)
		fprintf(stderr, "clm: %s (see clm --help)\n", cause);
	else
		fprintf(stderr, "clm: %s\n", cause);
	free(cause);
	return rc;
}

static void
cli_print_help(FILE *f)
{
	const struct cli_verb	*v;
	char			*name;
	size_t			 i;

	fprintf(f, "usage: clm COMMAND [ARGS...]\n"
	    "       clm COMMAND --help | --help | --version\n\n"
	    "clm runs apps under clmd, a small supervising daemon.\n\n"
	    "Commands (any unique prefix works):\n");
	for (i = 0; i < CLM_ARRAY_SIZE(cli_verbs); i++) {
		v = &cli_verbs[i];
		if (v->alias != NULL)
			name = clm_asprintf("%s, %s", v->name, v->alias);
		else
			name = clm_strdup(v->name);
		fprintf(f, "  %-12s %s\n", name, v->summary);
		free(name);
	}
	fprintf(f, "\nEnvironment:\n"
	    "  CLM_HOME     the daemon's directory (default ~/.clm)\n"
	    "  CLM_DAEMON   the clmd binary to start (default: beside clm, "
	    "then PATH)\n"
	    "  NO_COLOR     no colours in tables\n\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

/* Print words from column col on, wrapped before column 79; the lines
 * after the first start at column indent. */
static void
cli_print_wrapped(FILE *f, const char *text, size_t col, size_t indent)
{
	const char	*p = text;
	size_t		 len;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\n')
			p++;
		len = strcspn(p, " \n");
		if (len == 0)
			break;
		if (col > indent && col + 1 + len > 79) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)len, p);
		col += len;
		p += len;
	}
	fputc('\n', f);
}

/* clm start --help's key list and options, from options_table. */
static void
cli_print_app_options(FILE *f)
{
	const struct clm_option	*o;
	char			*keys, *left, *help, *tmp;
	size_t			 i;

	keys = clm_strdup("");
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_FILE) == 0)
			continue;
		tmp = clm_asprintf("%s %s%s", keys, o->type == CLM_OPT_ENV ?
		    "env." : "", o->type == CLM_OPT_ENV ? o->arg : o->key);
		free(keys);
		keys = tmp;
	}
	fputs("\nKeys of an app file (as the options of the same name):\n ",
	    f);
	cli_print_wrapped(f, keys, 1, 1);
	free(keys);

	fputs("\nOptions:\n", f);
	for (i = 0; i < options_count; i++) {
		o = &options_table[i];
		if ((o->flags & CLM_OPT_CLI) == 0 || o->flag == NULL)
			continue;
		if (o->shrt != 0)
			left = clm_asprintf("  -%c, --%s%s%s", o->shrt, o->flag,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			left = clm_asprintf("      --%s%s%s", o->flag,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		if (o->def != NULL && *o->def != '\0' &&
		    o->type != CLM_OPT_BOOL)
			help = clm_asprintf("%s (default %s%s)", o->help,
			    o->def, o->flags & CLM_OPT_DEFAULTS ? ", or "
			    "clm.ini's [defaults]" : "");
		else
			help = clm_strdup(o->help);
		if (strlen(left) < 27) {
			fprintf(f, "%-27s", left);
			cli_print_wrapped(f, help, 27, 27);
		} else {
			fprintf(f, "%s\n%27s", left, "");
			cli_print_wrapped(f, help, 27, 27);
		}
		free(left);
		free(help);
	}
}

static void
cli_print_verb_help(const struct cli_verb *v)
{
	printf("usage: clm %s%s%s\n\n", v->name, *v->args != '\0' ? " " : "",
	    v->args);
	printf("%c%s.\n", toupper((unsigned char)v->summary[0]),
	    v->summary + 1);
	if (v->alias != NULL)
		printf("Alias: %s.\n", v->alias);
	if (v->help != NULL)
		printf("%s", v->help);
	if (v->options == cli_start_options)
		cli_print_app_options(stdout);
}

/* Parse a verb's arguments; check their count. */
static int
cli_parse_verb(const struct cli_verb *v, int argc, char **argv,
    cli_option_fn fn, void *fnarg, struct cli_args *a)
{
	char	*cause = NULL;
	int	 rc;

	rc = cli_parse_args(v->options, false, argc, argv, fn, fnarg, a,
	    &cause);
	if (rc == 0 && a->npos < (size_t)v->minargs) {
		cause = clm_asprintf("missing argument: clm %s %s",
		    v->name, v->args);
		rc = CLM_EXIT_USAGE;
	} else if (rc == 0 && v->maxargs >= 0 &&
	    a->npos > (size_t)v->maxargs) {
		cause = clm_asprintf("unexpected argument '%s'",
		    a->pos[v->maxargs]);
		rc = CLM_EXIT_USAGE;
	}
	if (rc != 0) {
		cli_args_free(a);
		return cli_report(v, rc, cause);
	}
	return 0;
}

/* An option callback that just remembers --json. */
static int
cli_json_option(void *arg, const struct cli_option *o, const char *spelled,
    const char *value, char **cause)
{
	if (o->id == OPT_JSON)
		*(bool *)arg = true;
	return 0;
}

/* Talking to the daemon. */

/*
 * Find CLM_HOME (creating it for autostart) and connect. Returns 0, or
 * an exit code once the failure is printed; with no daemon running,
 * *no_daemon is set and nothing is printed.
 */
static int
cli_connect(struct clm_home *home, bool autostart, struct clm_client **c,
    bool *no_daemon)
{
	char	*cause = NULL;

	*c = NULL;
	*no_daemon = false;
	if (clm_home_init(home, autostart, &cause) != 0)
		return cli_report(NULL, CLM_EXIT_FAIL, cause);
	if (clm_client_connect(home, autostart, c, no_daemon, &cause) != 0) {
		if (*no_daemon) {
			free(cause);
			return CLM_EXIT_FAIL;
		}
		return cli_report(NULL, CLM_EXIT_FAIL, cause);
	}
	return 0;
}

/*
 * Did a clmd die with its clm-keeper, leaving workers nobody manages?
 * Then clm list starts a daemon, which sees to them, rather than show an
 * empty list.
 */
static bool
cli_dead_daemon(void)
{
	struct clm_home	 home;
	char		*cause = NULL;
	bool		 dead = false;

	if (clm_home_init(&home, false, &cause) == 0) {
		dead = keeper_state_left(&home);
		clm_home_free(&home);
	}
	free(cause);
	return dead;
}

static int
cli_no_daemon(const struct clm_home *home)
{
	return cli_error("no daemon is running (CLM_HOME=%s; start one with "
	    "clm start)", home->dir);
}

typedef int (*cli_reply_fn)(const struct clm_reply *, void *);

/*
 * Send req (freed here) and read its replies up to the last one. Notes go
 * to stdout as they come, errors to stderr; fn sees every ok reply. When
 * noapp is set, it replaces the message of an ENOAPP error.
 */
static int
cli_exchange(struct clm_client *c, struct clm_request *req, cli_reply_fn fn,
    void *arg, const char *noapp)
{
	struct clm_reply	*reply;
	char			*cause = NULL;
	size_t			 i;
	bool			 more;
	int			 rc = 0, r;

	r = clm_client_send(c, req, &cause);
	proto_request_free(req);
	if (r != 0)
		return cli_report(NULL, CLM_EXIT_FAIL, cause);
	do {
		if (clm_client_recv(c, &reply, &cause) != 0)
			return cli_report(NULL, CLM_EXIT_FAIL, cause);
		more = reply->more;
		for (i = 0; reply->notes != NULL && reply->notes[i] != NULL;
		    i++)
			printf("%s\n", reply->notes[i]);
		fflush(stdout);
		if (!reply->ok) {
			if (noapp != NULL && reply->code != NULL &&
			    strcmp(reply->code, CLM_E_NOAPP) == 0)
				cli_error("%s", noapp);
			else
				cli_error("%s", reply->message != NULL ?
				    reply->message : "the daemon refused "
				    "(no message)");
			rc = CLM_EXIT_FAIL;
		} else if (fn != NULL && (r = fn(reply, arg)) != 0)
			rc = r;
		proto_reply_free(reply);
	} while (more);
	return rc;
}

struct cli_list {
	const char	*name;		/* only this app; NULL: all */
	bool		 json;
	char	       **names;		/* only these apps; NULL: all */
};

/* A set of names (each maps to itself), to look them up in constant time. */
static struct nametab *
cli_name_set(char *const *names)
{
	struct nametab	*t = nametab_new();
	size_t		 i;

	for (i = 0; names != NULL && names[i] != NULL; i++)
		nametab_put(t, names[i], names[i]);
	return t;
}

static int
cli_print_list(const struct clm_reply *reply, void *arg)
{
	struct cli_list		*l = arg;
	struct clm_worker_info	*rows;
	struct nametab		*want;
	char			*json;
	size_t			 i, k = 0;

	if (l->json && reply->text != NULL)	/* printed by clmd */
		fputs(reply->text, stdout);
	else if (l->json) {		/* an older clmd's */
		json = proto_workers_json(reply->workers, reply->nworkers);
		fputs(json, stdout);
		free(json);
	} else if (l->names != NULL) {
		/* Looked up in a table: a start of 2,500 apps beside 2,500
		 * others was 6 million string comparisons. */
		want = cli_name_set(l->names);
		rows = clm_calloc(reply->nworkers + 1, sizeof *rows);
		for (i = 0; i < reply->nworkers; i++) {
			if (nametab_get(want, reply->workers[i].name) != NULL)
				rows[k++] = reply->workers[i];
		}
		render_workers(stdout, rows, k, NULL, render_use_color(stdout));
		free(rows);
		nametab_free(want);
	} else
		render_workers(stdout, reply->workers, reply->nworkers, l->name,
		    render_use_color(stdout));
	return 0;
}

/* Print the table of one app (name), of some (names), or of all. */
static int
cli_show_apps(const char *name, char **names)
{
	struct clm_home		 home;
	struct clm_client	*c;
	struct cli_list		 l = { name, false, names };
	bool			 no_daemon;
	int			 rc;

	if ((rc = cli_connect(&home, false, &c, &no_daemon)) != 0) {
		if (no_daemon)
			rc = cli_no_daemon(&home);
		goto out;
	}
	rc = cli_exchange(c, proto_request_new("list"), cli_print_list, &l,
	    NULL);
	clm_client_close(c);
out:
	clm_home_free(&home);
	return rc;
}

/* Print the table of one app (every app when name is NULL). */
static int
cli_show(const char *name)
{
	return cli_show_apps(name, NULL);
}

/*
 * A reply that carries the app's workers (start, stop, restart...): print
 * them, so that no second request is needed; *shown says it was done.
 */
static int
cli_print_rows(const struct clm_reply *reply, void *arg)
{
	const struct clm_worker_info	*w;
	size_t				 i;

	if (reply->more || reply->nworkers == 0)
		return 0;
	render_workers(stdout, reply->workers, reply->nworkers, NULL,
	    render_use_color(stdout));
	/* A job that ran to its end (autorestart off): done, not failed. */
	for (i = 0; i < reply->nworkers; i++) {
		w = &reply->workers[i];
		if (strcmp(w->status, "stopped") == 0 && w->exit_code == 0 &&
		    w->signal == 0)
			printf("%s:%d ran to its end (exit code 0) and stays "
			    "stopped; its output: clm logs %s:%d --nostream\n",
			    w->name, w->id, w->name, w->id);
	}
	*(bool *)arg = true;
	return 0;
}

/* The verbs. */

static void
cli_print_lines(char **lines, const char *prefix)
{
	size_t	i;

	fflush(stdout);
	for (i = 0; lines != NULL && lines[i] != NULL; i++)
		fprintf(stderr, "clm: %s%s\n", prefix, lines[i]);
	clm_strv_free(lines);
}

/* The apps of an app file or an ecosystem file; its warnings and errors
 * printed. 0 or -1. */
static int
cli_load_file(const char *file, char *const *env, const struct cli_file *cf,
    struct clm_app_spec ***apps, size_t *n)
{
	struct ecosystem_opts	  eo;
	char			**errors = NULL, **warnings = NULL;
	int			  rc;

	if (ecosystem_is_file(file)) {
		eo.only = cf->only;
		eo.profile = cf->profile;
		eo.strict = cf->strict;
		rc = ecosystem_load(file, env, &eo, apps, n, &warnings,
		    &errors);
		cli_print_lines(warnings, "warning: ");
	} else
		rc = config_load_apps(file, env, cf->only, cf->profile, apps, n,
		    &errors);
	if (rc != 0)
		cli_print_lines(errors, "");
	return rc;
}

/*
 * An app of another user gets its file's env lines on a minimal base, not
 * clm's environment (see secenv.h): give it all its lines, those equal to
 * clm's own too, which the difference above dropped. The file is read
 * again without clm's environment to know them.
 */
static void
cli_declared_env(const char *file, const struct cli_file *cf,
    struct clm_app_spec **apps, size_t n)
{
	struct clm_app_spec	**decl = NULL;
	struct ecosystem_opts	  eo = { cf->only, cf->profile, false };
	char			 *none[] = { NULL }, **errors = NULL;
	size_t			  i, nd = 0;
	int			  rc;

	for (i = 0; i < n; i++) {
		if (apps[i]->user != NULL && !apps[i]->inherit_env)
			break;
	}
	if (i == n)
		return;
	if (ecosystem_is_file(file))
		rc = ecosystem_load(file, none, &eo, &decl, &nd, NULL, &errors);
	else
		rc = config_load_apps(file, none, cf->only, cf->profile, &decl,
		    &nd, &errors);
	if (rc == 0 && nd == n) {
		for (i = 0; i < n; i++) {
			if (apps[i]->user == NULL || apps[i]->inherit_env)
				continue;
			clm_strv_free(apps[i]->env);
			apps[i]->env = decl[i]->env;
			decl[i]->env = NULL;
		}
	}
	for (i = 0; i < nd; i++)
		clm_app_spec_free(decl[i]);
	free(decl);
	clm_strv_free(errors);
}

/* What Ctrl-C during a start says: the daemon goes on with it. */
static char	cli_interrupt_msg[512];

static void
cli_interrupted(int sig)
{
	ssize_t	r;

	r = write(STDERR_FILENO, cli_interrupt_msg, strlen(cli_interrupt_msg));
	(void)r;
	_exit(128 + sig);
}

/* name: an app's, or NULL with file: an app file's apps. */
static void
cli_on_interrupt(const char *name, const char *file)
{
	struct sigaction	sa;

	if (name != NULL || file == NULL)
		snprintf(cli_interrupt_msg, sizeof cli_interrupt_msg, "\nclm: "
		    "interrupted; the daemon keeps starting %s (clm list shows "
		    "it, clm stop %s stops it)\n", name ? name : "it", name ? name : "it");
	else
		snprintf(cli_interrupt_msg, sizeof cli_interrupt_msg, "\nclm: "
		    "interrupted; the daemon keeps starting the apps of %s (clm "
		    "list shows them, clm stop %s stops them)\n", file, file);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cli_interrupted;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/*
 * clm start|reload FILE.ini [--only NAME[,NAME]]: one request with every
 * app of the file; the daemon applies all or none. Nothing is sent when the
 * file has an error.
 */
static int
cli_apps_file(const struct cli_verb *v, int argc, char **argv, bool autostart)
{
	struct clm_request	 *req;
	struct clm_app_spec	**apps = NULL;
	struct clm_home		  home;
	struct clm_client	 *c;
	const char		 *file;
	struct cli_file		  cf;
	char			**names = NULL;
	char			**env = NULL;
	char			 *cause = NULL;
	size_t			  i, n = 0;
	bool			  no_daemon;
	int			  rc;

	memset(&home, 0, sizeof home);
	rc = cli_parse_file(v->options, argc, argv, &file, &cf, &cause);
	if (rc != 0)
		return cli_report(v, rc, cause);
	env = cli_environ();
	if (cli_load_file(file, env, &cf, &apps, &n) != 0) {
		rc = CLM_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < n; i++)
		clm_strv_push(&names, apps[i]->name);

	if ((rc = cli_connect(&home, autostart, &c, &no_daemon)) != 0) {
		if (no_daemon)
			rc = cli_no_daemon(&home);
		goto out;
	}
	req = proto_request_new(v->name);
	/* The environment they share goes once, each app's own on top:
	 * 500 apps do not carry 500 copies of it. */
	req->env = clm_strv_dup(env);
	for (i = 0; i < n; i++) {
		char	**own = clm_env_minus(apps[i]->env, env);

		clm_strv_free(apps[i]->env);
		apps[i]->env = own;
	}
	cli_declared_env(file, &cf, apps, n);
	req->apps = apps;
	req->napps = n;
	apps = NULL;
	n = 0;
	if (strcmp(v->name, "start") == 0)
		cli_on_interrupt(NULL, file);
	rc = cli_exchange(c, req, NULL, NULL, NULL);
	clm_client_close(c);
	if (rc == 0)
		rc = cli_show_apps(NULL, names);

out:
	for (i = 0; i < n; i++)
		clm_app_spec_free(apps[i]);
	free(apps);
	clm_strv_free(env);
	cli_file_free(&cf);
	clm_strv_free(names);
	clm_home_free(&home);
	return rc;
}

static int
cli_verb_start(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_app_spec	*spec;
	struct clm_request	*req;
	struct clm_home		 home;
	struct clm_client	*c = NULL;
	char			*cause = NULL, *cwd, *name = NULL;
	char			*noapp = NULL;
	bool			 name_only, no_daemon, shown = false;
	int			 rc;

	if (cli_names_app_file(v->options, argc, argv))
		return cli_apps_file(v, argc, argv, true);
	memset(&home, 0, sizeof home);
	if ((cwd = clm_getcwd(&cause)) == NULL)
		return cli_report(v, CLM_EXIT_FAIL, cause);
	spec = clm_app_spec_new();
	rc = clm_cli_parse_start(argc, argv, cwd, spec, &name_only, &cause);
	if (rc != 0) {
		rc = cli_report(v, rc, cause);
		goto out;
	}
	name = clm_strdup(spec->name);

	if ((rc = cli_connect(&home, !name_only, &c, &no_daemon)) != 0) {
		if (no_daemon)
			rc = cli_error("no app named '%s' and no script '%s' "
			    "in %s (no daemon is running; CLM_HOME=%s)", name,
			    name, cwd, home.dir);
		goto out;
	}
	req = proto_request_new("start");
	if (name_only) {
		req->target = clm_strdup(name);
		noapp = clm_asprintf("no app named '%s' (see clm list) and no "
		    "script '%s' in %s", name, name, cwd);
	} else {
		req->spec = spec;
		spec = NULL;
	}
	cli_on_interrupt(name, NULL);
	rc = cli_exchange(c, req, cli_print_rows, &shown, noapp);
	clm_client_close(c);
	if (rc == 0 && !shown)
		rc = cli_show(name);

out:
	clm_app_spec_free(spec);
	clm_home_free(&home);
	free(noapp);
	free(name);
	free(cwd);
	return rc;
}

/* Verbs that take one worker, NAME:ID, as well as an app. */
static bool
cli_takes_worker(const struct cli_verb *v)
{
	return strcmp(v->name, "stop") == 0 ||
	    strcmp(v->name, "restart") == 0 ||
	    strcmp(v->name, "reload") == 0 ||
	    strcmp(v->name, "describe") == 0 || strcmp(v->name, "logs") == 0;
}

/* Check an app name argument ("all" allowed; NAME:ID where a verb takes
 * a worker). */
static int
cli_check_target(const struct cli_verb *v, const char *target)
{
	char	*cause = NULL, *name;
	int	 slot, r;

	if (strcmp(target, "all") == 0)
		return 0;
	if ((r = clm_worker_target(target, &name, &slot, &cause)) == -1)
		return cli_report(v, CLM_EXIT_USAGE, cause);
	free(name);
	if (r == 1 && !cli_takes_worker(v))
		return cli_report(v, CLM_EXIT_USAGE, clm_asprintf("'%s' names "
		    "one worker; clm %s takes an app's name (one worker: clm "
		    "stop|restart|reload|describe|logs NAME:ID)", target,
		    v->name));
	if (r == 0 && clm_app_name_check(target, &cause) != 0)
		return cli_report(v, CLM_EXIT_USAGE, cause);
	return 0;
}

/*
 * What "no such app" says when a PM2 habit gave a number: clm's ids are
 * per app, so a number alone names nothing. NULL for other targets.
 */
static char *
cli_noapp(const char *target)
{
	const char	*p;

	for (p = target; *p != '\0' && isdigit((unsigned char)*p); p++)
		;
	if (p == target || *p != '\0')
		return NULL;
	return clm_asprintf("no app named '%s': clm names an app by its name "
	    "and one of its workers as NAME:ID, ids counting from 0 in each "
	    "app (clm logs web:1, clm restart web:0; see clm list)", target);
}

/* The app part of a target ("web" of "web:1"); the caller frees. */
static char *
cli_target_app(const char *target)
{
	const char	*colon = strrchr(target, ':');

	return colon != NULL ? clm_strndup(target, (size_t)(colon - target)) :
	    clm_strdup(target);
}

/* Send a request; no daemon is an error. */
static int
cli_simple(const struct cli_verb *v, struct clm_request *req, cli_reply_fn fn,
    void *arg)
{
	struct clm_home		 home;
	struct clm_client	*c;
	char			*noapp;
	bool			 no_daemon;
	int			 rc;

	if ((rc = cli_connect(&home, false, &c, &no_daemon)) != 0) {
		if (no_daemon)
			rc = cli_no_daemon(&home);
		proto_request_free(req);
		goto out;
	}
	noapp = req->target != NULL ? cli_noapp(req->target) : NULL;
	rc = cli_exchange(c, req, fn, arg, noapp);
	free(noapp);
	clm_client_close(c);
out:
	clm_home_free(&home);
	return rc;
}

/* What stop, restart, delete, reload NAME|all take. */
struct cli_target {
	bool			 update_env;
	struct clm_app_spec	*spec;		/* restart's options; NULL */
};

/* Options of stop, restart, delete, reload NAME|all. */
static int
cli_target_option(void *arg, const struct cli_option *o, const char *spelled,
    const char *value, char **cause)
{
	struct cli_target	*t = arg;

	switch (o->id) {
	case OPT_UPDATE_ENV:
		t->update_env = true;
		return 0;
	case OPT_APP:
		if (t->spec == NULL)
			t->spec = clm_app_spec_new();
		if (options_parse(options_by_flag(o->lng, strlen(o->lng)),
		    spelled, value, false, t->spec, cause) != 0)
			return CLM_EXIT_USAGE;
		return 0;
	case OPT_ONLY:
		*cause = clm_strdup("--only applies to an app file (clm reload "
		    "FILE.ini --only NAME)");
		return CLM_EXIT_USAGE;
	}
	return 0;
}

/* A list reply's app names, once each. */
static int
cli_take_names(const struct clm_reply *reply, void *arg)
{
	struct nametab	*names = arg;
	size_t		 i;

	for (i = 0; i < reply->nworkers; i++)
		nametab_put(names, reply->workers[i].name, names);
	return 0;
}

/* stop, restart, delete FILE: each app the file declares that clmd has,
 * in turn (none of them: an error). */
static int
cli_target_file(const struct cli_verb *v, const char *file, bool update_env)
{
	struct cli_file		  cf;
	struct clm_request	 *req;
	struct clm_app_spec	**apps = NULL;
	char			**env, **names = NULL;
	struct nametab		 *running;
	size_t			  i, n = 0;
	bool			  shown = false;
	int			  rc, one;

	memset(&cf, 0, sizeof cf);
	env = cli_environ();
	if (cli_load_file(file, env, &cf, &apps, &n) != 0) {
		clm_strv_free(env);
		return CLM_EXIT_FAIL;
	}
	running = nametab_new();
	rc = cli_simple(v, proto_request_new("list"), cli_take_names, running);
	for (i = 0; i < n; i++) {
		if (rc != 0 || nametab_get(running, apps[i]->name) == NULL) {
			clm_app_spec_free(apps[i]);
			continue;
		}
		clm_strv_push(&names, apps[i]->name);
		req = proto_request_new(v->name);
		req->target = clm_strdup(apps[i]->name);
		if (update_env) {
			req->update_env = true;
			req->env = clm_strv_dup(apps[i]->env);
		}
		shown = true;
		if ((one = cli_simple(v, req, NULL, NULL)) != 0)
			rc = one;
		clm_app_spec_free(apps[i]);
	}
	free(apps);
	clm_strv_free(env);
	if (rc == 0 && names == NULL)
		rc = cli_error("none of the apps of %s is known to clmd (see "
		    "clm list)", file);
	nametab_free(running);
	if (rc == 0 && v->show && shown)
		rc = cli_show_apps(NULL, names);
	clm_strv_free(names);
	return rc;
}

/* stop, restart, delete, reload: NAME|NAME:ID|all, or several. */
static int
cli_verb_target(const struct cli_verb *v, int argc, char **argv)
{
	bool			 shown = false, all = false;
	struct clm_request	*req;
	struct cli_args		 a;
	char			**targets = NULL, **apps = NULL, *app;
	struct cli_target	 t = { false, NULL };
	size_t			 i;
	int			 rc, r;

	if ((rc = cli_parse_verb(v, argc, argv, cli_target_option, &t,
	    &a)) != 0) {
		clm_app_spec_free(t.spec);
		return rc;
	}
	for (i = 0; i < a.npos; i++)
		clm_strv_push(&targets, a.pos[i]);
	cli_args_free(&a);
	if (targets[1] == NULL && clm_cli_is_app_file(targets[0]) &&
	    access(targets[0], F_OK) == 0) {
		rc = cli_target_file(v, targets[0], t.update_env);
		goto out;
	}
	for (i = 0; targets[i] != NULL; i++) {
		if ((rc = cli_check_target(v, targets[i])) != 0)
			goto out;
		all |= strcmp(targets[i], "all") == 0;
		app = cli_target_app(targets[i]);
		clm_strv_push(&apps, app);
		free(app);
	}

	/* One request per target, in order; the table once, at the end. */
	for (i = 0; targets[i] != NULL; i++) {
		req = proto_request_new(v->name);
		req->target = clm_strdup(targets[i]);
		if (t.update_env) {
			req->update_env = true;
			req->env = cli_environ();
		}
		if (t.spec != NULL) {
			/* Only its options apply; the wire wants a name and
			 * a script all the same. */
			req->spec = clm_app_spec_copy(t.spec);
			free(req->spec->name);
			req->spec->name = clm_strdup(apps[i]);
			free(req->spec->script);
			req->spec->script = clm_strdup("/");
		}
		r = cli_simple(v, req, v->show && targets[1] == NULL ?
		    cli_print_rows : NULL, &shown);
		if (r != 0 && rc == 0)
			rc = r;
	}
	if (v->show && !shown && (rc == 0 || targets[1] != NULL)) {
		r = cli_show_apps(NULL, all ? NULL : apps);
		if (r != 0 && rc == 0)
			rc = r;
	}
out:
	clm_strv_free(targets);
	clm_strv_free(apps);
	clm_app_spec_free(t.spec);
	return rc;
}

static int
cli_verb_reload(const struct cli_verb *v, int argc, char **argv)
{
	if (cli_names_app_file(v->options, argc, argv))
		return cli_apps_file(v, argc, argv, false);
	return cli_verb_target(v, argc, argv);
}

struct cli_startup {
	bool	user;
	bool	print;
};

static int
cli_startup_option(void *arg, const struct cli_option *o, const char *spelled,
    const char *value, char **cause)
{
	struct cli_startup	*st = arg;

	if (o->id == OPT_UNIT_USER)
		st->user = true;
	else if (o->id == OPT_PRINT)
		st->print = true;
	return 0;
}

static int
cli_verb_startup(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_startup	 st = { false, false };
	struct clm_home		 home;
	struct cli_args		 a;
	char			 exe[PATH_MAX], *slash, *unit, *cause = NULL;
	char			**said = NULL, *clmd, *home_dir;
	ssize_t			 n;
	size_t			 i;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, cli_startup_option, &st,
	    &a)) != 0)
		return rc;
	cli_args_free(&a);
	if (strcmp(v->name, "unstartup") == 0) {
		rc = startup_remove(st.user, &said, &cause);
		goto report;
	}
	/* The unit runs the clm and clmd that sit beside this clm. */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0 || (exe[n] = '\0', slash = strrchr(exe, '/')) == NULL)
		return cli_report(v, CLM_EXIT_FAIL,
		    clm_strdup("cannot find where clm is installed"));
	*slash = '\0';
	clmd = clm_asprintf("%s/clmd", exe);
	if (access(clmd, X_OK) == -1) {
		cause = clm_asprintf("%s is missing: install clm and clmd "
		    "together", clmd);
		free(clmd);
		return cli_report(v, CLM_EXIT_FAIL, cause);
	}
	free(clmd);
	if (clm_home_init(&home, false, &cause) == -1)
		return cli_report(v, CLM_EXIT_FAIL, cause);
	/* A user unit follows the user's home ("%h"), unless CLM_HOME is
	 * set; the system unit uses this clm's CLM_HOME. */
	home_dir = st.user && getenv("CLM_HOME") == NULL ?
	    clm_strdup("%h/.clm") : clm_strdup(home.dir);
	unit = startup_unit(st.user, exe, home_dir);
	free(home_dir);
	clm_home_free(&home);
	if (st.print) {
		fputs(unit, stdout);
		free(unit);
		return CLM_EXIT_OK;
	}
	rc = startup_install(st.user, unit, &said, &cause);
	free(unit);
report:
	for (i = 0; said != NULL && said[i] != NULL; i++)
		printf("%s\n", said[i]);
	clm_strv_free(said);
	if (rc == -1)
		return cli_report(v, CLM_EXIT_FAIL, cause);
	return CLM_EXIT_OK;
}

static int
cli_print_text(const struct clm_reply *reply, void *arg)
{
	if (reply->text != NULL)
		fputs(reply->text, stdout);
	return 0;
}

struct cli_logs {
	int		 lines;
	const char	*which;
	bool		 nostream;
	bool		 raw;
};

static int
cli_logs_option(void *arg, const struct cli_option *o, const char *spelled,
    const char *value, char **cause)
{
	struct cli_logs	*lg = arg;
	long long	 v;

	switch (o->id) {
	case OPT_LINES:
		if (clm_parse_int(value, 0, 10000, &v) != 0) {
			*cause = clm_asprintf("%s: '%s' is not a number of "
			    "lines from 0 to 10000", spelled, value);
			return CLM_EXIT_USAGE;
		}
		lg->lines = (int)v;
		break;
	case OPT_ERR:
	case OPT_OUT:
		if (lg->which != NULL) {
			*cause = clm_strdup("--err and --out: give one of them "
			    "(none: both)");
			return CLM_EXIT_USAGE;
		}
		lg->which = o->id == OPT_ERR ? "err" : "out";
		break;
	case OPT_NOSTREAM:
		lg->nostream = true;
		break;
	case OPT_RAW:
		lg->raw = true;
		break;
	}
	return 0;
}

static int
cli_verb_logs(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_logs		 lg = { LOGVIEW_LINES, NULL, false, false };
	struct clm_request	*req;
	struct cli_args		 a;
	struct clm_home		 home;
	struct clm_client	*c;
	bool			 no_daemon;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, cli_logs_option, &lg,
	    &a)) != 0)
		return rc;
	if (a.npos > 0 && (rc = cli_check_target(v, a.pos[0])) != 0) {
		cli_args_free(&a);
		return rc;
	}
	req = proto_request_new("logs");
	if (a.npos > 0)
		req->target = clm_strdup(a.pos[0]);
	cli_args_free(&a);
	req->lines = lg.lines;		/* 0: new lines only */
	req->which = clm_strdup(lg.which);
	req->follow = !lg.nostream;
	req->raw = lg.raw;
	if (lg.lines == 0 && lg.nostream) {
		proto_request_free(req);
		return CLM_EXIT_OK;
	}
	if ((rc = cli_connect(&home, false, &c, &no_daemon)) != 0) {
		if (no_daemon)	/* the files are still there */
			rc = logview_offline(&home, req);
		proto_request_free(req);
	} else {
		char	*noapp = req->target != NULL ? cli_noapp(req->target) :
		    NULL;

		rc = cli_exchange(c, req, NULL, NULL, noapp);
		free(noapp);
		clm_client_close(c);
	}
	clm_home_free(&home);
	return rc;
}

static int
cli_update_option(void *arg, const struct cli_option *o, const char *spelled,
    const char *value, char **cause)
{
	if (o->id == OPT_BINARY)
		*(const char **)arg = value;
	return 0;
}

static int
cli_verb_update(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_request	*req;
	struct cli_args		 a;
	const char		*binary = NULL;
	char			*abs;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, cli_update_option, &binary,
	    &a)) != 0)
		return rc;
	req = proto_request_new("update");
	if (binary != NULL) {
		if ((abs = realpath(binary, NULL)) == NULL) {
			cli_args_free(&a);
			proto_request_free(req);
			return cli_report(v, CLM_EXIT_FAIL, clm_asprintf(
			    "--binary %s: %s", binary, strerror(errno)));
		}
		req->target = abs;
	}
	cli_args_free(&a);
	return cli_simple(v, req, NULL, NULL);
}

static int
cli_verb_flush(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_request	*req;
	struct cli_args		 a;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, NULL, NULL, &a)) != 0)
		return rc;
	req = proto_request_new("flush");
	if (a.npos > 0)
		req->target = clm_strdup(a.pos[0]);
	cli_args_free(&a);
	return cli_simple(v, req, NULL, NULL);
}

static int
cli_verb_metrics(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_args	a;
	int		rc;

	if ((rc = cli_parse_verb(v, argc, argv, NULL, NULL, &a)) != 0)
		return rc;
	cli_args_free(&a);
	return cli_simple(v, proto_request_new(v->name), cli_print_text,
	    NULL);
}

static int
cli_verb_save(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_args	a;
	int		rc;

	if ((rc = cli_parse_verb(v, argc, argv, NULL, NULL, &a)) != 0)
		return rc;
	cli_args_free(&a);
	return cli_simple(v, proto_request_new("save"), NULL, NULL);
}

static int
cli_verb_resurrect(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_home		 home;
	struct clm_client	*c;
	struct cli_args		 a;
	bool			 no_daemon;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, NULL, NULL, &a)) != 0)
		return rc;
	cli_args_free(&a);
	if ((rc = cli_connect(&home, true, &c, &no_daemon)) != 0) {
		if (no_daemon)
			rc = cli_no_daemon(&home);
		goto out;
	}
	rc = cli_exchange(c, proto_request_new("resurrect"), NULL, NULL,
	    NULL);
	clm_client_close(c);
	/* One app that fails does not hide how the others are. */
	if (cli_show(NULL) != 0 && rc == 0)
		rc = CLM_EXIT_FAIL;
out:
	clm_home_free(&home);
	return rc;
}

static int
cli_verb_list(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_home		 home;
	struct clm_client	*c;
	struct cli_list		 l = { NULL, false, NULL };
	struct clm_request	*req;
	struct cli_args		 a;
	bool			 no_daemon;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, cli_json_option, &l.json,
	    &a)) != 0)
		return rc;
	cli_args_free(&a);

	rc = cli_connect(&home, false, &c, &no_daemon);
	if (rc != 0 && no_daemon && cli_dead_daemon()) {
		/* Only when none answers: clmd.state is there while a
		 * daemon runs too, and autostart asks more of CLM_HOME. */
		clm_home_free(&home);
		rc = cli_connect(&home, true, &c, &no_daemon);
	}
	if (rc != 0) {
		if (no_daemon) {
			/* No daemon, no apps: an empty list is the answer. */
			if (l.json)
				fputs("[]\n", stdout);
			else
				render_workers(stdout, NULL, 0, NULL,
				    render_use_color(stdout));
			rc = CLM_EXIT_OK;
		}
		goto out;
	}
	req = proto_request_new("list");
	req->json = l.json;
	rc = cli_exchange(c, req, cli_print_list, &l, NULL);
	clm_client_close(c);
out:
	clm_home_free(&home);
	return rc;
}

static int
cli_print_describe(const struct clm_reply *reply, void *arg)
{
	char	*json;

	if (*(bool *)arg) {
		json = proto_describe_json(reply->spec, reply->workers,
		    reply->nworkers);
		fputs(json, stdout);
		free(json);
	} else
		render_describe(stdout, reply->spec, reply->workers,
		    reply->nworkers, render_use_color(stdout));
	return 0;
}

static int
cli_print_event(const struct clm_reply *reply, void *arg)
{
	struct clm_event	 e;
	char			*line;

	if (reply->text == NULL)
		return 0;
	if (*(bool *)arg)
		printf("%s\n", reply->text);
	else if (proto_event_decode(reply->text, &e) == 0) {
		line = events_human(&e);
		printf("%s\n", line);
		free(line);
		proto_event_clear(&e);
	}
	fflush(stdout);
	return 0;
}

static int
cli_verb_monit(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_args	a;
	int		rc;

	if ((rc = cli_parse_verb(v, argc, argv, NULL, NULL, &a)) != 0)
		return rc;
	cli_args_free(&a);
	return monit_run();
}

static int
cli_verb_events(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_request	*req;
	struct cli_args		 a;
	bool			 json = false;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, cli_json_option, &json,
	    &a)) != 0)
		return rc;
	req = proto_request_new("events");
	if (a.npos > 0)
		req->target = clm_strdup(a.pos[0]);
	cli_args_free(&a);
	return cli_simple(v, req, cli_print_event, &json);
}

static int
cli_verb_describe(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_request	*req;
	struct cli_args		 a;
	bool			 json = false;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, cli_json_option, &json,
	    &a)) != 0)
		return rc;
	if ((rc = cli_check_target(v, a.pos[0])) != 0 ||
	    strcmp(a.pos[0], "all") == 0) {
		if (rc == 0)
			rc = cli_report(v, CLM_EXIT_USAGE,
			    clm_strdup("describe takes one app's name, not "
			    "all"));
		cli_args_free(&a);
		return rc;
	}
	req = proto_request_new("describe");
	req->target = clm_strdup(a.pos[0]);
	cli_args_free(&a);
	return cli_simple(v, req, cli_print_describe, &json);
}

static int
cli_print_pong(const struct clm_reply *reply, void *arg)
{
	printf("pong (clmd pid %d, version %s)\n", reply->daemon_pid,
	    reply->daemon_version != NULL ? reply->daemon_version : "?");
	return 0;
}

/* clm ping --ready: the /readyz line, exit 0 when ready, else 1. */
static int
cli_print_ready(const struct clm_reply *reply, void *arg)
{
	char	*json;
	bool	 ready;

	json = proto_readiness_json(reply->workers, reply->nworkers, &ready);
	fputs(json, ready ? stdout : stderr);
	free(json);
	return ready ? 0 : CLM_EXIT_FAIL;
}

static int
cli_ready_option(void *arg, const struct cli_option *o, const char *spelled,
    const char *value, char **cause)
{
	if (o->id == OPT_READY)
		*(bool *)arg = true;
	return 0;
}

static int
cli_verb_ping(const struct cli_verb *v, int argc, char **argv)
{
	struct cli_args	a;
	bool		ready = false;
	int		rc;

	if ((rc = cli_parse_verb(v, argc, argv, cli_ready_option, &ready,
	    &a)) != 0)
		return rc;
	cli_args_free(&a);
	if (ready)
		return cli_simple(v, proto_request_new("list"), cli_print_ready,
		    NULL);
	return cli_simple(v, proto_request_new("ping"), cli_print_pong, NULL);
}

static int
cli_take_pid(const struct clm_reply *reply, void *arg)
{
	if (reply->daemon_pid > 0)
		*(pid_t *)arg = reply->daemon_pid;
	return 0;
}

/* The first line of the pid file, or 0. */
static pid_t
cli_read_pidfile(const char *path)
{
	FILE		*f;
	long long	 v;
	char		 line[64];

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof line, f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (clm_parse_int(line, 1, INT_MAX, &v) != 0)
		return 0;
	return (pid_t)v;
}

/* Whether pid is gone (no such process, or a zombie nobody reaped yet). */
static bool
cli_pid_gone(pid_t pid)
{
	char	 path[64], buf[256], *paren;
	FILE	*f;
	bool	 zombie = false;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof buf, f) != NULL &&
	    (paren = strrchr(buf, ')')) != NULL)
		zombie = paren[1] == ' ' && paren[2] == 'Z';
	fclose(f);
	return zombie;
}

static int
cli_verb_kill(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_home		 home;
	struct clm_client	*c;
	struct cli_args		 a;
	uint64_t		 deadline;
	pid_t			 pid = 0;
	bool			 no_daemon;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, NULL, NULL, &a)) != 0)
		return rc;
	cli_args_free(&a);

	if ((rc = cli_connect(&home, false, &c, &no_daemon)) != 0) {
		if (no_daemon) {
			printf("no daemon is running (CLM_HOME=%s)\n",
			    home.dir);
			rc = CLM_EXIT_OK;
		}
		goto out;
	}
	pid = cli_read_pidfile(home.pidfile);
	rc = cli_exchange(c, proto_request_new("kill"), cli_take_pid, &pid,
	    NULL);
	clm_client_close(c);
	if (rc != 0)
		goto out;

	if (pid > 0) {
		deadline = clm_now_ms() + CLI_KILL_WAIT_MS;
		while (!cli_pid_gone(pid)) {
			if (clm_now_ms() >= deadline) {
				rc = cli_error("clmd (pid %d) is still running "
				    "after %d s (see %s)", (int)pid,
				    CLI_KILL_WAIT_MS / 1000, home.logfile);
				goto out;
			}
			usleep(CLI_KILL_POLL_MS * 1000);
		}
	}
	printf("clmd stopped\n");
out:
	clm_home_free(&home);
	return rc;
}

/* N, max, +N or -N. */
static int
cli_parse_count(const char *s, long long *count, bool *relative)
{
	long long	v;

	*relative = false;
	if (strcasecmp(s, "max") == 0) {
		*count = 0;
		return 0;
	}
	if (s[0] == '+' || s[0] == '-') {
		if (!isdigit((unsigned char)s[1]) ||
		    clm_parse_int(s + 1, 0, CLM_INSTANCES_LIMIT, &v) != 0)
			return -1;
		*relative = true;
		*count = s[0] == '-' ? -v : v;
		return 0;
	}
	if (clm_parse_int(s, 0, CLM_INSTANCES_LIMIT, &v) != 0)
		return -1;
	*count = v;
	return 0;
}

static int
cli_verb_scale(const struct cli_verb *v, int argc, char **argv)
{
	struct clm_request	*req;
	struct cli_args		 a;
	long long		 count;
	char			*name;
	bool			 relative;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, NULL, NULL, &a)) != 0)
		return rc;
	if (strcmp(a.pos[0], "all") == 0) {
		cli_args_free(&a);
		return cli_report(v, CLM_EXIT_USAGE, clm_strdup("scale takes "
		    "one app's name, not all"));
	}
	if ((rc = cli_check_target(v, a.pos[0])) != 0) {
		cli_args_free(&a);
		return rc;
	}
	if (cli_parse_count(a.pos[1], &count, &relative) != 0) {
		rc = cli_report(v, CLM_EXIT_USAGE, clm_asprintf("'%s' is not a "
		    "number of workers (use N, max, +N or -N)", a.pos[1]));
		cli_args_free(&a);
		return rc;
	}
	/* 0 is max on the wire (as -i 0): said as a number, it is a
	 * surprise either way. */
	if (count == 0 && !relative && strcasecmp(a.pos[1], "max") != 0) {
		rc = cli_report(v, CLM_EXIT_USAGE, clm_asprintf("scale %s 0: an "
		    "app has at least one worker (clm stop %s stops them all; "
		    "clm scale %s max runs one per core)", a.pos[0], a.pos[0],
		    a.pos[0]));
		cli_args_free(&a);
		return rc;
	}
	name = clm_strdup(a.pos[0]);
	cli_args_free(&a);

	req = proto_request_new("scale");
	req->target = clm_strdup(name);
	req->count = count;
	req->relative = relative;
	rc = cli_simple(v, req, NULL, NULL);
	if (rc == 0)
		rc = cli_show(name);
	free(name);
	return rc;
}

/* Write text to path through a temporary file and a rename. */
static int
cli_write_file(const char *path, const char *text, char **cause)
{
	char	*tmp;
	size_t	 len = strlen(text);
	FILE	*f;
	int	 fd;

	tmp = clm_asprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		*cause = clm_asprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		free(tmp);
		return -1;
	}
	if (fwrite(text, 1, len, f) != len || fflush(f) != 0 ||
	    fsync(fd) != 0) {
		*cause = clm_asprintf("%s: %s", path, strerror(errno));
		fclose(f);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		*cause = clm_asprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static int
cli_verb_import(const struct cli_verb *v, int argc, char **argv)
{
	struct ecosystem_opts	  eo;
	struct cli_file		  cf;
	const char		 *file;
	char			**errors = NULL, **warnings = NULL;
	char			 *cause = NULL, *dir, *text = NULL;
	int			  rc;

	rc = cli_parse_file(cli_import_options, argc, argv, &file, &cf, &cause);
	if (rc != 0)
		return cli_report(v, rc, cause);
	dir = cf.output != NULL ? config_folder(cf.output, &cause) :
	    clm_getcwd(&cause);
	if (dir == NULL) {
		cli_file_free(&cf);
		return cli_report(v, CLM_EXIT_FAIL, cause);
	}
	eo.only = cf.only;
	eo.profile = NULL;
	eo.strict = cf.strict;
	rc = ecosystem_import(file, dir, &eo, &text, &warnings, &errors);
	cli_print_lines(warnings, "warning: ");
	if (rc != 0) {
		cli_print_lines(errors, "");
		rc = CLM_EXIT_FAIL;
	} else if (cf.output == NULL) {
		fputs(text, stdout);
		rc = CLM_EXIT_OK;
	} else if (cli_write_file(cf.output, text, &cause) != 0)
		rc = cli_report(v, CLM_EXIT_FAIL, cause);
	else
		rc = CLM_EXIT_OK;
	free(text);
	free(dir);
	cli_file_free(&cf);
	return rc;
}

static int
cli_verb_help(const struct cli_verb *v, int argc, char **argv)
{
	const struct cli_verb	*which;
	struct cli_args		 a;
	char			*cause = NULL;
	int			 rc;

	if ((rc = cli_parse_verb(v, argc, argv, NULL, NULL, &a)) != 0)
		return rc;
	if (a.npos == 0) {
		cli_args_free(&a);
		cli_print_help(stdout);
		return CLM_EXIT_OK;
	}
	which = cli_find_verb(a.pos[0], &cause);
	cli_args_free(&a);
	if (which == NULL)
		return cli_report(NULL, CLM_EXIT_USAGE, cause);
	cli_print_verb_help(which);
	return CLM_EXIT_OK;
}

static int
cli_finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "clm: cannot write the output: %s\n",
		    strerror(errno));
		return rc == CLM_EXIT_OK ? CLM_EXIT_FAIL : rc;
	}
	return rc;
}

int
clm_cli_main(int argc, char **argv)
{
	const struct cli_verb	*v;
	struct cli_args		 a;
	const char		*word;
	char			*cause = NULL;

	if (argc < 2) {
		cli_print_help(stderr);
		return CLM_EXIT_USAGE;
	}
	word = argv[1];
	if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
		cli_print_help(stdout);
		return cli_finish(CLM_EXIT_OK);
	}
	if (strcmp(word, "--version") == 0 || strcmp(word, "-V") == 0 ||
	    strcmp(word, "-v") == 0) {
		printf("clm %s (protocol %d)\n", CLM_VERSION,
		    CLM_PROTOCOL_VERSION);
		return cli_finish(CLM_EXIT_OK);
	}
	if (strncmp(word, "--man-page=", 11) == 0)	/* the build's */
		return cli_finish(clm_clidoc_man(word + 11));
	if (strcmp(word, "--completion=bash") == 0)
		return cli_finish(clm_clidoc_bash());
	if (word[0] == '-') {
		return cli_report(NULL, CLM_EXIT_USAGE,
		    clm_asprintf("unknown option '%s'", word));
	}
	if ((v = cli_find_verb(word, &cause)) == NULL)
		return cli_report(NULL, CLM_EXIT_USAGE, cause);

	/* VERB --help wins over whatever else is wrong after it. */
	if (cli_parse_args(v->options, true, argc - 2, argv + 2, NULL, NULL,
	    &a, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	if (a.help) {
		cli_args_free(&a);
		cli_print_verb_help(v);
		return cli_finish(CLM_EXIT_OK);
	}
	cli_args_free(&a);
	return cli_finish(v->exec(v, argc - 2, argv + 2));
}
