/*
 * The dynamic loader's variables across clm-exec's switch to the app's
 * user. clm-exec starts as clmd's user (root) and becomes the app's: the
 * loader applies LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH... when clm-exec
 * itself is exec'd, so the app's values (and clm's preload) must not be
 * in clm-exec's environment then. clmd hands them over renamed
 * (CLM_EXEC_LD_PRELOAD=...); clm-exec clears any that are left, switches
 * user, and only then gives them their names back, for the app's exec.
 *
 * Header-only: clm-exec links nothing of clm's.
 */
#ifndef CLM_SECENV_H
#define CLM_SECENV_H

#include <stdbool.h>
#include <string.h>

#define SECENV_PREFIX	"CLM_EXEC_"

/* glibc's unsecure environment variables (unsecvars.h), and every LD_*. */
static inline bool
secenv_unsafe(const char *entry)
{
	static const char *const names[] = {
		"GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES",
		"LOCALDOMAIN", "LOCPATH", "MALLOC_TRACE", "NIS_PATH",
		"NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR",
		"TZDIR", "MALLOC_ARENA_MAX", "MALLOC_CHECK_",
	};
	size_t	i, len;

	if (strncmp(entry, "LD_", 3) == 0)
		return true;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		len = strlen(names[i]);
		if (strncmp(entry, names[i], len) == 0 &&
		    (entry[len] == '=' || entry[len] == '\0'))
			return true;
	}
	return false;
}

/* clmd: rename the unsafe entries of env (a NULL-terminated, malloc'd
 * vector of malloc'd strings) to SECENV_PREFIX NAME=VALUE. */
void secenv_hide(char **env);

/*
 * What an app run as another user gets of clm's environment (unless
 * inherit_env): LANG, LANGUAGE, LC_*, TZ, and a PATH of the system's
 * folders; clm-exec adds the user's HOME, USER, LOGNAME and SHELL. No
 * tokens, keys, SUDO_* or root's PATH. A new vector.
 */
#define SECENV_PATH	"/usr/local/bin:/usr/bin:/bin"
char **secenv_user_env(char *const *env);

#endif
