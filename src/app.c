/* An app's specification, and the pure rules about names, instance counts,
 * interpreters and signals. */
#include <ctype.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clm/app.h"

/* The largest instance count accepted anywhere (proto.c has the same). */
#define APP_INSTANCES_LIMIT 4096

struct clm_app_spec *
clm_app_spec_new(void)
{
	struct clm_app_spec	*spec;

	spec = clm_calloc(1, sizeof *spec);
	spec->instances = 1;
	spec->kill_signal = CLM_DEFAULT_KILL_SIGNAL;
	spec->kill_timeout_ms = CLM_DEFAULT_KILL_TIMEOUT_MS;
	spec->min_uptime_ms = CLM_DEFAULT_MIN_UPTIME_MS;
	spec->max_restarts = CLM_DEFAULT_MAX_RESTARTS;
	spec->autorestart = true;
	spec->listen_timeout_ms = CLM_DEFAULT_LISTEN_TIMEOUT_MS;
	return spec;
}

struct clm_app_spec *
clm_app_spec_copy(const struct clm_app_spec *spec)
{
	struct clm_app_spec	*copy;

	if (spec == NULL)
		return NULL;
	copy = clm_malloc(sizeof *copy);
	*copy = *spec;
	copy->name = clm_strdup(spec->name);
	copy->script = clm_strdup(spec->script);
	copy->interpreter = clm_strdup(spec->interpreter);
	copy->args = clm_strv_dup(spec->args);
	copy->listen = clm_strv_dup(spec->listen);
	copy->cwd = clm_strdup(spec->cwd);
	copy->env = clm_strv_dup(spec->env);
	return copy;
}

void
clm_app_spec_free(struct clm_app_spec *spec)
{
	if (spec == NULL)
		return;
	free(spec->name);
	free(spec->script);
	free(spec->interpreter);
	clm_strv_free(spec->args);
	clm_strv_free(spec->listen);
	free(spec->cwd);
	clm_strv_free(spec->env);
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
	if (clm_parse_int(s, -1, APP_INSTANCES_LIMIT, &v) != 0) {
		*cause = clm_asprintf("invalid instance count '%s' (use a "
		    "number from 1 to %d, 0 or max for every logical core, -1 "
		    "for all but one)", s == NULL ? "" : s,
		    APP_INSTANCES_LIMIT);
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
clm_app_name_check(const char *name, char **cause)
{
	const char	*p;
	char		*shown;
	size_t		 len;

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
