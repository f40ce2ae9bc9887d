/* Unit tests of src/app.c. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clm/app.h"
#include "unit.h"

TEST(app_instances_resolve)
{
	static const struct {
		int	requested, ncpu, want;
		bool	clamped;
	} table[] = {
		{ 1, 2, 1, false },
		{ 2, 2, 2, false },
		{ 3, 2, 2, true },
		{ 99, 2, 2, true },
		{ 99, 8, 8, true },
		{ 4, 8, 4, false },
		{ 0, 2, 2, false },	/* max */
		{ 0, 1, 1, false },
		{ 0, 16, 16, false },
		{ -1, 2, 1, false },	/* all but one */
		{ -1, 1, 1, false },	/* ... at least one */
		{ -1, 8, 7, false },
		{ 1, 1, 1, false },
		{ 2, 1, 1, true },
		{ 2, 0, 1, true },	/* a bogus ncpu counts as 1 */
		{ 0, 0, 1, false },
	};
	size_t	i;
	bool	clamped;

	for (i = 0; i < CLM_ARRAY_SIZE(table); i++) {
		clamped = !table[i].clamped;
		ASSERT_EQ_INT(clm_instances_resolve(table[i].requested,
		    table[i].ncpu, &clamped), table[i].want);
		ASSERT_EQ_INT(clamped, table[i].clamped);
	}
	ASSERT_EQ_INT(clm_instances_resolve(5, 2, NULL), 2);
}

TEST(app_instances_parse)
{
	int	 n = 77;
	char	*cause = NULL;

	ASSERT_EQ_INT(clm_instances_parse("4", &n, &cause), 0);
	ASSERT_EQ_INT(n, 4);
	ASSERT_EQ_INT(clm_instances_parse("1", &n, &cause), 0);
	ASSERT_EQ_INT(n, 1);
	ASSERT_EQ_INT(clm_instances_parse("0", &n, &cause), 0);
	ASSERT_EQ_INT(n, CLM_INSTANCES_MAX);
	ASSERT_EQ_INT(clm_instances_parse("max", &n, &cause), 0);
	ASSERT_EQ_INT(n, CLM_INSTANCES_MAX);
	n = 5;
	ASSERT_EQ_INT(clm_instances_parse("MAX", &n, &cause), 0);
	ASSERT_EQ_INT(n, CLM_INSTANCES_MAX);
	ASSERT_EQ_INT(clm_instances_parse("-1", &n, &cause), 0);
	ASSERT_EQ_INT(n, CLM_INSTANCES_ALL_BUT_ONE);
	ASSERT_EQ_INT(clm_instances_parse("99", &n, &cause), 0);
	ASSERT_EQ_INT(n, 99);	/* clamping is the daemon's job */
	ASSERT_NULL(cause);

	ASSERT_EQ_INT(clm_instances_parse("-2", &n, &cause), -1);
	ASSERT_CONTAINS(cause, "'-2'");
	ASSERT_CONTAINS(cause, "max");
	ASSERT_CONTAINS(cause, "-1");
	free(cause);
	cause = NULL;
	ASSERT_EQ_INT(clm_instances_parse("two", &n, &cause), -1);
	ASSERT_CONTAINS(cause, "'two'");
	free(cause);
	cause = NULL;
	ASSERT_EQ_INT(clm_instances_parse("", &n, &cause), -1);
	free(cause);
	cause = NULL;
	ASSERT_EQ_INT(clm_instances_parse("3.5", &n, &cause), -1);
	free(cause);
	cause = NULL;
	ASSERT_EQ_INT(clm_instances_parse("99999999999", &n, &cause), -1);
	free(cause);
	cause = NULL;
	ASSERT_EQ_INT(clm_instances_parse("maximum", &n, &cause), -1);
	free(cause);
	ASSERT_EQ_INT(n, 99);	/* untouched by failures */
}

TEST(app_ncpu)
{
	int	n;

	n = clm_ncpu();
	ASSERT_TRUE(n >= 1);
	ASSERT_TRUE(n <= sysconf(_SC_NPROCESSORS_CONF) || n == 1);
}

static void
expect_bad_name(const char *name, const char *part)
{
	char	*cause = NULL;

	ASSERT_EQ_INT(clm_app_name_check(name, &cause), -1);
	ASSERT_NOT_NULL(cause);
	ASSERT_CONTAINS(cause, part);
	ASSERT_NULL(strchr(cause, '\n'));
	free(cause);
}

TEST(app_name_check)
{
	char	 name[CLM_NAME_MAX + 2];
	char	*cause = NULL;

	ASSERT_EQ_INT(clm_app_name_check("web", &cause), 0);
	ASSERT_EQ_INT(clm_app_name_check("a", &cause), 0);
	ASSERT_EQ_INT(clm_app_name_check("api_v2.beta-1", &cause), 0);
	ASSERT_EQ_INT(clm_app_name_check("_x", &cause), 0);
	ASSERT_EQ_INT(clm_app_name_check("0", &cause), 0);
	ASSERT_EQ_INT(clm_app_name_check("All", &cause), 0);
	ASSERT_EQ_INT(clm_app_name_check("allx", &cause), 0);
	ASSERT_NULL(cause);

	memset(name, 'a', CLM_NAME_MAX);
	name[CLM_NAME_MAX] = '\0';
	ASSERT_EQ_INT(clm_app_name_check(name, &cause), 0);	/* 64 */
	name[CLM_NAME_MAX] = 'a';
	name[CLM_NAME_MAX + 1] = '\0';
	expect_bad_name(name, "too long");			/* 65 */

	expect_bad_name("", "empty");
	expect_bad_name(NULL, "empty");
	expect_bad_name("all", "reserved");
	expect_bad_name(".hidden", "start");
	expect_bad_name("-x", "start");
	expect_bad_name("a b", "' '");
	expect_bad_name("a/b", "'/'");
	expect_bad_name("..", "start");
	expect_bad_name("x\ny", "0x0a");
	expect_bad_name("caf\xc3", "0xc3");	/* cut UTF-8 */
	expect_bad_name("caf\xe9", "0xe9");	/* Latin-1 */
	ASSERT_EQ_INT(clm_app_name_check("caf\xc3\xa9", &cause), 0);
	expect_bad_name("a:b", "letters, digits");
}

TEST(app_default_name)
{
	struct {
		const char	*script, *name;
	} table[] = {
		{ "index.js", "index" },
		{ "/srv/app/server.py", "server" },
		{ "./run.sh", "run" },
		{ "app.test.js", "app.test" },
		{ "/usr/bin/worker", "worker" },
		{ "dir.d/worker", "worker" },
		{ ".hidden", ".hidden" },
		{ "/a/b/c.mjs", "c" },
		{ "x.", "x" },
		{ "/srv/app/", "app" },
	};
	size_t	 i;
	char	*s;

	for (i = 0; i < CLM_ARRAY_SIZE(table); i++) {
		s = clm_app_default_name(table[i].script);
		ASSERT_EQ_STR(s, table[i].name);
		free(s);
	}
	ASSERT_NULL(clm_app_default_name(NULL));
}

TEST(app_default_interpreter)
{
	ASSERT_EQ_STR(clm_app_default_interpreter("index.js"), "node");
	ASSERT_EQ_STR(clm_app_default_interpreter("/a/b.mjs"), "node");
	ASSERT_EQ_STR(clm_app_default_interpreter("b.cjs"), "node");
	ASSERT_EQ_STR(clm_app_default_interpreter("app.py"), "python3");
	ASSERT_EQ_STR(clm_app_default_interpreter("run.sh"), "sh");
	ASSERT_EQ_STR(clm_app_default_interpreter("APP.PY"), "python3");
	ASSERT_NULL(clm_app_default_interpreter("worker"));
	ASSERT_NULL(clm_app_default_interpreter("a.out"));
	ASSERT_NULL(clm_app_default_interpreter("x.json"));
	ASSERT_NULL(clm_app_default_interpreter("x.jsx"));
	ASSERT_NULL(clm_app_default_interpreter("x.j"));
	ASSERT_NULL(clm_app_default_interpreter(".js"));
	ASSERT_NULL(clm_app_default_interpreter("dir.js/worker"));
	ASSERT_NULL(clm_app_default_interpreter(NULL));
}

TEST(app_signal_parse)
{
	ASSERT_EQ_INT(clm_signal_parse("SIGINT"), SIGINT);
	ASSERT_EQ_INT(clm_signal_parse("INT"), SIGINT);
	ASSERT_EQ_INT(clm_signal_parse("int"), SIGINT);
	ASSERT_EQ_INT(clm_signal_parse("sigint"), SIGINT);
	ASSERT_EQ_INT(clm_signal_parse("2"), SIGINT);
	ASSERT_EQ_INT(clm_signal_parse("SIGTERM"), SIGTERM);
	ASSERT_EQ_INT(clm_signal_parse("15"), SIGTERM);
	ASSERT_EQ_INT(clm_signal_parse("KILL"), SIGKILL);
	ASSERT_EQ_INT(clm_signal_parse("SIGUSR2"), SIGUSR2);
	ASSERT_EQ_INT(clm_signal_parse("hup"), SIGHUP);
	ASSERT_EQ_INT(clm_signal_parse("SIGQUIT"), SIGQUIT);
	ASSERT_EQ_INT(clm_signal_parse("SIGWINCH"), SIGWINCH);
	ASSERT_EQ_INT(clm_signal_parse("IOT"), SIGABRT);
	ASSERT_EQ_INT(clm_signal_parse("40"), 40);
	ASSERT_EQ_INT(clm_signal_parse("SIG40"), 40);
	ASSERT_EQ_INT(clm_signal_parse("64"), 64);

	ASSERT_EQ_INT(clm_signal_parse(""), -1);
	ASSERT_EQ_INT(clm_signal_parse(NULL), -1);
	ASSERT_EQ_INT(clm_signal_parse("0"), -1);
	ASSERT_EQ_INT(clm_signal_parse("65"), -1);
	ASSERT_EQ_INT(clm_signal_parse("-2"), -1);
	ASSERT_EQ_INT(clm_signal_parse("+2"), -1);
	ASSERT_EQ_INT(clm_signal_parse("SIG"), -1);
	ASSERT_EQ_INT(clm_signal_parse("SIGFOO"), -1);
	ASSERT_EQ_INT(clm_signal_parse("SIGSIGINT"), -1);
	ASSERT_EQ_INT(clm_signal_parse("SIG?"), -1);
	ASSERT_EQ_INT(clm_signal_parse("SIG2"), -1);
	ASSERT_EQ_INT(clm_signal_parse("SIG040"), -1);
	ASSERT_EQ_INT(clm_signal_parse("INT "), -1);
	ASSERT_EQ_INT(clm_signal_parse("2x"), -1);
}

TEST(app_signal_name)
{
	int	sig;

	ASSERT_EQ_STR(clm_signal_name(SIGINT), "SIGINT");
	ASSERT_EQ_STR(clm_signal_name(SIGKILL), "SIGKILL");
	ASSERT_EQ_STR(clm_signal_name(SIGTERM), "SIGTERM");
	ASSERT_EQ_STR(clm_signal_name(SIGSEGV), "SIGSEGV");
	ASSERT_EQ_STR(clm_signal_name(40), "SIG40");
	ASSERT_EQ_STR(clm_signal_name(0), "SIG?");
	ASSERT_EQ_STR(clm_signal_name(-1), "SIG?");
	ASSERT_EQ_STR(clm_signal_name(65), "SIG?");
	ASSERT_EQ_STR(clm_signal_name(1000), "SIG?");
	/* Every name reads back as its number. */
	for (sig = 1; sig <= 64; sig++)
		ASSERT_EQ_INT(clm_signal_parse(clm_signal_name(sig)), sig);
}

TEST(app_spec_new_copy_free)
{
	struct clm_app_spec	*a, *b;

	a = clm_app_spec_new();
	ASSERT_EQ_INT(a->instances, 1);
	ASSERT_EQ_INT(a->kill_signal, CLM_UNSET_SIGNAL);
	ASSERT_TRUE(a->kill_timeout_ms == CLM_UNSET_MS);
	ASSERT_TRUE(a->min_uptime_ms == CLM_UNSET_MS);
	ASSERT_EQ_INT(a->max_restarts, CLM_UNSET_RESTARTS);
	ASSERT_TRUE(a->listen_timeout_ms == CLM_UNSET_MS);
	ASSERT_TRUE(a->autorestart);
	ASSERT_NULL(a->name);
	ASSERT_NULL(a->args);
	ASSERT_NULL(a->env);

	a->name = clm_strdup("web");
	a->script = clm_strdup("/srv/web.js");
	clm_strv_push(&a->args, "--port");
	clm_strv_push(&a->env, "A=1");
	a->instances = 3;
	b = clm_app_spec_copy(a);
	ASSERT_TRUE(b->name != a->name);
	ASSERT_EQ_STR(b->name, "web");
	ASSERT_EQ_STR(b->script, "/srv/web.js");
	ASSERT_NULL(b->interpreter);
	ASSERT_NULL(b->cwd);
	ASSERT_TRUE(b->args != a->args);
	ASSERT_EQ_STR(b->args[0], "--port");
	ASSERT_EQ_STR(b->env[0], "A=1");
	ASSERT_EQ_INT(b->instances, 3);
	clm_app_spec_free(a);
	clm_app_spec_free(b);
	clm_app_spec_free(NULL);
	ASSERT_NULL(clm_app_spec_copy(NULL));
}

TEST(app_spec_fill_sets_only_unset_options)
{
	struct clm_app_spec	*a = clm_app_spec_new(), def;

	memset(&def, 0, sizeof def);
	def.kill_signal = 15;
	def.kill_timeout_ms = 5000;
	def.min_uptime_ms = 2000;
	def.max_restarts = 7;
	def.listen_timeout_ms = 9000;
	a->kill_timeout_ms = 250;	/* set by the user: kept */
	a->max_restarts = 0;		/* 0 is a value, not "unset" */
	clm_app_spec_fill(a, &def);
	ASSERT_EQ_INT(a->kill_signal, 15);
	ASSERT_EQ_INT(a->kill_timeout_ms, 250);
	ASSERT_EQ_INT(a->min_uptime_ms, 2000);
	ASSERT_EQ_INT(a->max_restarts, 0);
	ASSERT_EQ_INT(a->listen_timeout_ms, 9000);
	clm_app_spec_free(a);
}

TEST(app_env_minus_and_merge)
{
	char	*base[] = { "PATH=/bin", "HOME=/root", "A=1", NULL };
	char	*app[] = { "PATH=/bin", "HOME=/root", "A=2", "B=3", NULL };
	char	**own, **back;

	own = clm_env_minus(app, base);
	ASSERT_EQ_INT(clm_strv_len(own), 2);
	ASSERT_EQ_STR(own[0], "A=2");
	ASSERT_EQ_STR(own[1], "B=3");
	back = clm_env_merge(base, own);
	ASSERT_EQ_INT(clm_strv_len(back), 4);
	ASSERT_EQ_STR(back[0], "PATH=/bin");
	ASSERT_EQ_STR(back[1], "HOME=/root");
	ASSERT_EQ_STR(back[2], "A=2");
	ASSERT_EQ_STR(back[3], "B=3");
	clm_strv_free(back);
	/* A key is matched whole: AB= does not replace A=. */
	back = clm_env_merge((char *[]){ "AB=1", "A=0", NULL },
	    (char *[]){ "A=9", NULL });
	ASSERT_EQ_INT(clm_strv_len(back), 2);
	ASSERT_EQ_STR(back[0], "AB=1");
	ASSERT_EQ_STR(back[1], "A=9");
	clm_strv_free(back);
	clm_strv_free(own);
}
