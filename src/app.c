/* An app's specification, the pure rules about names, instance counts,
 * interpreters and signals, and the resolution of its files. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clm/app.h"
#include "clm/options.h"

struct clm_app_spec *
clm_app_spec_new(void)
{
	struct clm_app_spec	*spec;

	spec = clm_calloc(1, sizeof *spec);
	options_init(spec);
	return spec;
}

void
clm_app_spec_fill(struct clm_app_spec *spec, const struct clm_app_spec *def)
{
	options_fill(spec, def);
}

struct clm_app_spec *
clm_app_spec_copy(const struct clm_app_spec *spec)
{
	struct clm_app_spec	*copy;

	if (spec == NULL)
		return NULL;
	copy = clm_malloc(sizeof *copy);
	*copy = *spec;
	options_copy(copy, spec);
	return copy;
}

void
clm_app_spec_free(struct clm_app_spec *spec)
{
	if (spec == NULL)
		return;
	options_clear(spec);
	free(spec);
}

int
clm_instances_resolve(int requested, int ncpu, bool *clamped)
{
	if (clamped != NULL)
		*clamped = false;
	if (ncpu < 1)
		ncpu = 1;
	if (requested == CLM_INSTANCES_MAX)
		return ncpu;
	if (requested == CLM_INSTANCES_ALL_BUT_ONE)
		return ncpu > 1 ? ncpu - 1 : 1;
	if (requested < 0)
		return 1;
	if (requested > ncpu) {
		if (clamped != NULL)
			*clamped = true;
		return ncpu;
	}
	return requested;
}

int
clm_instances_parse(const char *s, int *out, char **cause)
{
	long long	v;

	if (s != NULL && strcasecmp(s, "max") == 0) {
		*out = CLM_INSTANCES_MAX;
		return 0;
	}
	if (clm_parse_int(s, -1, CLM_INSTANCES_LIMIT, &v) != 0) {
		*cause = clm_asprintf("invalid instance count '%s' (use a "
		    "number from 1 to %d, 0 or max for every logical core, -1 "
		    "for all but one)", s == NULL ? "" : s,
		    CLM_INSTANCES_LIMIT);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
clm_ncpu(void)
{
	cpu_set_t	set;
	long		n;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		n = CPU_COUNT(&set);
		if (n > 0)
			return (int)n;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	if (n > INT_MAX)
		return INT_MAX;
	return (int)n;
}

/* A copy of s fit for a one-line message: unprintable bytes become '?',
 * and at most max bytes are kept ("..." marks the cut). */
static char *
app_printable(const char *s, size_t max)
{
	char	*p;
	size_t	 i, n;

	n = strlen(s);
	if (n > max) {
		p = clm_asprintf("%.*s...", (int)max, s);
		n = max;
	} else
		p = clm_strdup(s);
	for (i = 0; i < n; i++) {
		if (!isprint((unsigned char)p[i]))
			p[i] = '?';
	}
	return p;
}

static bool
app_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int
clm_worker_target(const char *target, char **name, int *slot, char **cause)
{
	const char	*colon = strrchr(target, ':');
	long long	 v;
	char		*n;

	*name = NULL;
	*slot = -1;
	if (colon == NULL)
		return 0;
	n = clm_strndup(target, (size_t)(colon - target));
	if (clm_app_name_check(n, cause) == -1) {
		free(n);
		return -1;
	}
	if (!isdigit((unsigned char)colon[1]) ||
	    clm_parse_int(colon + 1, 0, CLM_INSTANCES_LIMIT, &v) != 0) {
		*cause = clm_asprintf("'%s': a worker is NAME:ID, ID a number "
		    "from 0 (see clm list)", target);
		free(n);
		return -1;
	}
	*name = n;
	*slot = (int)v;
	return 1;
}

int
clm_app_name_check(const char *name, char **cause)
{
	const char	*p;
	char		*shown;
	size_t		 len, seq;

	if (name == NULL || *name == '\0') {
		*cause = clm_strdup("app name is empty (use --name NAME)");
		return -1;
	}
	len = strlen(name);
	shown = app_printable(name, CLM_NAME_MAX);
	if (len > CLM_NAME_MAX) {
		*cause = clm_asprintf("app name '%s' is too long (at most %d "
		    "characters)", shown, CLM_NAME_MAX);
		goto fail;
	}
	for (p = name; *p != '\0'; p++) {
		if (app_name_char(*p))
			continue;
		/* Letters of any script, as PM2 takes them: UTF-8. */
		if ((unsigned char)*p >= 0x80 && (seq = clm_utf8_seq(
		    (const unsigned char *)p, len - (size_t)(p - name))) > 0) {
			p += seq - 1;
			continue;
		}
		if (isprint((unsigned char)*p)) {
			*cause = clm_asprintf("app name '%s' contains '%c' "
			    "(use only letters, digits, '.', '_' and '-')",
			    shown, *p);
		} else {
			*cause = clm_asprintf("app name '%s' contains byte "
			    "0x%02x (use only letters, digits, '.', '_' and "
			    "'-')", shown, (unsigned char)*p);
		}
		goto fail;
	}
	if (name[0] == '.' || name[0] == '-') {
		*cause = clm_asprintf("app name '%s' must not start with '%c' "
		    "(start it with a letter, a digit or '_')", shown, name[0]);
		goto fail;
	}
	if (strcmp(name, "all") == 0) {
		*cause = clm_strdup("app name 'all' is reserved (it means "
		    "every app; choose another with --name)");
		goto fail;
	}
	free(shown);
	return 0;

fail:
	free(shown);
	return -1;
}

/* The base name of path, trailing slashes ignored; *len is its length. */
static const char *
app_basename(const char *path, size_t *len)
{
	size_t	end, start;

	end = strlen(path);
	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	*len = end - start;
	return path + start;
}

/* The extension (from the last '.') of a base name, or NULL. A leading dot
 * (".profile") is not an extension. */
static const char *
app_extension(const char *base, size_t len)
{
	size_t	i;

	for (i = len; i > 1; i--) {
		if (base[i - 1] == '.')
			return base + i - 1;
	}
	return NULL;
}

char *
clm_app_default_name(const char *script)
{
	const char	*base, *ext;
	size_t		 len;

	if (script == NULL)
		return NULL;
	base = app_basename(script, &len);
	if ((ext = app_extension(base, len)) != NULL)
		len = ext - base;
	return clm_strndup(base, len);
}

const char *
clm_app_default_interpreter(const char *script)
{
	static const struct {
		const char	*ext;
		const char	*interpreter;
	} table[] = {
		{ ".js", "node" },
		{ ".mjs", "node" },
		{ ".cjs", "node" },
		{ ".py", "python3" },
		{ ".sh", "sh" },
	};
	const char	*base, *ext;
	size_t		 i, len, extlen;

	if (script == NULL)
		return NULL;
	base = app_basename(script, &len);
	if ((ext = app_extension(base, len)) == NULL)
		return NULL;
	extlen = len - (size_t)(ext - base);
	for (i = 0; i < CLM_ARRAY_SIZE(table); i++) {
		if (strlen(table[i].ext) == extlen &&
		    strncasecmp(ext, table[i].ext, extlen) == 0)
			return table[i].interpreter;
	}
	return NULL;
}

/* Paths and programs. */

char *
clm_path_join(const char *base, const char *rel)
{
	char		*joined, *out;
	const char	*p, *end;
	size_t		 o, len;

	if (rel[0] == '/')
		joined = clm_strdup(rel);
	else
		joined = clm_asprintf("%s/%s", base, rel);
	out = clm_malloc(strlen(joined) + 2);
	o = 0;
	for (p = joined; *p != '\0'; p = end) {
		while (*p == '/')
			p++;
		end = p;
		while (*end != '\0' && *end != '/')
			end++;
		len = (size_t)(end - p);
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	free(joined);
	return out;
}

char *
clm_getcwd(char **cause)
{
	struct stat	 a, b;
	const char	*pwd;
	char		*cwd;

	pwd = getenv("PWD");
	if (pwd != NULL && pwd[0] == '/' && stat(pwd, &a) == 0 &&
	    stat(".", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return clm_strdup(pwd);
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		*cause = clm_asprintf("cannot find the current directory: %s",
		    strerror(errno));
		return NULL;
	}
	return cwd;
}

static bool
app_is_executable_file(const char *path)
{
	struct stat	sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    access(path, X_OK) == 0;
}

char *
clm_app_find_program(const char *prog, const char *base,
    const char *path_env)
{
	const char	*p, *end;
	char		*dir, *candidate;

	if (*prog == '\0')
		return NULL;
	if (strchr(prog, '/') != NULL) {
		candidate = clm_path_join(base, prog);
		if (app_is_executable_file(candidate))
			return candidate;
		free(candidate);
		return NULL;
	}
	if (path_env == NULL)
		path_env = "/usr/local/bin:/usr/bin:/bin";
	for (p = path_env;; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dir = clm_strndup(p, (size_t)(end - p));
		if (*dir == '\0') {
			free(dir);
			dir = clm_strdup(".");
		}
		candidate = clm_path_join(base, dir);
		free(dir);
		dir = candidate;
		candidate = clm_asprintf("%s/%s", strcmp(dir, "/") == 0 ? "" :
		    dir, prog);
		free(dir);
		if (app_is_executable_file(candidate))
			return candidate;
		free(candidate);
		if (*end == '\0')
			return NULL;
	}
}

/* The directory named in "not found" messages. */
static char *
app_looked_in(const char *path)
{
	const char	*slash;

	slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return clm_strdup("/");
	return clm_strndup(path, (size_t)(slash - path));
}

/* *path made absolute against dir (NULL stays NULL). */
static void
app_absolute(char **path, const char *dir)
{
	char	*abs;

	if (*path == NULL)
		return;
	abs = clm_path_join(dir, *path);
	free(*path);
	*path = abs;
}

int
clm_app_resolve(struct clm_app_spec *spec, const char *base,
    const char *path_env, const char *how_interp, const char **field,
    char **cause)
{
	struct stat	 sb;
	const char	*script, *prog;
	char		*dir, *path = NULL, *interp = NULL, *where, *found;

	*field = "cwd";
	dir = clm_path_join(base, spec->cwd != NULL ? spec->cwd : ".");
	if (stat(dir, &sb) != 0) {
		*cause = clm_asprintf("directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		*cause = clm_asprintf("%s is not a directory", dir);
		goto fail;
	}

	*field = "script";
	script = spec->script;
	if (script == NULL || *script == '\0') {
		*cause = clm_strdup("no script given");
		goto fail;
	}
	path = clm_path_join(dir, script);
	/* A bare command that is not in cwd: PATH's (script: npm, as PM2). */
	if (strchr(script, '/') == NULL && access(path, F_OK) != 0 &&
	    (found = clm_app_find_program(script, dir, path_env)) != NULL) {
		free(path);
		path = found;
	}
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		where = script[0] == '/' ? app_looked_in(path) :
		    clm_strdup(dir);
		if (access(path, F_OK) != 0) {
			*cause = clm_asprintf("script '%s' not found (looked "
			    "in %s)", script, where);
		} else if (S_ISDIR(sb.st_mode)) {
			*cause = clm_asprintf("script '%s' is a directory, not "
			    "a file (in %s)", script, where);
		} else {
			*cause = clm_asprintf("script '%s' is not a regular "
			    "file (in %s)", script, where);
		}
		free(where);
		goto fail;
	}
	if (access(path, R_OK) != 0) {
		*cause = clm_asprintf("script '%s' is not readable (%s): %s",
		    script, path, strerror(errno));
		goto fail;
	}

	if (spec->interpreter != NULL) {
		*field = "interpreter";
		prog = strcmp(spec->interpreter, "none") == 0 ? NULL :
		    spec->interpreter;
	} else
		prog = clm_app_default_interpreter(path);
	if (prog != NULL) {
		if ((interp = clm_app_find_program(prog, base, path_env)) == NULL) {
			if (strchr(prog, '/') != NULL)
				*cause = clm_asprintf("interpreter '%s' is not "
				    "an executable file", prog);
			else
				*cause = clm_asprintf("interpreter '%s' not "
				    "found on PATH (install it or %s)", prog,
				    how_interp);
			goto fail;
		}
	} else if (access(path, X_OK) != 0) {
		*field = "script";
		*cause = clm_asprintf("script '%s' is not executable (chmod +x "
		    "it, or %s)", script, how_interp);
		goto fail;
	}

	app_absolute(&spec->out_file, dir);
	app_absolute(&spec->error_file, dir);
	free(spec->cwd);
	spec->cwd = dir;
	free(spec->script);
	spec->script = path;
	free(spec->interpreter);
	spec->interpreter = interp;
	return 0;

fail:
	free(dir);
	free(path);
	free(interp);
	return -1;
}

/*
 * Every signal number 1..64 has a name: the classic ones theirs, the
 * real-time ones (unnamed on Linux) "SIG32".."SIG64", which
 * clm_signal_parse reads back.
 */
#define APP_SIGNAL_MAX 64

static const char *const app_signal_names[APP_SIGNAL_MAX + 1] = {
	[SIGHUP] = "SIGHUP",		[SIGINT] = "SIGINT",
	[SIGQUIT] = "SIGQUIT",		[SIGILL] = "SIGILL",
	[SIGTRAP] = "SIGTRAP",		[SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",		[SIGFPE] = "SIGFPE",
	[SIGKILL] = "SIGKILL",		[SIGUSR1] = "SIGUSR1",
	[SIGSEGV] = "SIGSEGV",		[SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE",		[SIGALRM] = "SIGALRM",
	[SIGTERM] = "SIGTERM",		[SIGSTKFLT] = "SIGSTKFLT",
	[SIGCHLD] = "SIGCHLD",		[SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP",		[SIGTSTP] = "SIGTSTP",
	[SIGTTIN] = "SIGTTIN",		[SIGTTOU] = "SIGTTOU",
	[SIGURG] = "SIGURG",		[SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ",		[SIGVTALRM] = "SIGVTALRM",
	[SIGPROF] = "SIGPROF",		[SIGWINCH] = "SIGWINCH",
	[SIGIO] = "SIGIO",		[SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
	[32] = "SIG32", [33] = "SIG33", [34] = "SIG34", [35] = "SIG35",
	[36] = "SIG36", [37] = "SIG37", [38] = "SIG38", [39] = "SIG39",
	[40] = "SIG40", [41] = "SIG41", [42] = "SIG42", [43] = "SIG43",
	[44] = "SIG44", [45] = "SIG45", [46] = "SIG46", [47] = "SIG47",
	[48] = "SIG48", [49] = "SIG49", [50] = "SIG50", [51] = "SIG51",
	[52] = "SIG52", [53] = "SIG53", [54] = "SIG54", [55] = "SIG55",
	[56] = "SIG56", [57] = "SIG57", [58] = "SIG58", [59] = "SIG59",
	[60] = "SIG60", [61] = "SIG61", [62] = "SIG62", [63] = "SIG63",
	[64] = "SIG64",
};

/* Other names some people write. */
static const struct {
	const char	*name;
	int		 sig;
} app_signal_aliases[] = {
	{ "IOT", SIGABRT },
	{ "POLL", SIGIO },
	{ "CLD", SIGCHLD },
};

int
clm_signal_parse(const char *s)
{
	long long	 v;
	size_t		 i;

	if (s == NULL || *s == '\0')
		return -1;
	if (clm_parse_int(s, 1, APP_SIGNAL_MAX, &v) == 0 && s[0] != '+')
		return (int)v;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	if (*s >= '0' && *s <= '9') {
		/* "SIG40": only as clm_signal_name writes it. */
		if (clm_parse_int(s, 32, APP_SIGNAL_MAX, &v) == 0 &&
		    s[0] != '0')
			return (int)v;
		return -1;
	}
	for (i = 1; i < CLM_ARRAY_SIZE(app_signal_names); i++) {
		if (app_signal_names[i] != NULL &&
		    strcasecmp(s, app_signal_names[i] + 3) == 0)
			return (int)i;
	}
	for (i = 0; i < CLM_ARRAY_SIZE(app_signal_aliases); i++) {
		if (strcasecmp(s, app_signal_aliases[i].name) == 0)
			return app_signal_aliases[i].sig;
	}
	return -1;
}

const char *
clm_signal_name(int sig)
{
	if (sig < 1 || sig > APP_SIGNAL_MAX || app_signal_names[sig] == NULL)
		return "SIG?";
	return app_signal_names[sig];
}

static bool
env_has(char *const *v, const char *entry)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (strcmp(v[i], entry) == 0)
			return true;
	}
	return false;
}

/* The length of the KEY= part of an entry (all of it without '='). */
static size_t
env_keylen(const char *entry)
{
	const char	*eq = strchr(entry, '=');

	return eq != NULL ? (size_t)(eq - entry) + 1 : strlen(entry);
}

char **
clm_env_minus(char *const *env, char *const *base)
{
	char	**out = clm_calloc(1, sizeof *out);
	size_t	  i;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (!env_has(base, env[i]))
			clm_strv_push(&out, env[i]);
	}
	return out;
}

char **
clm_env_merge(char *const *base, char *const *over)
{
	char	**out = clm_calloc(1, sizeof *out);
	size_t	  i, k, len;

	for (i = 0; base != NULL && base[i] != NULL; i++) {
		len = env_keylen(base[i]);
		for (k = 0; over != NULL && over[k] != NULL; k++) {
			if (strncmp(base[i], over[k], len) == 0)
				break;
		}
		if (over == NULL || over[k] == NULL)
			clm_strv_push(&out, base[i]);
	}
	for (k = 0; over != NULL && over[k] != NULL; k++)
		clm_strv_push(&out, over[k]);
	return out;
}
