/* The loader's variables, renamed for clm-exec (see secenv.h). */
#include <stdlib.h>
#include <string.h>

#include "clm/common.h"
#include "clm/secenv.h"

void
secenv_hide(char **env)
{
	char	*s;
	size_t	 i;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (!secenv_unsafe(env[i]))
			continue;
		s = clm_asprintf("%s%s", SECENV_PREFIX, env[i]);
		free(env[i]);
		env[i] = s;
	}
}

char **
secenv_user_env(char *const *env)
{
	static const char *const keep[] = { "LANG=", "LANGUAGE=", "LC_",
	    "TZ=" };
	char	**out = NULL;
	size_t	  i, k;

	clm_strv_push(&out, "PATH=" SECENV_PATH);
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		for (k = 0; k < CLM_ARRAY_SIZE(keep); k++) {
			if (strncmp(env[i], keep[k], strlen(keep[k])) == 0) {
				clm_strv_push(&out, env[i]);
				break;
			}
		}
	}
	return out;
}
