/*
 * INI files: clmd's configuration (clm.ini) and app files (clm start
 * apps.ini). This is the only module that uses inih.
 *
 * Debian's inih (r55) reads lines into a 200-byte buffer (a longer line is
 * silently cut in pieces), reports only the first malformed line, and gives
 * its handler no line number. So the file is read into memory and handed to
 * inih through a reader (ini_parse_stream) that counts lines and checks
 * each one first: control bytes, invalid UTF-8, lines too long, section
 * headers and lines without '=' are reported here, with their line, and
 * never reach inih. inih then splits the key from the value and strips
 * blanks and inline comments (" ; ..."). Leading blanks are stripped too,
 * so that no line continues the previous one: an indented key is a key.
 *
 * Everything read is treated as hostile: bounded sizes and counts, every
 * byte shown in a message made printable, errors collected up to a limit.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "clm/config.h"
#include "clm/dotenv.h"
#include "clm/listeners.h"
#include "clm/nametab.h"
#include "clm/options.h"

#define CONFIG_FILE_MAX		(16 * 1024 * 1024)
#define CONFIG_ERRORS_MAX	50
#define CONFIG_SUN_PATH_MAX	107		/* sizeof sun_path - 1 */

/* ------------------------------------------------------------------ */
/* Small helpers. */

char *
config_folder(const char *path, char **cause)
{
	const char	*slash;
	char		*cwd, *dir, *folder;

	slash = strrchr(path, '/');
	if (slash == path)
		return clm_strdup("/");
	dir = slash == NULL ? clm_strdup(".") :
	    clm_strndup(path, (size_t)(slash - path));
	if (dir[0] == '/')
		return dir;
	if ((cwd = clm_getcwd(cause)) == NULL) {
		free(dir);
		return NULL;
	}
	folder = clm_path_join(cwd, dir);
	free(cwd);
	free(dir);
	return folder;
}

int
config_read_file(const char *path, char **out, size_t *outlen, char **cause)
{
	struct stat	 sb;
	char		*buf;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd;

	/* O_NONBLOCK: a FIFO must not hang us before fstat says no. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		*cause = clm_asprintf("cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		*cause = clm_strdup("not a regular file");
		close(fd);
		return -1;
	}
	/* Its size now, one more byte to see the end, grown if it grew. */
	cap = sb.st_size < CONFIG_FILE_MAX ? (size_t)sb.st_size + 2 :
	    CONFIG_FILE_MAX + 2;
	buf = clm_malloc(cap);
	for (;;) {
		if (len + 1 == cap) {
			cap = cap * 2 < CONFIG_FILE_MAX + 2 ? cap * 2 :
			    CONFIG_FILE_MAX + 2;
			buf = clm_realloc(buf, cap);
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = clm_asprintf("cannot read: %s",
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_FILE_MAX) {
			*cause = clm_asprintf("larger than %d MiB (is it the "
			    "right file?)", CONFIG_FILE_MAX >> 20);
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;

fail:
	close(fd);
	free(buf);
	return -1;
}

/* ------------------------------------------------------------------ */
/* The line-checking reader around inih. */

struct config_parser;
/* A section header; name is NULL when the header is malformed. */
typedef void (*config_section_fn)(struct config_parser *, const char *);
typedef void (*config_key_fn)(struct config_parser *, const char *,
    const char *);

struct config_parser {
	const char		*path;	/* as the user wrote it */
	const char		*buf;
	size_t			 len;
	size_t			 off;
	int			 line;	/* of the line being handled */
	int			 pending; /* line given to inih, not handled */
	char		       **errors;
	size_t			 nerrors;
	bool			 full;	/* too many errors: stop reading */
	config_section_fn	 section;
	config_key_fn		 key;
};

static void CLM_PRINTF(3, 4)
config_error(struct config_parser *p, int line, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *s;

	if (p->full)
		return;
	va_start(ap, fmt);
	msg = clm_vasprintf(fmt, ap);
	va_end(ap);
	if (p->nerrors == CONFIG_ERRORS_MAX) {
		s = clm_asprintf("%s: too many errors, stopped after %d",
		    p->path, CONFIG_ERRORS_MAX);
		p->full = true;
	} else if (line > 0)
		s = clm_asprintf("%s:%d: %s", p->path, line, msg);
	else
		s = clm_asprintf("%s: %s", p->path, msg);
	clm_strv_push(&p->errors, s);
	p->nerrors++;
	free(s);
	free(msg);
}

/* Whether a line holds only text: no control byte, valid UTF-8. */
static bool
config_text(struct config_parser *p, const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, k;

	for (i = 0; i < n; i += k) {
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f) {
			config_error(p, p->line, "control byte 0x%02x in the "
			    "line (is this a text file?)", u[i]);
			return false;
		}
		if ((k = clm_utf8_seq(u + i, n - i)) == 0) {
			config_error(p, p->line, "the line is not valid UTF-8");
			return false;
		}
	}
	return true;
}

/* "[name]" with an optional comment after it. */
static void
config_header(struct config_parser *p, const char *s, size_t n)
{
	const char	*close, *name, *rest;
	char		*copy, *shown;
	size_t		 len;

	close = memchr(s, ']', n);
	if (close == NULL) {
		config_error(p, p->line, "section header lacks its closing "
		    "']'");
		p->section(p, NULL);
		return;
	}
	for (rest = close + 1; rest < s + n && isspace((unsigned char)*rest);
	    rest++)
		/* nothing */;
	if (rest < s + n && *rest != ';' && *rest != '#') {
		copy = clm_strndup(rest, (size_t)(s + n - rest));
		shown = clm_shown(copy);
		config_error(p, p->line, "unexpected '%s' after the section "
		    "header (comments start with ;)", shown);
		free(shown);
		free(copy);
		p->section(p, NULL);
		return;
	}
	name = s + 1;
	while (name < close && isspace((unsigned char)*name))
		name++;
	len = (size_t)(close - name);
	while (len > 0 && isspace((unsigned char)name[len - 1]))
		len--;
	if (len == 0 || memchr(name, '[', len) != NULL) {
		config_error(p, p->line, "section header needs a name between "
		    "[ and ]");
		p->section(p, NULL);
		return;
	}
	copy = clm_strndup(name, len);
	p->section(p, copy);
	free(copy);
}

/* inih's test for a key line: a '=' or ':' before any inline comment. */
static bool
config_is_key_line(const char *s, size_t n)
{
	bool	was_space = false;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] == '=' || s[i] == ':')
			return true;
		if (was_space && s[i] == ';')
			return false;
		was_space = isspace((unsigned char)s[i]);
	}
	return false;
}

static void
config_missed(struct config_parser *p)
{
	if (p->pending != 0) {
		config_error(p, p->pending, "cannot parse this line (expected "
		    "KEY = VALUE)");
		p->pending = 0;
	}
}

static char *
config_reader(char *str, int num, void *arg)
{
	struct config_parser	*p = arg;
	const char		*s, *nl, *end;
	char			*copy, *shown;
	size_t			 n;

	config_missed(p);
	while (!p->full && p->off < p->len) {
		s = p->buf + p->off;
		nl = memchr(s, '\n', p->len - p->off);
		n = nl != NULL ? (size_t)(nl - s) : p->len - p->off;
		p->off += n + (nl != NULL ? 1 : 0);
		p->line++;
		if (p->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;
			n -= 3;
		}
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (!config_text(p, s, n))
			continue;
		while (n > 0 && isspace((unsigned char)*s)) {
			s++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)s[n - 1]))
			n--;
		if (n == 0 || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			config_header(p, s, n);
			continue;
		}
		/* Room for the line, a '\n' and a NUL, as fgets would. */
		if (num < 3 || n > (size_t)num - 2) {
			config_error(p, p->line, "line too long (%zu "
			    "characters; at most %d)", n, num < 3 ? 0 : num - 2);
			continue;
		}
		if (!config_is_key_line(s, n)) {
			end = s;
			while (end < s + n && !isspace((unsigned char)*end))
				end++;
			copy = clm_strndup(s, (size_t)(end - s));
			shown = clm_shown(copy);
			config_error(p, p->line, "'%s' is not a KEY = VALUE "
			    "line", shown);
			free(shown);
			free(copy);
			continue;
		}
		memcpy(str, s, n);
		str[n] = '\0';
		p->pending = p->line;
		return str;
	}
	return NULL;
}

static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct config_parser	*p = arg;

	p->pending = 0;
	if (!p->full)
		p->key(p, name != NULL ? name : "", value != NULL ? value : "");
	return 1;
}

/* Read path and run p's callbacks over it; errors go to p. */
static void
config_parse(struct config_parser *p, const char *path)
{
	char	*buf, *cause;
	size_t	 len;

	p->path = path;
	if (config_read_file(path, &buf, &len, &cause) != 0) {
		config_error(p, 0, "%s", cause);
		free(cause);
		return;
	}
	p->buf = buf;
	p->len = len;
	/* inih's own verdict adds nothing: the reader checked every line. */
	(void)ini_parse_stream(config_reader, p, config_handler, p);
	config_missed(p);
	p->buf = NULL;
	free(buf);
}

/* "unknown key 'x' in [s] (did you mean 'y'?)" and the like. */
static void
config_unknown_key(struct config_parser *p, const char *key,
    const char *section, const char *const *known, const char *hint)
{
	const char	*best;
	char		*shown;

	shown = clm_shown(key);
	if ((best = clm_suggest(key, known)) != NULL)
		config_error(p, p->line, "unknown key '%s' in [%s] (did you "
		    "mean '%s'?)", shown, section, best);
	else
		config_error(p, p->line, "unknown key '%s' in [%s] (%s)",
		    shown, section, hint);
	free(shown);
}

/* backoff_*: a duration from min to CLM_DURATION_MAX; 0, or -1 once
 * reported. */
static int
config_duration(struct config_parser *p, const char *key, const char *value,
    uint32_t min, uint32_t *out)
{
	uint32_t	 ms;
	char		*shown;

	if (options_parse_duration(value, &ms) != 0 || ms < min ||
	    ms > CLM_DURATION_MAX) {
		shown = clm_shown(value);
		config_error(p, p->line, "%s: '%s' is not a duration from "
		    "%ums to %ums (write 1600, 1600ms, 1.6s, 2m or 1h)", key,
		    shown, min, CLM_DURATION_MAX);
		free(shown);
		return -1;
	}
	*out = ms;
	return 0;
}

/* An option's value (options.h) into spec; reported when bad. */
static void
config_option(struct config_parser *p, const struct clm_option *o,
    const char *value, struct clm_app_spec *spec)
{
	char	*cause;

	if (options_parse(o, o->key, value, true, spec, &cause) != 0) {
		config_error(p, p->line, "%s", cause);
		free(cause);
	}
}

/* The line a key was first set on, or 0; else remember this one. */
static bool
config_once(struct config_parser *p, const char *key, int *line)
{
	if (*line != 0) {
		config_error(p, p->line, "'%s' is already set on line %d (set "
		    "each key once)", key, *line);
		return false;
	}
	*line = p->line;
	return true;
}

/* ------------------------------------------------------------------ */
/* clmd's configuration. */

/* The daemon's own keys; [defaults] also takes every CLM_OPT_DEFAULTS
 * row of options_table. */
enum {
	DK_SOCKET,
	DK_SOCKET_MODE,
	DK_SOCKET_GROUP,
	DK_LOG_DIR,
	DK_METRICS_LISTEN,
	DK_BACKOFF_INITIAL,
	DK_BACKOFF_MAX,
	DK_COUNT
};

enum { DS_DAEMON, DS_DEFAULTS, DS_COUNT };

static const char *const config_daemon_sections[DS_COUNT + 1] = {
	"daemon", "defaults", NULL
};

static const struct {
	const char	*name;
	int		 section;
} config_daemon_keys[DK_COUNT] = {
	[DK_SOCKET] = { "socket", DS_DAEMON },
	[DK_SOCKET_MODE] = { "socket_mode", DS_DAEMON },
	[DK_SOCKET_GROUP] = { "socket_group", DS_DAEMON },
	[DK_LOG_DIR] = { "log_dir", DS_DAEMON },
	[DK_METRICS_LISTEN] = { "metrics_listen", DS_DAEMON },
	[DK_BACKOFF_INITIAL] = { "backoff_initial", DS_DEFAULTS },
	[DK_BACKOFF_MAX] = { "backoff_max", DS_DEFAULTS },
};

#define CONFIG_DAEMON_HINT "every key is listed in " CLM_DATADIR "/clm.ini"

struct config_daemon {
	struct config_parser		 p;	/* first: callbacks cast */
	struct clm_daemon_config	 cfg;
	char				*folder;
	int				 section;	/* DS_*; -1: none */
	bool				 bad_header;
	int				 section_lines[DS_COUNT];
	int				 lines[DK_COUNT];
	int				 olines[CLM_OPTIONS_MAX];
};

void
config_daemon_defaults(struct clm_daemon_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->socket_mode = 0600;
	options_init(&cfg->defaults);
	options_defaults(&cfg->defaults);
	cfg->backoff_initial_ms = 100;
	cfg->backoff_max_ms = 15000;
}

void
config_daemon_free(struct clm_daemon_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->socket_path);
	free(cfg->socket_group);
	free(cfg->log_dir);
	free(cfg->metrics_listen);
	options_clear(&cfg->defaults);	/* its strings (on_event) */
	cfg->socket_path = NULL;
	cfg->socket_group = NULL;
	cfg->log_dir = NULL;
}

static void
config_daemon_section(struct config_parser *p, const char *name)
{
	struct config_daemon	*d = (struct config_daemon *)p;
	const char		*best;
	char			*shown;
	int			 i;

	d->section = -1;
	d->bad_header = true;
	if (name == NULL)
		return;
	for (i = 0; i < DS_COUNT; i++) {
		if (strcmp(name, config_daemon_sections[i]) == 0)
			break;
	}
	if (i == DS_COUNT) {
		shown = clm_shown(name);
		if ((best = clm_suggest(name,
		    config_daemon_sections)) != NULL)
			config_error(p, p->line, "unknown section [%s] (did "
			    "you mean [%s]?)", shown, best);
		else
			config_error(p, p->line, "unknown section [%s] (the "
			    "sections are [daemon] and [defaults])", shown);
		free(shown);
		return;
	}
	if (d->section_lines[i] != 0) {
		config_error(p, p->line, "duplicate section [%s] (first on "
		    "line %d; merge them)", name, d->section_lines[i]);
		return;
	}
	d->section_lines[i] = p->line;
	d->section = i;
	d->bad_header = false;
}

/* A path key: empty means the default (NULL); relative to the file. */
static void
config_daemon_path(struct config_daemon *d, const char *value, char **out)
{
	free(*out);
	*out = *value == '\0' ? NULL : clm_path_join(d->folder, value);
}

static int
config_daemon_mode(struct config_parser *p, const char *value, mode_t *out)
{
	const char	*s = value;
	unsigned	 v = 0;
	char		*shown;

	if (strncasecmp(s, "0o", 2) == 0)
		s += 2;
	if (*s == '\0' || strlen(s) > 4)
		goto bad;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			goto bad;
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 0777)
		goto bad;
	if ((v & 0600) != 0600) {
		config_error(p, p->line, "socket_mode: %04o must let the owner "
		    "read and write (0600 at least)", v);
		return -1;
	}
	*out = (mode_t)v;
	return 0;

bad:
	shown = clm_shown(value);
	config_error(p, p->line, "socket_mode: '%s' is not an octal mode like "
	    "0600 or 0660", shown);
	free(shown);
	return -1;
}

static int
config_daemon_group(struct config_parser *p, const char *value, char **out)
{
	struct group	 gr, *res = NULL;
	char		 buf[16384], *shown;
	long long	 gid;
	int		 rc;

	if (clm_parse_int(value, 0, UINT32_MAX - 1, &gid) == 0)
		rc = getgrgid_r((gid_t)gid, &gr, buf, sizeof buf, &res);
	else
		rc = getgrnam_r(value, &gr, buf, sizeof buf, &res);
	if (rc != 0 || res == NULL) {
		shown = clm_shown(value);
		config_error(p, p->line, "socket_group: no group '%s' (see "
		    "/etc/group)", shown);
		free(shown);
		return -1;
	}
	free(*out);
	*out = clm_strdup(value);
	return 0;
}

/* The name of a [defaults] option row; NULL if key is none. */
static const struct clm_option *
config_defaults_option(const char *key)
{
	const struct clm_option	*o;

	o = options_by_key(key);
	return o != NULL && (o->flags & CLM_OPT_DEFAULTS) ? o : NULL;
}

static void
config_daemon_key(struct config_parser *p, const char *key, const char *value)
{
	struct config_daemon		*d = (struct config_daemon *)p;
	struct clm_daemon_config	*cfg = &d->cfg;
	const struct clm_option		*o;
	const char			*names[DK_COUNT + CLM_OPTIONS_MAX + 1];
	char				*shown;
	int				 k, section, *line;
	size_t				 i, n;

	for (k = 0; k < DK_COUNT; k++) {
		if (strcmp(key, config_daemon_keys[k].name) == 0)
			break;
	}
	o = k == DK_COUNT ? config_defaults_option(key) : NULL;
	section = o != NULL ? DS_DEFAULTS : k < DK_COUNT ?
	    config_daemon_keys[k].section : -1;
	if (d->section == -1) {
		if (d->bad_header)
			return;		/* reported with the header */
		shown = clm_shown(key);
		config_error(p, p->line, "key '%s' is outside any section (put "
		    "it under [%s])", shown, section != -1 ?
		    config_daemon_sections[section] : "daemon] or [defaults");
		free(shown);
		return;
	}
	if (section == -1) {
		n = 0;
		for (k = 0; k < DK_COUNT; k++)
			names[n++] = config_daemon_keys[k].name;
		for (i = 0; i < options_count; i++) {
			if (options_table[i].flags & CLM_OPT_DEFAULTS)
				names[n++] = options_table[i].key;
		}
		names[n] = NULL;
		config_unknown_key(p, key, config_daemon_sections[d->section],
		    names, CONFIG_DAEMON_HINT);
		return;
	}
	if (section != d->section) {
		config_error(p, p->line, "key '%s' belongs in [%s], not [%s]",
		    key, config_daemon_sections[section],
		    config_daemon_sections[d->section]);
		return;
	}
	line = o != NULL ? &d->olines[o - options_table] : &d->lines[k];
	if (!config_once(p, key, line))
		return;
	if (*value == '\0' && ((o != NULL && o->type != CLM_OPT_STRING) ||
	    (o == NULL && k != DK_SOCKET &&
	    k != DK_SOCKET_GROUP && k != DK_LOG_DIR &&
	    k != DK_METRICS_LISTEN))) {
		config_error(p, p->line, "%s needs a value (%s)", key,
		    CONFIG_DAEMON_HINT);
		return;
	}
	if (o != NULL) {
		config_option(p, o, value, &cfg->defaults);
		return;
	}

	switch (k) {
	case DK_SOCKET:
		config_daemon_path(d, value, &cfg->socket_path);
		if (cfg->socket_path != NULL &&
		    strlen(cfg->socket_path) > CONFIG_SUN_PATH_MAX) {
			config_error(p, p->line, "socket: the path is %zu bytes "
			    "long, a UNIX socket's may have at most %d "
			    "(choose a shorter one)", strlen(cfg->socket_path),
			    CONFIG_SUN_PATH_MAX);
		}
		break;
	case DK_SOCKET_MODE:
		config_daemon_mode(p, value, &cfg->socket_mode);
		break;
	case DK_SOCKET_GROUP:
		if (*value == '\0') {
			free(cfg->socket_group);
			cfg->socket_group = NULL;
		} else
			config_daemon_group(p, value, &cfg->socket_group);
		break;
	case DK_LOG_DIR:
		config_daemon_path(d, value, &cfg->log_dir);
		break;
	case DK_BACKOFF_INITIAL:
		config_duration(p, key, value, 1, &cfg->backoff_initial_ms);
		break;
	case DK_BACKOFF_MAX:
		config_duration(p, key, value, 1, &cfg->backoff_max_ms);
		break;
	case DK_METRICS_LISTEN: {
		struct clm_listen_addr	a;
		char			*why = NULL;

		free(cfg->metrics_listen);
		cfg->metrics_listen = NULL;
		if (*value == '\0')
			break;
		if (listeners_parse(value, &a, &why) == -1) {
			config_error(p, p->line, "metrics_listen: %s", why);
			free(why);
			break;
		}
		listeners_addr_clear(&a);
		cfg->metrics_listen = clm_strdup(value);
		break;
	}
	}
}

int
config_load_daemon(const char *path, struct clm_daemon_config *cfg,
    char ***errors)
{
	struct config_daemon	 d;
	char			*cause;

	*errors = NULL;
	memset(&d, 0, sizeof d);
	d.p.section = config_daemon_section;
	d.p.key = config_daemon_key;
	d.section = -1;
	d.cfg = *cfg;
	options_copy(&d.cfg.defaults, &cfg->defaults);
	d.cfg.socket_path = clm_strdup(cfg->socket_path);
	d.cfg.socket_group = clm_strdup(cfg->socket_group);
	d.cfg.log_dir = clm_strdup(cfg->log_dir);
	d.p.path = path;

	if ((d.folder = config_folder(path, &cause)) == NULL) {
		config_error(&d.p, 0, "%s", cause);
		free(cause);
	} else
		config_parse(&d.p, path);

	if (d.p.nerrors == 0) {
		if (d.cfg.backoff_max_ms < d.cfg.backoff_initial_ms) {
			config_error(&d.p, d.lines[DK_BACKOFF_MAX] != 0 ?
			    d.lines[DK_BACKOFF_MAX] :
			    d.lines[DK_BACKOFF_INITIAL], "backoff_max (%ums) "
			    "is less than backoff_initial (%ums)",
			    d.cfg.backoff_max_ms, d.cfg.backoff_initial_ms);
		}
		if (d.cfg.socket_group != NULL && d.lines[DK_SOCKET_MODE] == 0)
			d.cfg.socket_mode = 0660;
		else if (d.cfg.socket_group != NULL &&
		    (d.cfg.socket_mode & 0060) != 0060) {
			config_error(&d.p, d.lines[DK_SOCKET_MODE],
			    "socket_mode %04o gives socket_group '%s' no "
			    "access (use 0660)", (unsigned)d.cfg.socket_mode,
			    d.cfg.socket_group);
		}
	}

	free(d.folder);
	if (d.p.nerrors > 0) {
		config_daemon_free(&d.cfg);
		*errors = d.p.errors;
		return -1;
	}
	config_daemon_free(cfg);
	*cfg = d.cfg;
	return 0;
}

/* ------------------------------------------------------------------ */
/* App files. */

struct config_app {
	char			*name;
	int			 line;		/* of [name] */
	int			 lines[CLM_OPTIONS_MAX]; /* where each row of
						   options_table is set */
	struct clm_app_spec	*spec;	/* script, cwd, interpreter as written */
	char		       **env;	/* KEY=VALUE of env.KEY lines */
	int			*env_lines;
	size_t			 nenv;
	char		       **penv;	/* KEY=VALUE of env_NAME.KEY lines */
	char		       **pnames; /* ... and their NAME */
};

struct config_apps {
	struct config_parser	 p;	/* first: callbacks cast */
	struct config_app	*v;
	size_t			 n;
	struct config_app	*cur;	/* NULL: outside any good section */
	bool			 bad_header;
	struct nametab		*lines;	/* app name -> its section's line */
};

static void
config_app_clear(struct config_app *a)
{
	free(a->name);
	clm_app_spec_free(a->spec);
	clm_strv_free(a->env);
	free(a->env_lines);
	clm_strv_free(a->penv);
	clm_strv_free(a->pnames);
}

/* env_NAME.KEY = VALUE: the profile NAME's (clm start --env NAME). */
static void
config_app_profile(struct config_parser *p, struct config_app *a,
    const char *key, const char *value)
{
	const char	*dot = strchr(key, '.');
	char		*name, *kv, *why = NULL, *shown;

	name = clm_strndup(key + 4, (size_t)(dot - key - 4));
	if (*name == '\0' || clm_app_name_check(name, &why) != 0 ||
	    dot[1] == '\0' || strcspn(dot + 1, "= \t") != strlen(dot + 1)) {
		shown = clm_shown(key);
		config_error(p, p->line, "'%s' does not name a profile and a "
		    "variable (write env_PROFILE.NAME = VALUE)", shown);
		free(shown);
		free(why);
		free(name);
		return;
	}
	kv = clm_asprintf("%s=%s", dot + 1, value);
	clm_strv_push(&a->penv, kv);
	clm_strv_push(&a->pnames, name);
	free(kv);
	free(name);
}

static void
config_apps_section(struct config_parser *p, const char *name)
{
	struct config_apps	*f = (struct config_apps *)p;
	struct config_app	*a;
	char			*cause;
	intptr_t		 line;

	f->cur = NULL;
	f->bad_header = true;
	if (name == NULL)
		return;
	if (clm_app_name_check(name, &cause) != 0) {
		config_error(p, p->line, "%s (the section name is the app's "
		    "name)", cause);
		free(cause);
		return;
	}
	if ((line = (intptr_t)nametab_get(f->lines, name)) != 0) {
		config_error(p, p->line, "duplicate section [%s] (also on line "
		    "%d; each app needs a name of its own)", name, (int)line);
		return;
	}
	if (f->n == CLM_APPS_MAX) {
		config_error(p, p->line, "more than %d apps in one file",
		    CLM_APPS_MAX);
		p->full = true;
		return;
	}
	f->v = clm_realloc(f->v, (f->n + 1) * sizeof *f->v);
	a = &f->v[f->n++];
	memset(a, 0, sizeof *a);
	a->name = clm_strdup(name);
	a->line = p->line;
	a->spec = clm_app_spec_new();
	a->spec->name = clm_strdup(name);
	nametab_put(f->lines, name, (void *)(intptr_t)p->line);
	f->cur = a;
	f->bad_header = false;
}

static void
config_app_env(struct config_parser *p, struct config_app *a,
    const char *key, const char *value)
{
	const char	*name = key + 4;
	char		*shown, *kv;
	size_t		 i, len;

	len = strlen(name);
	if (len == 0 || strcspn(name, "= \t") != len) {
		shown = clm_shown(key);
		config_error(p, p->line, "'%s' does not name a variable (write "
		    "env.NAME = VALUE; NAME without '=' or blanks)", shown);
		free(shown);
		return;
	}
	for (i = 0; i < a->nenv; i++) {
		if (strncmp(a->env[i], name, len) == 0 &&
		    a->env[i][len] == '=') {
			config_error(p, p->line, "'%s' is already set on line "
			    "%d (set each key once)", key, a->env_lines[i]);
			return;
		}
	}
	kv = clm_asprintf("%s=%s", name, value);
	clm_strv_push(&a->env, kv);
	free(kv);
	a->env_lines = clm_realloc(a->env_lines, (a->nenv + 1) *
	    sizeof *a->env_lines);
	a->env_lines[a->nenv++] = p->line;
}

/* Whether the first len bytes of key are a typo of "env". */
static bool
config_env_typo(const char *key, size_t len)
{
	char	*prefix;
	bool	 typo;

	if (len == 0 || len > 4)
		return false;
	prefix = clm_strndup(key, len);
	typo = clm_distance(prefix, "env") <= 1;
	free(prefix);
	return typo;
}

/* The keys of an app file's section; NULL-terminated, static. */
static const char *const *
config_app_keys(void)
{
	static const char	*keys[CLM_OPTIONS_MAX + 1];
	size_t			 i, n = 0;

	if (keys[0] != NULL)
		return keys;
	for (i = 0; i < options_count; i++) {
		if ((options_table[i].flags & CLM_OPT_FILE) &&
		    options_table[i].type != CLM_OPT_ENV)
			keys[n++] = options_table[i].key;
	}
	keys[n] = NULL;
	return keys;
}

/* "the keys are script, args, ... and env.NAME" */
static char *
config_app_hint(void)
{
	const char *const	*keys = config_app_keys();
	char			*hint, *tmp;
	size_t			 i;

	hint = clm_strdup("the keys are");
	for (i = 0; keys[i] != NULL; i++) {
		tmp = clm_asprintf("%s %s%s", hint, keys[i],
		    keys[i + 1] != NULL ? "," : "");
		free(hint);
		hint = tmp;
	}
	tmp = clm_asprintf("%s and env.NAME", hint);
	free(hint);
	return tmp;
}

/* Where an app's key was set; 0: not. */
static int
config_app_line(const struct config_app *a, const char *key)
{
	return a->lines[options_by_key(key) - options_table];
}

static void
config_apps_key1(struct config_parser *p, const char *key, const char *value)
{
	struct config_apps	*f = (struct config_apps *)p;
	struct config_app	*a = f->cur;
	const struct clm_option	*o;
	const char		*name;
	char			*shown, *hint;
	int			*line;

	if (a == NULL) {
		if (!f->bad_header) {
			shown = clm_shown(key);
			config_error(p, p->line, "key '%s' is outside any "
			    "section (put it under the [NAME] of its app)",
			    shown);
			free(shown);
		}
		return;
	}
	if (strncmp(key, "env.", 4) == 0) {
		config_app_env(p, a, key, value);
		return;
	}
	if (strncmp(key, "env_", 4) == 0 && strchr(key, '.') != NULL) {
		config_app_profile(p, a, key, value);
		return;
	}
	o = options_by_key(key);
	if (o == NULL || (o->flags & CLM_OPT_FILE) == 0 ||
	    o->type == CLM_OPT_ENV) {
		/* "evn.PORT", "Env.PORT": an env.NAME line. */
		name = strchr(key, '.');
		if (name != NULL && config_env_typo(key, (size_t)(name -
		    key))) {
			shown = clm_shown(key);
			config_error(p, p->line, "unknown key '%s' in [%s] "
			    "(did you mean 'env%s'?)", shown, a->name, name);
			free(shown);
			return;
		}
		hint = config_app_hint();
		config_unknown_key(p, key, a->name, config_app_keys(), hint);
		free(hint);
		return;
	}
	/* Lists and args may take several lines. */
	line = &a->lines[o - options_table];
	if (o->type != CLM_OPT_ARGS && o->type != CLM_OPT_LIST &&
	    !config_once(p, key, line))
		return;
	if (*line == 0)
		*line = p->line;
	if (*value == '\0' && o->type != CLM_OPT_ARGS) {
		config_error(p, p->line, "%s needs a value", key);
		return;
	}
	config_option(p, o, value, a->spec);
}

/*
 * One rule for quotes in an app file, as a shell reads a word: args are
 * split into words (quotes group them and go); any other value that
 * starts with a quote is one such word, its quotes removed
 * (env.GREETING = "Hi there" is Hi there). An inline comment starts at
 * ';' after a blank, quoted or not.
 */
static void
config_apps_key(struct config_parser *p, const char *key, const char *value)
{
	const struct clm_option	*o = options_by_key(key);
	char			**words = NULL, *cause = NULL, *shown;

	if ((value[0] != '"' && value[0] != '\'') ||
	    (o != NULL && o->type == CLM_OPT_ARGS)) {
		config_apps_key1(p, key, value);
		return;
	}
	shown = clm_shown(value);
	if (options_split_args(value, &words, &cause) != 0)
		config_error(p, p->line, "%s: %s (in %s)", key, cause, shown);
	else if (words == NULL || words[0] == NULL || words[1] != NULL)
		config_error(p, p->line, "%s: quote the whole value (\"a b\"), "
		    "or none of it, not %s", key, shown);
	else
		config_apps_key1(p, key, words[0]);
	free(shown);
	free(cause);
	clm_strv_free(words);
}

/* a's env.KEY lines, with the env_PROFILE.KEY lines over them. */
static char **
config_app_own(const struct config_app *a, const char *profile)
{
	char	**own, **tmp, *one[2] = { NULL, NULL };
	size_t	  i;

	own = clm_strv_dup(a->env);
	for (i = 0; profile != NULL && a->penv != NULL && a->penv[i] != NULL;
	    i++) {
		if (strcmp(a->pnames[i], profile) != 0)
			continue;
		one[0] = a->penv[i];
		tmp = clm_env_merge(own, one);
		clm_strv_free(own);
		own = tmp;
	}
	return own;
}

/* Resolve an app's files; its spec, or NULL once reported. */
static struct clm_app_spec *
config_app_finish(struct config_parser *p, struct config_app *a,
    const char *folder, char *const *env, const char *profile)
{
	struct clm_app_spec	*spec = a->spec;
	const char		*field, *path_env = NULL;
	char			*cause, **own;
	size_t			 i;
	int			 line;

	if (config_app_line(a, "script") == 0 || spec->script == NULL) {
		if (config_app_line(a, "script") == 0)
			config_error(p, a->line, "[%s] has no script (add "
			    "script = PATH)", a->name);
		return NULL;
	}
	own = config_app_own(a, profile);
	clm_strv_free(spec->env);
	spec->env = clm_env_merge(env, own);
	for (i = 0; spec->env[i] != NULL; i++) {
		if (strncmp(spec->env[i], "PATH=", 5) == 0)
			path_env = spec->env[i] + 5;
	}
	if (clm_app_resolve(spec, folder, path_env, "set interpreter = PROG",
	    &field, &cause) != 0) {
		if (strcmp(field, "cwd") == 0) {
			line = config_app_line(a, "cwd") != 0 ? config_app_line(a, "cwd") :
			    a->line;
			config_error(p, line, "cwd: %s", cause);
		} else {
			line = strcmp(field, "interpreter") == 0 &&
			    config_app_line(a, "interpreter") != 0 ?
			    config_app_line(a, "interpreter") : config_app_line(a, "script");
			config_error(p, line, "%s", cause);
		}
		free(cause);
		clm_strv_free(own);
		return NULL;
	}
	if (dotenv_apply(spec, env, own, &cause) != 0) {
		line = config_app_line(a, "env_file");
		config_error(p, line, "env_file: %s", cause);
		free(cause);
		clm_strv_free(own);
		return NULL;
	}
	clm_strv_free(own);
	a->spec = NULL;
	return spec;
}

int
config_load_apps(const char *path, char *const *env, char *const *only,
    const char *profile, struct clm_app_spec ***apps, size_t *napps,
    char ***errors)
{
	struct config_apps	  f;
	struct clm_app_spec	**out = NULL, *spec;
	char			 *folder, *cause, *list, *tmp, *shown;
	size_t			  i, j, n = 0;

	*apps = NULL;
	*napps = 0;
	*errors = NULL;
	memset(&f, 0, sizeof f);
	f.lines = nametab_new();
	f.p.section = config_apps_section;
	f.p.key = config_apps_key;
	f.p.path = path;

	if ((folder = config_folder(path, &cause)) == NULL) {
		config_error(&f.p, 0, "%s", cause);
		free(cause);
		goto out;
	}
	config_parse(&f.p, path);
	if (f.p.nerrors == 0 && f.n == 0) {
		config_error(&f.p, 0, "no apps in the file (add a section "
		    "[NAME] with script = PATH)");
	}

	/* Every name of --only must be in the file. */
	for (i = 0; only != NULL && only[i] != NULL; i++) {
		if (nametab_get(f.lines, only[i]) != NULL || f.n == 0)
			continue;
		list = clm_strdup(f.v[0].name);
		for (j = 1; j < f.n && j < 10; j++) {
			tmp = clm_asprintf("%s, %s", list, f.v[j].name);
			free(list);
			list = tmp;
		}
		shown = clm_shown(only[i]);
		config_error(&f.p, 0, "no app named '%s' in the file (it has "
		    "%s%s)", shown, list, f.n > 10 ? ", ..." : "");
		free(shown);
		free(list);
	}

	/* --env NAME: a profile one of the apps has. */
	for (i = 0; profile != NULL && f.p.nerrors == 0 && i < f.n; i++) {
		for (j = 0; f.v[i].pnames != NULL &&
		    f.v[i].pnames[j] != NULL; j++) {
			if (strcmp(f.v[i].pnames[j], profile) == 0)
				break;
		}
		if (f.v[i].pnames != NULL && f.v[i].pnames[j] != NULL)
			break;
	}
	if (profile != NULL && f.p.nerrors == 0 && i == f.n)
		config_error(&f.p, 0, "--env %s: no app of the file has "
		    "env_%s.NAME keys", profile, profile);

	out = clm_calloc(f.n + 1, sizeof *out);
	for (i = 0; i < f.n; i++) {
		if (only != NULL && !clm_strv_has(only, f.v[i].name))
			continue;
		if ((spec = config_app_finish(&f.p, &f.v[i], folder,
		    env, profile)) != NULL)
			out[n++] = spec;
	}

out:
	free(folder);
	for (i = 0; i < f.n; i++)
		config_app_clear(&f.v[i]);
	free(f.v);
	nametab_free(f.lines);
	if (f.p.nerrors > 0) {
		for (i = 0; i < n; i++)
			clm_app_spec_free(out[i]);
		free(out);
		*errors = f.p.errors;
		return -1;
	}
	*apps = out;
	*napps = n;
	return 0;
}
