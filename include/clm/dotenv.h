/*
 * dotenv files (env_file = .env): KEY=VALUE lines, as most tools read
 * them:
 *   # a comment          (whole line; also " # ..." after a bare value)
 *   export KEY=value     ("export " is allowed and ignored)
 *   KEY = bare value     (blanks around '=' and the value are trimmed)
 *   KEY='literal $x \n'  (single quotes: nothing is special)
 *   KEY="a\nb \"q\""     (double quotes: \n \t \r \\ \" \$ escapes)
 *   KEY=                 (an empty value)
 * A later line for the same KEY wins.
 */
#ifndef CLM_DOTENV_H
#define CLM_DOTENV_H

/* Append the file's variables to *env as KEY=VALUE (replacing a KEY it
 * already holds). -1 with *cause "PATH:LINE: what is wrong (the fix)" and
 * *env unchanged. */
int dotenv_read(const char *path, char ***env, char **cause);

/* The same of text (len bytes) read from path (named in messages). */
int dotenv_parse(const char *path, const char *text, size_t len,
    char ***env, char **cause);

/*
 * An app's environment: base (clm's), then the variables of its env_file
 * (made absolute against its cwd, which must be resolved), then own (its
 * env.NAME keys). -1 with *cause, spec unchanged.
 */
struct clm_app_spec;
int dotenv_apply(struct clm_app_spec *spec, char *const *base,
    char *const *own, char **cause);

#endif
