/* The loader's variables, renamed for clm-exec (see secenv.h). */
#include <stdlib.h>

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
