/* The clm command line: verbs, their options, and what they print. */
#ifndef CLM_CLI_H
#define CLM_CLI_H

#include "clm/app.h"

/* Exit codes of clm. */
#define CLM_EXIT_OK	0
#define CLM_EXIT_FAIL	1
#define CLM_EXIT_USAGE	2

int clm_cli_main(int argc, char **argv);

/*
 * The verb a word names: exactly, by alias (ls, del) or as a unique prefix.
 * NULL with *cause set ("unknown command: x", "ambiguous command: re, could
 * be: reload, restart").
 */
const char *clm_cli_resolve_verb(const char *word, char **cause);

/*
 * Parse the arguments of `clm start` (argv[0] is the first argument after
 * the verb). Fills spec (script made absolute against cwd and checked to be
 * a readable file; interpreter chosen by extension unless given). When the
 * one positional argument is not a file, *name_only is set and spec->name
 * holds it: "start the stopped app NAME". Returns 0, or the exit code
 * (CLM_EXIT_USAGE or CLM_EXIT_FAIL) with *cause set.
 */
int clm_cli_parse_start(int argc, char **argv, const char *cwd,
    struct clm_app_spec *spec, bool *name_only, char **cause);

/* Whether a word names an app file (it ends in .ini), not a script. */
bool clm_cli_is_app_file(const char *word);

/*
 * Parse the arguments of `clm start|reload FILE.ini [--only NAME[,NAME]]`
 * (argv[0] is the first argument after the verb): *file points into argv,
 * *only is the NULL-terminated list of names (NULL: every app; --only may
 * repeat). Returns 0, or CLM_EXIT_USAGE with *cause (any other option,
 * arguments after --, a bad name).
 */
int clm_cli_parse_app_file(int argc, char **argv, const char **file,
    char ***only, char **cause);

/* A verb of the table, for its man page and completion (clidoc.c):
 * flags are its options' long names, without "--" (clm_strv_free). */
struct clm_cli_doc {
	const char	*name;
	const char	*alias;		/* NULL: none */
	const char	*args;
	const char	*summary;
	const char	*help;		/* NULL: none */
	char		**flags;
};
bool clm_cli_verb_doc(size_t i, struct clm_cli_doc *);

/* clm --man-page=clm|clmd|clm.ini: the page in roff on stdout (the build
 * writes man/ with it); clm --completion=bash: the bash completion. */
int clm_clidoc_man(const char *page);
int clm_clidoc_bash(void);

#endif
