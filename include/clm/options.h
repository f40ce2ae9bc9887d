/*
 * The options of an app, defined once (as tmux's options-table.c): each
 * row names the option's `clm start` flag, its app-file key (also its
 * `clm describe` label and, for the options clm.ini's [defaults] may set,
 * its key there), its field on the wire, its type, limits, default and
 * help. The CLI parser (cli.c), the INI loader (config.c), the protocol
 * codec (proto.c), `clm describe` (render.c) and struct clm_app_spec's
 * life cycle (app.c) walk this table; none of them lists the options.
 *
 * Adding an option: a field in struct clm_app_spec (app.h), a row in
 * options.c, its line in README.md (and in config/clm.ini if [defaults]
 * may set it), and its behaviour where it acts. tests/unit/test_options.c
 * then tries the row at every entry and fails if a doc lacks it.
 */
#ifndef CLM_OPTIONS_H
#define CLM_OPTIONS_H

#include "clm/app.h"

enum clm_option_type {
	CLM_OPT_STRING,		/* char *; NULL: not set */
	CLM_OPT_ARGS,		/* char **: INI "split like a shell"; the
				   CLI's words after -- */
	CLM_OPT_LIST,		/* char **: repeatable; INI: comma-separated */
	CLM_OPT_ENV,		/* char ** of KEY=VALUE: INI env.NAME lines;
				   the CLI's environment */
	CLM_OPT_INSTANCES,	/* int: N, 0 or max, -1 (all cores but one) */
	CLM_OPT_INT,		/* int in [min, max] */
	CLM_OPT_DURATION,	/* uint32_t ms in [min, max]; "1.6s", "2m";
				   a plain number is milliseconds */
	CLM_OPT_SIZE,		/* uint64_t bytes: 0, or in [min, max];
				   "512K", "10M" (powers of 1024) */
	CLM_OPT_BOOL,		/* bool */
	CLM_OPT_SIGNAL,		/* int: a signal number; "SIGTERM", "15" */
	CLM_OPT_CHOICE,		/* int: an index of the row's choices;
				   choices[0] is what false/no/off means,
				   choices[1] what true/yes/on means */
};

/* Where a row may be set, and how. */
#define CLM_OPT_CLI		0x01	/* clm start --flag (or positional) */
#define CLM_OPT_FILE		0x02	/* a key of an app file's section */
#define CLM_OPT_DEFAULTS	0x04	/* clm.ini [defaults] may set it: a
					   spec holds "unset" until filled */
#define CLM_OPT_NEGATE		0x08	/* the flag sets the bool false; a
					   choice: --no-FLAG sets choices[0] */
#define CLM_OPT_REQUIRED	0x10	/* the wire field must be there */
#define CLM_OPT_WIRE		0x20	/* a field of the wire's spec */

/* Largest duration any option takes: one day. */
#define CLM_DURATION_MAX	86400000

struct clm_option {
	const char		*key;	/* app file key, describe label */
	const char		*flag;	/* clm start --flag, without "--" */
	char			 shrt;	/* -X; 0: none */
	const char		*json;	/* the field on the wire */
	enum clm_option_type	 type;
	size_t			 offset; /* in struct clm_app_spec */
	long long		 min;	/* numbers: limits */
	long long		 max;
	const char		*def;	/* default, as a user writes it; for
					   CLM_OPT_DEFAULTS rows, [defaults]'s */
	unsigned		 flags;	/* CLM_OPT_* */
	const char		*arg;	/* the value in --help: "MS", "SIZE" */
	const char		*help;	/* what it does ('\n': next line) */
	/* A further check of a string value (of each item of a list). */
	int			(*check)(const char *, char **);
	/* CLM_OPT_CHOICE: the values, NULL-terminated. */
	const char *const	*choices;
};

#define CLM_OPTIONS_MAX	64	/* rows, at most (per-row arrays) */

extern const struct clm_option	options_table[];
extern const size_t		options_count;

/* Rows by app file key (every row), by flag (name of len bytes, without
 * "--"; "no-FLAG" for a CLM_OPT_NEGATE choice), by wire field. NULL when
 * none. */
const struct clm_option *options_by_key(const char *key);
const struct clm_option *options_by_flag(const char *name, size_t len);
const struct clm_option *options_by_json(const char *field);

/* The row's field in spec. */
void *options_field(const struct clm_option *, struct clm_app_spec *);
const void *options_cfield(const struct clm_option *,
    const struct clm_app_spec *);

/* Every option unset (CLM_OPT_DEFAULTS rows) or at its default. */
void options_init(struct clm_app_spec *);
/* The CLM_OPT_DEFAULTS rows set to their defaults (what clm.ini lists). */
void options_defaults(struct clm_app_spec *);
/* Whether a CLM_OPT_DEFAULTS row is unset in spec (false for others). */
bool options_unset(const struct clm_option *, const struct clm_app_spec *);
/* Every unset option of spec set to that of def. */
void options_fill(struct clm_app_spec *, const struct clm_app_spec *def);
/* The CLM_OPT_DEFAULTS options set in from, copied to to (clm restart
 * NAME --listen-timeout 10s). */
void options_apply_set(struct clm_app_spec *to,
    const struct clm_app_spec *from);
/* Deep copy and release of the strings and vectors. */
void options_copy(struct clm_app_spec *to, const struct clm_app_spec *from);
void options_clear(struct clm_app_spec *);

/*
 * Parse a value as the user wrote it (a flag's, a key's) into spec. what
 * names the option in messages ("--kill-timeout", "kill_timeout"). A
 * list gets one more item (or several, comma-separated, with comma); a
 * bool flag without a value is NULL. 0, or -1 with *cause.
 */
int options_parse(const struct clm_option *, const char *what,
    const char *value, bool comma, struct clm_app_spec *, char **cause);

/*
 * Whether a number is within a row's limits (sizes: 0 too). -1 with
 * *cause ("must be ...", to follow the name of the field) if not. Every
 * entry (CLI, INI, wire) checks through here.
 */
int options_check_number(const struct clm_option *, long long v,
    char **cause);

/* A row's value for people (describe): "1600 ms", "10M", "SIGINT"; NULL
 * when a string or list is not set. The caller frees. */
char *options_format(const struct clm_option *, const struct clm_app_spec *);

/* A choice's index for s (a choice's name; true/yes/on: 1, false/no/off:
 * 0), or -1. */
int options_choice(const struct clm_option *, const char *s);

/* "1600", "1600ms", "1.6s", "2m" -> milliseconds; -1 if malformed. */
int options_parse_duration(const char *s, uint32_t *ms);
/* "512", "10K", "10M", "1G" (powers of 1024) -> bytes; -1 if malformed. */
int options_parse_size(const char *s, uint64_t *bytes);
/* Split s like a shell: blanks separate words, '...' quotes literally,
 * "..." quotes with \" \\ \$ \` escaped, \ escapes outside quotes. The
 * words are appended to *out. -1 with *cause. */
int options_split_args(const char *s, char ***out, char **cause);

/* An argument as options_split_args reads it back: quoted when a shell
 * would need it. The caller frees. */
char *options_quote(const char *s);

#endif
