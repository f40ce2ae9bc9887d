/* Unit tests of issue 21's rules: log escaping, address spellings, the
 * loader's variables, the minimal environment, files root trusts. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/home.h"
#include "clm/listeners.h"
#include "clm/log.h"
#include "clm/secenv.h"
#include "unit.h"

static char *
slurp(const char *path)
{
	char	*buf = calloc(1, 65536);
	int	 fd = open(path, O_RDONLY);
	ssize_t	 n = fd == -1 ? -1 : read(fd, buf, 65535);

	if (fd != -1)
		close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return buf;
}

TEST(security_log_escapes_control_bytes)
{
	char	 path[] = "/tmp/clm-unit-log.XXXXXX", *cause = NULL, *text;
	int	 fd = mkstemp(path);

	ASSERT_TRUE(fd != -1);
	close(fd);
	ASSERT_EQ_INT(log_open(path, false, &cause), 0);
	log_warnx("app said %s", "a\x1b[31mb\nc\x7f");
	log_close();
	text = slurp(path);
	unlink(path);
	ASSERT_TRUE(strstr(text, "app said a\\x1b[31mb\\x0ac\\x7f\n") != NULL);
	ASSERT_TRUE(strchr(text, '\x1b') == NULL);
	ASSERT_TRUE(strchr(text, '\n') == text + strlen(text) - 1);
	free(text);
}

static void
normalised(int family, const char *host, int v6only, const char *want,
    int want_v6only)
{
	struct clm_listen_addr	a = { family, strdup(host), 80, v6only };

	ASSERT_EQ_INT(listeners_normalise(&a), 0);
	ASSERT_EQ_STR(a.host, want);
	ASSERT_EQ_INT(a.v6only, want_v6only);
	listeners_addr_clear(&a);
}

TEST(security_addresses_have_one_spelling)
{
	struct clm_listen_addr	bad = { AF_INET, strdup("\x1b[31m"), 80, 0 };

	normalised(AF_INET6, "0::", 0, "::", 0);
	normalised(AF_INET6, "0000:0000:0000:0000:0000:0000:0000:0000", 1,
	    "::", 1);
	normalised(AF_INET6, "::FFFF:7f00:1", 1, "::ffff:127.0.0.1", 0);
	normalised(AF_INET6, "0:0::1", 0, "::1", 1);
	normalised(AF_INET, "127.0.0.1", 1, "127.0.0.1", 0);
	ASSERT_EQ_INT(listeners_normalise(&bad), -1);
	listeners_addr_clear(&bad);
}

TEST(security_loader_variables)
{
	char	**env = NULL, **min;

	ASSERT_TRUE(secenv_unsafe("LD_PRELOAD=/x.so"));
	ASSERT_TRUE(secenv_unsafe("LD_AUDIT=/x.so"));
	ASSERT_TRUE(secenv_unsafe("LD_ANYTHING=1"));
	ASSERT_TRUE(secenv_unsafe("GCONV_PATH=/x"));
	ASSERT_TRUE(secenv_unsafe("GLIBC_TUNABLES=x"));
	ASSERT_FALSE(secenv_unsafe("PATH=/bin"));
	ASSERT_FALSE(secenv_unsafe("GCONV_PATHS=/x"));
	clm_strv_push(&env, "LD_PRELOAD=/x.so");
	clm_strv_push(&env, "HOME=/root");
	secenv_hide(env);
	ASSERT_EQ_STR(env[0], "CLM_EXEC_LD_PRELOAD=/x.so");
	ASSERT_EQ_STR(env[1], "HOME=/root");
	clm_strv_push(&env, "LANG=C.UTF-8");
	clm_strv_push(&env, "LC_TIME=C");
	clm_strv_push(&env, "AWS_SECRET_ACCESS_KEY=k");
	clm_strv_push(&env, "PATH=/root/bin:/usr/bin");
	min = secenv_user_env(env);
	ASSERT_EQ_INT(clm_strv_len(min), 3);
	ASSERT_EQ_STR(min[0], "PATH=" SECENV_PATH);
	ASSERT_EQ_STR(min[1], "LANG=C.UTF-8");
	ASSERT_EQ_STR(min[2], "LC_TIME=C");
	clm_strv_free(min);
	clm_strv_free(env);
}

TEST(security_root_trusts_only_roots_files)
{
	char	 dir[] = "/tmp/clm-unit-trust.XXXXXX", *file, *cause = NULL;

	if (geteuid() != 0)
		return;		/* the rule is root's only */
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	file = malloc(strlen(dir) + 16);
	sprintf(file, "%s/clm.ini", dir);
	unit_write_file(file, "[daemon]\n", 0600);
	ASSERT_EQ_INT(clm_trust_path("the configuration", file, &cause), 0);
	chmod(file, 0620);
	ASSERT_EQ_INT(clm_trust_path("the configuration", file, &cause), -1);
	ASSERT_TRUE(strstr(cause, "chmod go-w") != NULL);
	free(cause);
	cause = NULL;
	chmod(file, 0600);
	ASSERT_EQ_INT(chown(file, 65534, 65534), 0);
	ASSERT_EQ_INT(clm_trust_path("the configuration", file, &cause), -1);
	ASSERT_TRUE(strstr(cause, "chown root") != NULL);
	free(cause);
	cause = NULL;
	ASSERT_EQ_INT(chown(file, 0, 0), 0);
	chmod(dir, 0777);
	ASSERT_EQ_INT(clm_trust_path("the configuration", file, &cause), -1);
	ASSERT_TRUE(strstr(cause, dir) != NULL);
	free(cause);
	chmod(dir, 01777);	/* sticky, like /tmp */
	cause = NULL;
	ASSERT_EQ_INT(clm_trust_path("the configuration", file, &cause), 0);
	unlink(file);
	rmdir(dir);
	free(file);
}
