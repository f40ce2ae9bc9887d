/*
 * PM2's ecosystem files: read (Node for .js, proto.c for JSON, libyaml for
 * YAML) into a neutral tree, mapped key by key to clm's options, checked
 * through the option table as an app file's keys are. See ecosystem.h.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "clm/config.h"
#include "clm/dotenv.h"
#include "clm/ecosystem.h"
#include "clm/options.h"
#include "clm/proto.h"
#include "clm/tree.h"

#define ECO_NODE_TIMEOUT_MS	10000
#define ECO_OUT_MAX		CLM_MAX_FRAME
#define ECO_ERR_MAX		(64 * 1024)
#define ECO_ERR_LINES		12
#define ECO_DEPTH		64

/* What happens to a PM2 key. */
enum eco_how {
	ECO_OPTION,	/* a row of options_table: clm */
	ECO_ARGS,	/* ... of type args: a string, or an array of words */
	ECO_NAME,
	ECO_ENV,
	ECO_DATEFMT,	/* moment.js's format, as strftime's */
	ECO_WATCH,	/* watch: true (cwd), false, a path or paths */
	ECO_ACCEPT,	/* understood; nothing to set in clm (why) */
	ECO_NO,		/* not carried over on purpose (why) */
};

static const struct eco_key {
	const char	*pm2;
	enum eco_how	 how;
	const char	*clm;	/* ECO_OPTION, ECO_ARGS: the option's key */
	const char	*why;
} eco_keys[] = {
	{ "name", ECO_NAME, NULL, NULL },
	{ "script", ECO_OPTION, "script", NULL },
	{ "args", ECO_ARGS, "args", NULL },
	{ "interpreter", ECO_OPTION, "interpreter", NULL },
	{ "exec_interpreter", ECO_OPTION, "interpreter", NULL },
	{ "interpreter_args", ECO_ARGS, "interpreter_args", NULL },
	{ "node_args", ECO_ARGS, "interpreter_args", NULL },
	{ "cwd", ECO_OPTION, "cwd", NULL },
	{ "instances", ECO_OPTION, "instances", NULL },
	{ "exec_mode", ECO_ACCEPT, NULL, "every clm app may run several "
	  "instances (instances = N), whatever its mode" },
	{ "env", ECO_ENV, NULL, NULL },
	{ "max_memory_restart", ECO_OPTION, "max_memory_restart", NULL },
	{ "kill_timeout", ECO_OPTION, "kill_timeout", NULL },
	{ "listen_timeout", ECO_OPTION, "listen_timeout", NULL },
	{ "wait_ready", ECO_ACCEPT, NULL, "clm always waits for a worker to "
	  "be ready: process.send('ready'), READY=1, or a listen()" },
	{ "min_uptime", ECO_OPTION, "min_uptime", NULL },
	{ "max_restarts", ECO_OPTION, "max_restarts", NULL },
	{ "autorestart", ECO_OPTION, "autorestart", NULL },
	{ "restart_delay", ECO_OPTION, "restart_delay", NULL },
	{ "exp_backoff_restart_delay", ECO_NO, NULL, "clm's restarts always "
	  "back off exponentially, from backoff_initial of clm.ini (100 ms) "
	  "to backoff_max" },
	{ "merge_logs", ECO_OPTION, "merge_logs", NULL },
	{ "combine_logs", ECO_OPTION, "merge_logs", NULL },
	{ "time", ECO_OPTION, "time", NULL },
	{ "log_date_format", ECO_DATEFMT, "log_date_format", NULL },
	{ "out_file", ECO_OPTION, "out_file", NULL },
	{ "output", ECO_OPTION, "out_file", NULL },
	{ "error_file", ECO_OPTION, "error_file", NULL },
	{ "err_file", ECO_OPTION, "error_file", NULL },
	{ "error", ECO_OPTION, "error_file", NULL },
	{ "log_file", ECO_NO, NULL, "clm keeps an out and an err log per "
	  "worker (merge_logs: per app), no combined one" },
	{ "log", ECO_NO, NULL, "clm keeps an out and an err log per worker "
	  "(merge_logs: per app), no combined one" },
	{ "instance_var", ECO_OPTION, "instance_var", NULL },
	{ "increment_var", ECO_OPTION, "increment_var", NULL },
	{ "uid", ECO_OPTION, "user", NULL },
	{ "gid", ECO_OPTION, "group", NULL },
	{ "stop_exit_codes", ECO_OPTION, "stop_exit_codes", NULL },
	{ "cron_restart", ECO_OPTION, "cron_restart", NULL },
	{ "watch", ECO_WATCH, "watch", NULL },
	{ "ignore_watch", ECO_OPTION, "ignore_watch", NULL },
	{ "watch_delay", ECO_OPTION, "watch_delay", NULL },
	{ "pid_file", ECO_NO, NULL, "clm keeps no pid files (clm list --json "
	  "has the pids)" },
};

/* One key of an app, as an app file writes it. */
struct eco_kv {
	char	*key;		/* the option's key */
	char	*value;		/* as a user writes it */
	char	*from;		/* the PM2 key */
};

struct eco_profile {
	char	 *name;		/* "production" of env_production */
	char	**env;		/* KEY=VALUE */
};

struct eco_app {
	char			*name;
	struct eco_kv		*kv;
	size_t			 nkv;
	char		       **env;
	struct eco_profile	*prof;
	size_t			 nprof;
	char		       **notes;	/* "key = value: why" for import */
};

struct eco_file {
	const char		*path;	/* as the user wrote it */
	char			*folder;
	struct eco_app		*apps;
	size_t			 n;
	char		       **errors;
	char		       **warnings;
	bool			 strict;
};

static void CLM_PRINTF(2, 3)
eco_error(struct eco_file *f, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *s;

	va_start(ap, fmt);
	msg = clm_vasprintf(fmt, ap);
	va_end(ap);
	s = clm_asprintf("%s: %s", f->path, msg);
	clm_strv_push(&f->errors, s);
	free(s);
	free(msg);
}

bool
ecosystem_is_file(const char *path)
{
	static const char *const ends[] = {
		".json", ".yaml", ".yml", ".config.js", ".config.cjs",
	};
	size_t	len = strlen(path), i, n;

	for (i = 0; i < CLM_ARRAY_SIZE(ends); i++) {
		n = strlen(ends[i]);
		if (len > n && strcasecmp(path + len - n, ends[i]) == 0)
			return true;
	}
	return false;
}

static bool
eco_ends(const char *path, const char *end)
{
	size_t	len = strlen(path), n = strlen(end);

	return len > n && strcasecmp(path + len - n, end) == 0;
}

/* ------------------------------------------------------------------ */
/* YAML (libyaml) into a tree. */

static struct clm_tree *
eco_yaml_scalar(const yaml_node_t *node)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	static const char *const nul[] = { "null", "Null", "NULL", "~", "" };
	const char	*s = (const char *)node->data.scalar.value;
	char		*end;
	size_t		 i;

	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return clm_tree_new(CLM_TREE_STRING, s);
	for (i = 0; i < CLM_ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return clm_tree_new(CLM_TREE_BOOL, "true");
		if (strcmp(s, no[i]) == 0)
			return clm_tree_new(CLM_TREE_BOOL, "false");
	}
	for (i = 0; i < CLM_ARRAY_SIZE(nul); i++) {
		if (strcmp(s, nul[i]) == 0)
			return clm_tree_new(CLM_TREE_NULL, NULL);
	}
	if ((*s >= '0' && *s <= '9') || ((*s == '-' || *s == '+') &&
	    s[1] >= '0' && s[1] <= '9')) {
		errno = 0;
		(void)strtod(s, &end);
		if (*end == '\0' && errno == 0)
			return clm_tree_new(CLM_TREE_NUMBER, *s == '+' ?
			    s + 1 : s);
	}
	return clm_tree_new(CLM_TREE_STRING, s);
}

static struct clm_tree *
eco_yaml_node(yaml_document_t *doc, yaml_node_t *node, int depth,
    char **cause)
{
	struct clm_tree		*t, *sub;
	yaml_node_item_t	*item;
	yaml_node_pair_t	*pair;
	yaml_node_t		*key;

	if (node == NULL)
		return clm_tree_new(CLM_TREE_NULL, NULL);
	if (depth >= ECO_DEPTH) {
		*cause = clm_asprintf("nested more than %d levels deep (or an "
		    "alias refers to itself)", ECO_DEPTH);
		return NULL;
	}
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return eco_yaml_scalar(node);
	case YAML_SEQUENCE_NODE:
		t = clm_tree_new(CLM_TREE_ARRAY, NULL);
		for (item = node->data.sequence.items.start;
		    item < node->data.sequence.items.top; item++) {
			sub = eco_yaml_node(doc, yaml_document_get_node(doc,
			    *item), depth + 1, cause);
			if (sub == NULL) {
				clm_tree_free(t);
				return NULL;
			}
			clm_tree_add(t, sub);
		}
		return t;
	case YAML_MAPPING_NODE:
		t = clm_tree_new(CLM_TREE_OBJECT, NULL);
		for (pair = node->data.mapping.pairs.start;
		    pair < node->data.mapping.pairs.top; pair++) {
			key = yaml_document_get_node(doc, pair->key);
			if (key == NULL || key->type != YAML_SCALAR_NODE) {
				*cause = clm_asprintf("line %zu: a key that is "
				    "not a plain word", node->start_mark.line +
				    1);
				clm_tree_free(t);
				return NULL;
			}
			sub = eco_yaml_node(doc, yaml_document_get_node(doc,
			    pair->value), depth + 1, cause);
			if (sub == NULL) {
				clm_tree_free(t);
				return NULL;
			}
			sub->key = clm_strdup((const char *)
			    key->data.scalar.value);
			clm_tree_add(t, sub);
		}
		return t;
	default:
		return clm_tree_new(CLM_TREE_NULL, NULL);
	}
}

static struct clm_tree *
eco_yaml(const char *buf, size_t len, char **cause)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc;
	struct clm_tree	*t = NULL;

	if (!yaml_parser_initialize(&parser))
		abort();
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		*cause = clm_asprintf("line %zu, column %zu: %s%s%s (is it "
		    "YAML?)", parser.problem_mark.line + 1,
		    parser.problem_mark.column + 1,
		    parser.problem != NULL ? parser.problem : "not valid YAML",
		    parser.context != NULL ? " " : "",
		    parser.context != NULL ? parser.context : "");
		yaml_parser_delete(&parser);
		return NULL;
	}
	t = eco_yaml_node(&doc, yaml_document_get_root_node(&doc), 0, cause);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return t;
}

/* ------------------------------------------------------------------ */
/* JavaScript: Node evaluates the file and prints JSON on fd 3. */

/* Node 18 and later. Functions (of the export, or values) are called;
 * console output goes to stderr, which is shown only on failure. It
 * exits once the JSON is written: a timer or a socket the file leaves
 * open must not hold it. */
static const char eco_node_script[] =
    "'use strict';"
    "const fs = require('fs');"
    "let m = require(require('path').resolve(process.argv[1]));"
    "if (typeof m === 'function') m = m();"
    "const s = JSON.stringify(m === undefined ? null : m, (k, v) =>"
    " typeof v === 'function' ? v() : v);"
    "const b = Buffer.from(s === undefined ? 'null' : s);"
    "for (let o = 0; o < b.length; ) o += fs.writeSync(3, b, o);"
    "process.exit(0);";

/* Read what fds[] say until both close, the child ends or time runs out.
 * 0, or -1 on timeout. */
static int
eco_collect(int outfd, int errfd, char **out, size_t *outlen, char **err,
    size_t *errlen)
{
	struct pollfd	 p[2];
	uint64_t	 deadline = clm_now_ms() + ECO_NODE_TIMEOUT_MS, now;
	size_t		 outcap = 65536, errcap = 4096;
	ssize_t		 n;
	char		 buf[16384];
	int		 i, open = 2;

	*out = clm_malloc(outcap + 1);
	*err = clm_malloc(errcap + 1);
	*outlen = *errlen = 0;
	p[0].fd = outfd;
	p[1].fd = errfd;
	p[0].events = p[1].events = POLLIN;
	while (open > 0) {
		now = clm_now_ms();
		if (now >= deadline)
			return -1;
		if (poll(p, 2, (int)(deadline - now)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd == -1 || p[i].revents == 0)
				continue;
			n = read(p[i].fd, buf, sizeof buf);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				open--;
				continue;
			}
			if (i == 0 && *outlen + (size_t)n <= ECO_OUT_MAX) {
				while (*outlen + (size_t)n > outcap)
					outcap *= 2;
				*out = clm_realloc(*out, outcap + 1);
				memcpy(*out + *outlen, buf, (size_t)n);
				*outlen += (size_t)n;
			} else if (i == 1 && *errlen < ECO_ERR_MAX) {
				while (*errlen + (size_t)n > errcap)
					errcap *= 2;
				*err = clm_realloc(*err, errcap + 1);
				memcpy(*err + *errlen, buf, (size_t)n);
				*errlen += (size_t)n;
			}
		}
	}
	(*out)[*outlen] = '\0';
	(*err)[*errlen] = '\0';
	return 0;
}

/* Node's message, without its stack: the lines before the first "    at ". */
static void
eco_node_message(struct eco_file *f, const char *err)
{
	const char	*s, *nl;
	char		*line;
	int		 n = 0;

	for (s = err; *s != '\0' && n < ECO_ERR_LINES; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		if (strncmp(s, "    at ", 7) == 0)
			break;
		if (nl > s && strncmp(s, "Node.js v", 9) != 0) {
			line = clm_asprintf("  %.*s", (int)(nl - s), s);
			clm_strv_push(&f->errors, line);
			free(line);
			n++;
		}
		if (*nl == '\0')
			break;
	}
}

static struct clm_tree *
eco_node(struct eco_file *f, const char *abspath)
{
	struct clm_tree	*t = NULL;
	const char	*path_env = getenv("PATH");
	char		*node, *out = NULL, *err = NULL, *cause = NULL;
	size_t		 outlen, errlen;
	pid_t		 pid;
	int		 outp[2], errp[2], devnull, status, timed_out;

	node = clm_app_find_program("node", f->folder, path_env);
	if (node == NULL) {
		eco_error(f, "Node.js is needed to read a .js ecosystem file, "
		    "and there is no node on PATH (install Node.js, e.g. "
		    "apt-get install nodejs; or write the apps as an "
		    "ecosystem.json or .yaml file, or convert this one with "
		    "clm import where Node is installed)");
		return NULL;
	}
	if (pipe2(outp, O_CLOEXEC) != 0) {
		eco_error(f, "pipe: %s", strerror(errno));
		free(node);
		return NULL;
	}
	if (pipe2(errp, O_CLOEXEC) != 0) {
		eco_error(f, "pipe: %s", strerror(errno));
		close(outp[0]);
		close(outp[1]);
		free(node);
		return NULL;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		eco_error(f, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(errp[1], 1) == -1 || dup2(errp[1], 2) == -1 ||
		    dup2(outp[1], 3) == -1 || chdir(f->folder) != 0)
			_exit(127);
		execl(node, "node", "-e", eco_node_script, abspath,
		    (char *)NULL);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	timed_out = eco_collect(outp[0], errp[0], &out, &outlen, &err,
	    &errlen);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		/* nothing */;
	if (timed_out) {
		eco_error(f, "Node did not finish evaluating it within %d s "
		    "(does it wait for something?)", ECO_NODE_TIMEOUT_MS / 1000);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		eco_error(f, "Node could not evaluate it (%s %d); it said:",
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		eco_node_message(f, err);
		goto out;
	}
	if (proto_tree_decode(out, outlen, &t, &cause) != 0) {
		eco_error(f, "what Node made of it is not JSON: %s", cause);
		free(cause);
	}
out:
	close(outp[0]);
	close(errp[0]);
	if (outp[1] != -1)
		close(outp[1]);
	if (errp[1] != -1)
		close(errp[1]);
	free(out);
	free(err);
	free(node);
	return t;
}

/* The file as a tree, by its extension. */
static struct clm_tree *
eco_read(struct eco_file *f)
{
	struct clm_tree	*t = NULL;
	char		*buf, *cause = NULL, *abspath, *base;
	size_t		 len;

	if (eco_ends(f->path, ".js") || eco_ends(f->path, ".cjs")) {
		base = strrchr(f->path, '/');
		abspath = clm_path_join(f->folder, base != NULL ? base + 1 :
		    f->path);
		if (access(abspath, R_OK) != 0)
			eco_error(f, "cannot read: %s", strerror(errno));
		else
			t = eco_node(f, abspath);
		free(abspath);
		return t;
	}
	if (config_read_file(f->path, &buf, &len, &cause) != 0) {
		eco_error(f, "%s", cause);
		free(cause);
		return NULL;
	}
	if (eco_ends(f->path, ".json")) {
		if (proto_tree_decode(buf, len, &t, &cause) != 0)
			eco_error(f, "%s", cause);
	} else if ((t = eco_yaml(buf, len, &cause)) == NULL)
		eco_error(f, "%s", cause);
	free(cause);
	free(buf);
	return t;
}

/* ------------------------------------------------------------------ */
/* Mapping an app's keys. */

static void
eco_app_clear(struct eco_app *a)
{
	size_t	i;

	free(a->name);
	for (i = 0; i < a->nkv; i++) {
		free(a->kv[i].key);
		free(a->kv[i].value);
		free(a->kv[i].from);
	}
	free(a->kv);
	clm_strv_free(a->env);
	for (i = 0; i < a->nprof; i++) {
		free(a->prof[i].name);
		clm_strv_free(a->prof[i].env);
	}
	free(a->prof);
	clm_strv_free(a->notes);
}

static void
eco_kv(struct eco_app *a, const char *key, const char *value,
    const char *from)
{
	a->kv = clm_realloc(a->kv, (a->nkv + 1) * sizeof *a->kv);
	a->kv[a->nkv].key = clm_strdup(key);
	a->kv[a->nkv].value = clm_strdup(value);
	a->kv[a->nkv].from = clm_strdup(from);
	a->nkv++;
}

static bool
eco_scalar(const struct clm_tree *t)
{
	return t->type == CLM_TREE_STRING || t->type == CLM_TREE_NUMBER ||
	    t->type == CLM_TREE_BOOL;
}

/* The app's label in messages: "app 'web'", "app #2". */
static char *
eco_label(const char *name, size_t index)
{
	return name != NULL ? clm_asprintf("app '%s'", name) :
	    clm_asprintf("app #%zu", index + 1);
}

/* A key's value shown in a comment or warning. */
static char *
eco_shown(const struct clm_tree *t)
{
	if (eco_scalar(t))
		return clm_shown(t->text);
	return clm_strdup(t->type == CLM_TREE_ARRAY ? "[...]" :
	    t->type == CLM_TREE_OBJECT ? "{...}" : "null");
}

/* env or env_NAME: an object of scalars. */
static char **
eco_env(struct eco_file *f, const char *label, const struct clm_tree *t)
{
	char	**env = clm_calloc(1, sizeof *env), *kv;
	size_t	  i;

	if (t->type != CLM_TREE_OBJECT) {
		eco_error(f, "%s: %s must be an object of NAME: value, not %s",
		    label, t->key, clm_tree_type_name(t->type));
		return env;
	}
	for (i = 0; i < t->n; i++) {
		if (t->items[i]->type == CLM_TREE_NULL)
			continue;
		if (!eco_scalar(t->items[i])) {
			eco_error(f, "%s: %s.%s must be a string or a number, "
			    "not %s", label, t->key, t->items[i]->key,
			    clm_tree_type_name(t->items[i]->type));
			continue;
		}
		if (*t->items[i]->key == '\0' ||
		    strchr(t->items[i]->key, '=') != NULL) {
			eco_error(f, "%s: %s: '%s' is not a variable name",
			    label, t->key, t->items[i]->key);
			continue;
		}
		kv = clm_asprintf("%s=%s", t->items[i]->key,
		    t->items[i]->text);
		clm_strv_push(&env, kv);
		free(kv);
	}
	return env;
}

/* args: a string as it is (split like a shell), an array word by word. */
static void
eco_args(struct eco_file *f, struct eco_app *a, const char *label,
    const char *key, const struct clm_tree *t)
{
	char	*s = NULL, *q, *tmp;
	size_t	 i;

	if (eco_scalar(t)) {
		eco_kv(a, key, t->text, t->key);
		return;
	}
	if (t->type != CLM_TREE_ARRAY) {
		eco_error(f, "%s: %s must be a string or an array of strings, "
		    "not %s", label, t->key, clm_tree_type_name(t->type));
		return;
	}
	for (i = 0; i < t->n; i++) {
		if (!eco_scalar(t->items[i])) {
			eco_error(f, "%s: %s[%zu] must be a string, not %s",
			    label, t->key, i, clm_tree_type_name(
			    t->items[i]->type));
			free(s);
			return;
		}
		q = options_quote(t->items[i]->text);
		tmp = s == NULL ? clm_strdup(q) : clm_asprintf("%s %s", s, q);
		free(q);
		free(s);
		s = tmp;
	}
	eco_kv(a, key, s != NULL ? s : "", t->key);
	free(s);
}

/* An option's value: a scalar, or (lists) an array of them. */
static void
eco_option(struct eco_file *f, struct eco_app *a, const char *label,
    const struct clm_option *o, const struct clm_tree *t)
{
	size_t	i;

	if (eco_scalar(t)) {
		eco_kv(a, o->key, t->text, t->key);
		return;
	}
	if (t->type == CLM_TREE_ARRAY && o->type == CLM_OPT_LIST) {
		for (i = 0; i < t->n; i++) {
			if (eco_scalar(t->items[i]))
				eco_kv(a, o->key, t->items[i]->text, t->key);
			else
				eco_error(f, "%s: %s[%zu] must be a string, "
				    "not %s", label, t->key, i,
				    clm_tree_type_name(t->items[i]->type));
		}
		return;
	}
	eco_error(f, "%s: %s must be a string or a number, not %s", label,
	    t->key, clm_tree_type_name(t->type));
}

/* A key clm does not take: a note for import, a warning (an error when
 * strict). */
static void
eco_skip(struct eco_file *f, struct eco_app *a, const char *label,
    const struct clm_tree *t, const char *why, bool report)
{
	char	*shown, *note;

	shown = eco_shown(t);
	note = clm_asprintf("%s = %s: %s", t->key, shown, why);
	clm_strv_push(&a->notes, note);
	free(note);
	if (report) {
		note = clm_asprintf("%s: %s: %s: %s", f->path, label, t->key,
		    why);
		clm_strv_push(f->strict ? &f->errors : &f->warnings, note);
		free(note);
	}
	free(shown);
}

/* Every PM2 key and clm key a file may use, for "did you mean". */
static const char *const *
eco_known(void)
{
	static const char	*known[CLM_ARRAY_SIZE(eco_keys) +
				    CLM_OPTIONS_MAX + 1];
	size_t			 i, n = 0;

	if (known[0] != NULL)
		return known;
	for (i = 0; i < CLM_ARRAY_SIZE(eco_keys); i++)
		known[n++] = eco_keys[i].pm2;
	for (i = 0; i < options_count; i++) {
		if ((options_table[i].flags & CLM_OPT_FILE) &&
		    options_table[i].type != CLM_OPT_ENV)
			known[n++] = options_table[i].key;
	}
	known[n] = NULL;
	return known;
}

/*
 * PM2's log_date_format is moment.js's ("YYYY-MM-DD HH:mm:ss Z"): its
 * tokens become strftime's, [text] stays text. A format with a '%' is
 * taken as strftime's already.
 */
static char *
eco_strftime(const char *m)
{
	static const struct {
		const char	*moment;
		const char	*strf;
	} tokens[] = {
		{ "YYYY", "%Y" }, { "YY", "%y" }, { "MMMM", "%B" },
		{ "MMM", "%b" }, { "MM", "%m" }, { "DD", "%d" },
		{ "dddd", "%A" }, { "ddd", "%a" }, { "HH", "%H" },
		{ "hh", "%I" }, { "mm", "%M" }, { "ss", "%S" }, { "ZZ", "%z" },
		{ "Z", "%z" }, { "A", "%p" },
	};
	char	*out, *o;
	size_t	 i, n;

	if (strchr(m, '%') != NULL)
		return clm_strdup(m);
	out = o = clm_malloc(strlen(m) * 2 + 1);
	while (*m != '\0') {
		if (*m == '[') {
			for (m++; *m != '\0' && *m != ']'; m++)
				*o++ = *m;
			if (*m == ']')
				m++;
			continue;
		}
		for (i = 0; i < CLM_ARRAY_SIZE(tokens); i++) {
			n = strlen(tokens[i].moment);
			if (strncmp(m, tokens[i].moment, n) == 0)
				break;
		}
		if (i < CLM_ARRAY_SIZE(tokens)) {
			memcpy(o, tokens[i].strf, 2);
			o += 2;
			m += n;
		} else
			*o++ = *m++;
	}
	*o = '\0';
	return out;
}

/* A value that asks for nothing: false, "", [], {}. */
static bool
eco_nothing(const struct clm_tree *t)
{
	return (t->type == CLM_TREE_BOOL && strcmp(t->text, "false") == 0) ||
	    (t->type == CLM_TREE_STRING && *t->text == '\0') ||
	    ((t->type == CLM_TREE_ARRAY || t->type == CLM_TREE_OBJECT) &&
	    t->n == 0);
}

static void
eco_key(struct eco_file *f, struct eco_app *a, const char *label,
    const struct clm_tree *t)
{
	const struct eco_key	*k = NULL;
	const struct clm_option	*o;
	const char		*best;
	char			*why, *shown, *fmt;
	size_t			 i;

	for (i = 0; i < CLM_ARRAY_SIZE(eco_keys); i++) {
		if (strcmp(eco_keys[i].pm2, t->key) == 0) {
			k = &eco_keys[i];
			break;
		}
	}
	if (k == NULL && options_by_key(t->key) == NULL &&
	    strncmp(t->key, "env_", 4) == 0 && t->key[4] != '\0') {
		a->prof = clm_realloc(a->prof, (a->nprof + 1) *
		    sizeof *a->prof);
		a->prof[a->nprof].name = clm_strdup(t->key + 4);
		a->prof[a->nprof].env = eco_env(f, label, t);
		a->nprof++;
		return;
	}
	if (k == NULL) {
		o = options_by_key(t->key);
		if (o != NULL && (o->flags & CLM_OPT_FILE) &&
		    o->type != CLM_OPT_ENV) {
			if (t->type != CLM_TREE_NULL)
				eco_option(f, a, label, o, t);
			return;
		}
		shown = clm_shown(t->key);
		best = clm_suggest(t->key, eco_known());
		why = best != NULL ? clm_asprintf("unknown key (did you mean "
		    "'%s'?)", best) : clm_strdup("unknown key, not carried "
		    "over");
		eco_skip(f, a, label, t, why, true);
		free(why);
		free(shown);
		return;
	}
	if (t->type == CLM_TREE_NULL)
		return;
	switch (k->how) {
	case ECO_OPTION:
		/* stop_exit_codes: [], ignore_watch: [] ask for nothing. */
		if (t->type != CLM_TREE_ARRAY || t->n > 0)
			eco_option(f, a, label, options_by_key(k->clm), t);
		break;
	case ECO_WATCH:
		/* watch: false asks for nothing; true watches the cwd. */
		if (eco_nothing(t))
			break;
		if (t->type == CLM_TREE_BOOL)
			eco_kv(a, k->clm, "yes", t->key);
		else
			eco_option(f, a, label, options_by_key(k->clm), t);
		break;
	case ECO_ARGS:
		eco_args(f, a, label, k->clm, t);
		break;
	case ECO_NAME:
		break;
	case ECO_DATEFMT:
		if (!eco_scalar(t)) {
			eco_option(f, a, label, options_by_key(k->clm), t);
			break;
		}
		fmt = eco_strftime(t->text);
		eco_kv(a, k->clm, fmt, t->key);
		free(fmt);
		break;
	case ECO_ENV:
		clm_strv_free(a->env);
		a->env = eco_env(f, label, t);
		break;
	case ECO_ACCEPT:
		eco_skip(f, a, label, t, k->why, false);
		break;
	case ECO_NO:
		/* log_file: false asks for nothing. */
		eco_skip(f, a, label, t, k->why, !eco_nothing(t));
		break;
	}
}

/* The apps of the tree: module.exports = { apps: [...] }, [...], or one
 * app's object. */
static void
eco_map(struct eco_file *f, const struct clm_tree *root)
{
	const struct clm_tree	*apps = root, *t, *name, *script;
	struct eco_app		*a;
	char			*label, *why, *note;
	size_t			 i, j;

	if (root->type == CLM_TREE_OBJECT && clm_tree_get(root, "apps") !=
	    NULL) {
		apps = clm_tree_get(root, "apps");
		for (i = 0; i < root->n; i++) {
			if (strcmp(root->items[i]->key, "apps") == 0)
				continue;
			note = clm_asprintf("%s: %s: not carried over (clm "
			    "reads only apps)", f->path, root->items[i]->key);
			clm_strv_push(&f->warnings, note);
			free(note);
		}
	} else if (root->type == CLM_TREE_OBJECT &&
	    clm_tree_get(root, "script") != NULL) {
		apps = NULL;
	}
	if (apps != NULL && apps->type != CLM_TREE_ARRAY) {
		eco_error(f, "no apps (write { apps: [ { name: ..., script: "
		    "... } ] })");
		return;
	}
	f->n = apps != NULL ? apps->n : 1;
	if (f->n == 0) {
		eco_error(f, "no apps (write { apps: [ { name: ..., script: "
		    "... } ] })");
		return;
	}
	if (f->n > CLM_APPS_MAX) {
		eco_error(f, "more than %d apps in one file", CLM_APPS_MAX);
		f->n = 0;
		return;
	}
	f->apps = clm_calloc(f->n, sizeof *f->apps);
	for (i = 0; i < f->n; i++) {
		a = &f->apps[i];
		t = apps != NULL ? apps->items[i] : root;
		if (t->type != CLM_TREE_OBJECT) {
			eco_error(f, "app #%zu must be an object, not %s",
			    i + 1, clm_tree_type_name(t->type));
			continue;
		}
		name = clm_tree_get(t, "name");
		script = clm_tree_get(t, "script");
		if (name != NULL && name->type != CLM_TREE_NULL) {
			if (!eco_scalar(name))
				eco_error(f, "app #%zu: name must be a string, "
				    "not %s", i + 1,
				    clm_tree_type_name(name->type));
			else if (clm_app_name_check(name->text, &why) != 0) {
				eco_error(f, "app #%zu: name: %s", i + 1, why);
				free(why);
			} else
				a->name = clm_strdup(name->text);
		} else if (script != NULL && eco_scalar(script)) {
			a->name = clm_app_default_name(script->text);
			if (clm_app_name_check(a->name, &why) != 0) {
				eco_error(f, "app #%zu: %s; add name: NAME",
				    i + 1, why);
				free(why);
			}
		}
		label = eco_label(a->name, i);
		if (script == NULL || script->type == CLM_TREE_NULL)
			eco_error(f, "%s has no script (add script: PATH)",
			    label);
		for (j = 0; j < t->n; j++)
			eco_key(f, a, label, t->items[j]);
		for (j = 0; j < i && a->name != NULL; j++) {
			if (f->apps[j].name != NULL &&
			    strcmp(f->apps[j].name, a->name) == 0) {
				eco_error(f, "two apps are named '%s' (each "
				    "needs a name of its own)", a->name);
				break;
			}
		}
		free(label);
	}
}

/* ------------------------------------------------------------------ */
/* Loading. */

static void
eco_file_clear(struct eco_file *f)
{
	size_t	i;

	for (i = 0; i < f->n; i++)
		eco_app_clear(&f->apps[i]);
	free(f->apps);
	free(f->folder);
}

/* Read and map the file; 0, or -1 with f->errors. */
static int
eco_open(struct eco_file *f, const char *path,
    const struct ecosystem_opts *opts)
{
	struct clm_tree	*root;
	char		*cause, *list, *tmp;
	size_t		 i, j;
	bool		 found;

	memset(f, 0, sizeof *f);
	f->path = path;
	f->strict = opts->strict;
	if ((f->folder = config_folder(path, &cause)) == NULL) {
		eco_error(f, "%s", cause);
		free(cause);
		return -1;
	}
	if ((root = eco_read(f)) == NULL)
		return -1;
	eco_map(f, root);
	clm_tree_free(root);
	if (f->errors != NULL)
		return -1;

	/* --only names apps of the file; --env a profile one of them has. */
	for (i = 0; opts->only != NULL && opts->only[i] != NULL; i++) {
		for (j = 0; j < f->n; j++) {
			if (strcmp(f->apps[j].name, opts->only[i]) == 0)
				break;
		}
		if (j < f->n)
			continue;
		list = clm_strdup(f->apps[0].name);
		for (j = 1; j < f->n && j < 10; j++) {
			tmp = clm_asprintf("%s, %s", list, f->apps[j].name);
			free(list);
			list = tmp;
		}
		eco_error(f, "no app named '%s' in the file (it has %s%s)",
		    opts->only[i], list, f->n > 10 ? ", ..." : "");
		free(list);
	}
	if (opts->profile != NULL) {
		found = false;
		for (i = 0; i < f->n && !found; i++) {
			for (j = 0; j < f->apps[i].nprof; j++) {
				if (strcmp(f->apps[i].prof[j].name,
				    opts->profile) == 0)
					found = true;
			}
		}
		if (!found)
			eco_error(f, "--env %s: no app of the file has "
			    "env_%s", opts->profile, opts->profile);
	}
	return f->errors != NULL ? -1 : 0;
}

/* An app's spec: every key through the option table, then its files
 * resolved and its environment built. NULL once reported. */
static struct clm_app_spec *
eco_spec(struct eco_file *f, const struct eco_app *a, char *const *env,
    const char *profile)
{
	struct clm_app_spec	*spec;
	const struct clm_option	*o;
	const char		*field, *path_env = NULL;
	char			*what, *cause, **own = NULL, **tmp;
	size_t			 i;
	bool			 bad = false;

	spec = clm_app_spec_new();
	spec->name = clm_strdup(a->name);
	for (i = 0; i < a->nkv; i++) {
		o = options_by_key(a->kv[i].key);
		what = clm_asprintf("%s: app '%s': %s", f->path, a->name,
		    a->kv[i].from);
		if (options_parse(o, what, a->kv[i].value, false, spec,
		    &cause) != 0) {
			clm_strv_push(&f->errors, cause);
			free(cause);
			bad = true;
		}
		free(what);
	}
	if (bad)
		goto fail;

	own = clm_strv_dup(a->env);
	for (i = 0; profile != NULL && i < a->nprof; i++) {
		if (strcmp(a->prof[i].name, profile) == 0) {
			tmp = clm_env_merge(own, a->prof[i].env);
			clm_strv_free(own);
			own = tmp;
		}
	}
	tmp = clm_env_merge(env, own);
	for (i = 0; tmp[i] != NULL; i++) {
		if (strncmp(tmp[i], "PATH=", 5) == 0)
			path_env = tmp[i] + 5;
	}
	if (clm_app_resolve(spec, f->folder, path_env, "set interpreter",
	    &field, &cause) != 0) {
		eco_error(f, "app '%s': %s: %s", a->name, field, cause);
		free(cause);
		clm_strv_free(tmp);
		goto fail;
	}
	clm_strv_free(tmp);
	if (dotenv_apply(spec, env, own, &cause) != 0) {
		eco_error(f, "app '%s': env_file: %s", a->name, cause);
		free(cause);
		goto fail;
	}
	clm_strv_free(own);
	return spec;

fail:
	clm_strv_free(own);
	clm_app_spec_free(spec);
	return NULL;
}

int
ecosystem_load(const char *path, char *const *env,
    const struct ecosystem_opts *opts, struct clm_app_spec ***apps,
    size_t *napps, char ***warnings, char ***errors)
{
	struct eco_file		  f;
	struct clm_app_spec	**out = NULL, *spec;
	size_t			  i, n = 0;

	*apps = NULL;
	*napps = 0;
	*errors = NULL;
	if (eco_open(&f, path, opts) == 0) {
		out = clm_calloc(f.n + 1, sizeof *out);
		for (i = 0; i < f.n; i++) {
			if (opts->only != NULL &&
			    !clm_strv_has(opts->only, f.apps[i].name))
				continue;
			if ((spec = eco_spec(&f, &f.apps[i], env,
			    opts->profile)) != NULL)
				out[n++] = spec;
		}
	}
	eco_file_clear(&f);
	if (warnings != NULL)
		*warnings = f.warnings;
	else
		clm_strv_free(f.warnings);
	if (f.errors != NULL) {
		for (i = 0; i < n; i++)
			clm_app_spec_free(out[i]);
		free(out);
		*errors = f.errors;
		return -1;
	}
	*apps = out;
	*napps = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* clm import: the app file. */

/* Whether an app file's line can hold value as it is: no line break, no
 * blank at either end (inih trims them), no " ;" (a comment). */
static bool
eco_ini_safe(const char *value)
{
	size_t	len = strlen(value);

	if (strpbrk(value, "\r\n") != NULL || strstr(value, " ;") != NULL ||
	    strstr(value, "\t;") != NULL)
		return false;
	return len == 0 || (value[0] != ' ' && value[0] != '\t' &&
	    value[len - 1] != ' ' && value[len - 1] != '\t');
}

static void
eco_ini_line(char **text, char ***notes, const char *key, const char *value)
{
	char	*tmp, *shown;

	if (!eco_ini_safe(value)) {
		shown = clm_shown(value);
		tmp = clm_asprintf("%s = %s: a line break, a ' ;' or a blank "
		    "at either end cannot be written in an app file", key,
		    shown);
		clm_strv_push(notes, tmp);
		free(tmp);
		free(shown);
		return;
	}
	tmp = clm_asprintf("%s%s = %s\n", *text, key, value);
	free(*text);
	*text = tmp;
}

static void
eco_ini_env(char **text, char ***notes, const char *prefix, char *const *env)
{
	char	*key, *tmp;
	size_t	 i, len;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		len = strcspn(env[i], "=");
		key = clm_asprintf("%s.%.*s", prefix, (int)len, env[i]);
		if (strpbrk(key, " \t;#[") != NULL) {
			tmp = clm_asprintf("%s: a blank, ';', '#' or '[' "
			    "cannot be written in an app file's key", key);
			clm_strv_push(notes, tmp);
			free(tmp);
		} else
			eco_ini_line(text, notes, key, env[i] + len + 1);
		free(key);
	}
}

int
ecosystem_import(const char *path, const char *out_dir,
    const struct ecosystem_opts *opts, char **text, char ***warnings,
    char ***errors)
{
	struct eco_file		 f;
	struct clm_app_spec	*spec;
	struct eco_app		*a;
	char			*s, *tmp, *value, **notes, *prof;
	size_t			 i, j;
	bool			 here, has_cwd;

	*text = NULL;
	*errors = NULL;
	s = clm_asprintf("; The apps of %s (PM2's ecosystem file), written by "
	    "clm import.\n; Start them with: clm start FILE.ini [--only "
	    "NAME[,NAME]] [--env NAME]\n", path);
	if (eco_open(&f, path, opts) != 0)
		goto out;
	here = out_dir != NULL && strcmp(out_dir, f.folder) == 0;
	for (i = 0; i < f.n; i++) {
		a = &f.apps[i];
		if (opts->only != NULL && !clm_strv_has(opts->only, a->name))
			continue;
		/* Checked as clm start would, without the environment. */
		if ((spec = eco_spec(&f, a, NULL, NULL)) == NULL)
			continue;
		clm_app_spec_free(spec);
		notes = clm_strv_dup(a->notes);
		tmp = clm_asprintf("%s\n[%s]\n", s, a->name);
		free(s);
		s = tmp;
		has_cwd = false;
		for (j = 0; j < a->nkv; j++) {
			if (strcmp(a->kv[j].key, "cwd") == 0)
				has_cwd = true;
		}
		/* Relative paths stay right from another folder: the app's
		 * cwd, then, is the ecosystem file's folder (or under it). */
		if (!here && !has_cwd)
			eco_ini_line(&s, &notes, "cwd", f.folder);
		for (j = 0; j < a->nkv; j++) {
			value = NULL;
			if (!here && (strcmp(a->kv[j].key, "cwd") == 0 ||
			    (strcmp(a->kv[j].key, "interpreter") == 0 &&
			    strchr(a->kv[j].value, '/') != NULL)))
				value = clm_path_join(f.folder,
				    a->kv[j].value);
			eco_ini_line(&s, &notes, a->kv[j].key, value != NULL ?
			    value : a->kv[j].value);
			free(value);
		}
		eco_ini_env(&s, &notes, "env", a->env);
		for (j = 0; j < a->nprof; j++) {
			prof = clm_asprintf("env_%s", a->prof[j].name);
			eco_ini_env(&s, &notes, prof, a->prof[j].env);
			free(prof);
		}
		for (j = 0; notes != NULL && notes[j] != NULL; j++) {
			tmp = clm_asprintf("%s; not carried over: %s\n", s,
			    notes[j]);
			free(s);
			s = tmp;
		}
		clm_strv_free(notes);
	}
out:
	eco_file_clear(&f);
	if (warnings != NULL)
		*warnings = f.warnings;
	else
		clm_strv_free(f.warnings);
	if (f.errors != NULL) {
		free(s);
		*errors = f.errors;
		return -1;
	}
	*text = s;
	return 0;
}
