/* dotenv files: see dotenv.h. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clm/app.h"
#include "clm/config.h"
#include "clm/dotenv.h"

static bool
dotenv_key_char(char c, bool first)
{
	if (isalpha((unsigned char)c) || c == '_')
		return true;
	return !first && (isdigit((unsigned char)c) || c == '.' || c == '-');
}

/* The value at s (n bytes: the rest of the line) into *out; NULL on
 * success, else what is wrong. */
static const char *
dotenv_value(const char *s, size_t n, char **out)
{
	const char	*end = s + n, *p;
	char		*v, *w;
	char		 q;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s < end && (*s == '\'' || *s == '"')) {
		q = *s++;
		v = w = clm_malloc((size_t)(end - s) + 1);
		for (p = s; p < end && *p != q; p++) {
			if (q == '"' && *p == '\\' && p + 1 < end) {
				p++;
				switch (*p) {
				case 'n': *w++ = '\n'; break;
				case 't': *w++ = '\t'; break;
				case 'r': *w++ = '\r'; break;
				default: *w++ = *p; break;
				}
			} else
				*w++ = *p;
		}
		*w = '\0';
		if (p == end) {
			free(v);
			return q == '"' ? "the \" quote is not closed on this "
			    "line (close it; write a newline as \\n)" :
			    "the ' quote is not closed on this line (close it)";
		}
		for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
			/* nothing */;
		if (p < end && *p != '#') {
			free(v);
			return "text after the closing quote (put it inside "
			    "the quotes, or start a comment with #)";
		}
		*out = v;
		return NULL;
	}
	/* Bare: up to a " #" comment, blanks trimmed. */
	for (p = s; p < end; p++) {
		if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t'))
			break;
	}
	while (p > s && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	*out = clm_strndup(s, (size_t)(p - s));
	return NULL;
}

int
dotenv_parse(const char *path, const char *text, size_t len, char ***env,
    char **cause)
{
	const char	*s, *nl, *end = text + len, *why, *k;
	char		**vars = NULL, **merged, *value, *kv, *shown, *key;
	size_t		 n, klen;
	int		 line = 0;

	for (s = text; s < end; s = nl != NULL ? nl + 1 : end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		line++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (n == 0 || *s == '#')
			continue;
		if (n > 7 && strncmp(s, "export", 6) == 0 &&
		    (s[6] == ' ' || s[6] == '\t')) {
			s += 7;
			n -= 7;
			while (n > 0 && (*s == ' ' || *s == '\t')) {
				s++;
				n--;
			}
		}
		for (klen = 0; klen < n && dotenv_key_char(s[klen],
		    klen == 0); klen++)
			/* nothing */;
		k = s + klen;
		while (k < s + n && (*k == ' ' || *k == '\t'))
			k++;
		if (klen == 0 || k == s + n || *k != '=') {
			key = clm_strndup(s, n);
			shown = clm_shown(key);
			*cause = clm_asprintf("%s:%d: '%s' is not KEY=VALUE "
			    "(a KEY is letters, digits and _, not starting "
			    "with a digit; comments start with #)", path,
			    line, shown);
			free(shown);
			free(key);
			clm_strv_free(vars);
			return -1;
		}
		k++;
		if ((why = dotenv_value(k, (size_t)(s + n - k), &value)) !=
		    NULL) {
			*cause = clm_asprintf("%s:%d: %s", path, line, why);
			clm_strv_free(vars);
			return -1;
		}
		key = clm_strndup(s, klen);
		kv = clm_asprintf("%s=%s", key, value);
		merged = clm_env_merge(vars, (char *[]){ kv, NULL });
		clm_strv_free(vars);
		vars = merged;
		free(kv);
		free(key);
		free(value);
	}
	merged = clm_env_merge(*env, vars);
	clm_strv_free(vars);
	clm_strv_free(*env);
	*env = merged;
	return 0;
}

int
dotenv_read(const char *path, char ***env, char **cause)
{
	char	*buf, *why;
	size_t	 len;
	int	 rc;

	if (config_read_file(path, &buf, &len, &why) != 0) {
		*cause = clm_asprintf("%s: %s", path, why);
		free(why);
		return -1;
	}
	rc = dotenv_parse(path, buf, len, env, cause);
	free(buf);
	return rc;
}

int
dotenv_apply(struct clm_app_spec *spec, char *const *base, char *const *own,
    char **cause)
{
	char	**env = clm_strv_dup(base), *path = NULL, **tmp;

	if (env == NULL)
		env = clm_calloc(1, sizeof *env);
	if (spec->env_file != NULL) {
		path = clm_path_join(spec->cwd != NULL ? spec->cwd : "/",
		    spec->env_file);
		if (dotenv_read(path, &env, cause) != 0) {
			free(path);
			clm_strv_free(env);
			return -1;
		}
		free(spec->env_file);
		spec->env_file = path;
	}
	tmp = clm_env_merge(env, own);
	clm_strv_free(env);
	clm_strv_free(spec->env);
	spec->env = tmp;
	return 0;
}
