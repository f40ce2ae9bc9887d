/*
 * config_load_apps: `clm start apps.ini` and `clm reload apps.ini`. Any
 * file gives apps (complete, resolved) or errors naming the file and line.
 */
#include "clm/config.h"
#include "fuzz_config.h"

static char *env[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root",
    "LANG=C", NULL };
static char *only[] = { "web", "api", NULL };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clm_app_spec	**apps = NULL;
	char			**errors = NULL;
	size_t			  n = 0, i;

	fuzz_write_input(data, size);
	/* Odd sizes also exercise --only web,api. */
	if (config_load_apps(fuzz_file, env, size % 2 ? only : NULL, NULL, &apps,
	    &n, &errors) != 0) {
		FUZZ_CHECK(apps == NULL && n == 0, "apps on failure");
		fuzz_check_errors(errors);
		clm_strv_free(errors);
		return 0;
	}
	FUZZ_CHECK(errors == NULL, "errors on success");
	FUZZ_CHECK(n > 0 || size % 2, "no apps and no error");
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(apps[i] != NULL, "app %zu NULL", i);
		FUZZ_CHECK(apps[i]->name != NULL, "app %zu: no name", i);
		FUZZ_CHECK(apps[i]->script != NULL &&
		    apps[i]->script[0] == '/', "app %zu: script not "
		    "absolute", i);
		FUZZ_CHECK(apps[i]->cwd != NULL && apps[i]->cwd[0] == '/',
		    "app %zu: cwd not absolute", i);
		FUZZ_CHECK(apps[i]->env != NULL, "app %zu: no env", i);
		clm_app_spec_free(apps[i]);
	}
	free(apps);
	return 0;
}
