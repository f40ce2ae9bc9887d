/*
 * config_load_daemon: clm.ini (clmd -f FILE, clmd -n). Any file gives a
 * configuration or errors naming the file and line; on failure the
 * configuration passed in is left as it was.
 */
#include "clm/config.h"
#include "fuzz_config.h"

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
	struct clm_daemon_config	  cfg, def;
	char				**errors = NULL;

	fuzz_write_input(data, size);
	config_daemon_defaults(&cfg);
	config_daemon_defaults(&def);
	if (config_load_daemon(fuzz_file, &cfg, &errors) != 0) {
		fuzz_check_errors(errors);
		clm_strv_free(errors);
		FUZZ_CHECK(cfg.defaults.kill_timeout_ms ==
		    def.defaults.kill_timeout_ms &&
		    cfg.socket_mode == def.socket_mode &&
		    cfg.socket_path == NULL && cfg.socket_group == NULL &&
		    cfg.log_dir == NULL, "configuration changed on failure");
	} else {
		FUZZ_CHECK(errors == NULL, "errors on success");
		FUZZ_CHECK(cfg.backoff_initial_ms <= cfg.backoff_max_ms,
		    "backoff_initial %u > backoff_max %u",
		    cfg.backoff_initial_ms, cfg.backoff_max_ms);
		FUZZ_CHECK((cfg.socket_mode & ~0777u) == 0, "socket_mode %o",
		    (unsigned)cfg.socket_mode);
		FUZZ_CHECK(cfg.socket_path == NULL ||
		    strlen(cfg.socket_path) < 108, "socket_path too long");
	}
	config_daemon_free(&cfg);
	config_daemon_free(&def);
	return 0;
}
