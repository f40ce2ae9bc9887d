/* clmd: the clm daemon. Parses its flags and runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clm/daemon.h"
#include "clm/handlers.h"
#include "clm/upgrade.h"

static const char usage[] =
    "usage: clmd [-Fn] [-f FILE] [--resurrect | --apps FILE] [--version] "
    "[--help]\n"
    "\n"
    "The clm daemon: supervises the apps of one CLM_HOME (default ~/.clm).\n"
    "Usually started by clm itself, or by systemd with --foreground.\n"
    "\n"
    "  -F, --foreground  stay attached; log to stderr as well as clmd.log\n"
    "  -f, --config FILE the configuration (default: $CLM_HOME/clm.ini if it\n"
    "                    exists; every key is in config/clm.ini)\n"
    "  -n, --check       check the configuration, print 'configuration OK'\n"
    "                    or its errors, and exit\n"
    "      --resurrect   start the apps saved by clm save (dump.json)\n"
    "      --apps FILE   start the apps of this app file (INI, or a PM2\n"
    "                    ecosystem file) once clmd listens: a container's\n"
    "                    job, with --foreground (SIGTERM stops them all)\n"
    "  -V, --version     print the version and exit\n"
    "  -h, --help        print this help and exit\n";

/* --apps FILE: refuse a bad file before anything starts. */
static int
check_apps(const struct clm_daemon_options *o)
{
	struct clm_app_spec	**specs;
	char			**errors = NULL;
	size_t			  n, i;

	if (o->resurrect) {
		fprintf(stderr, "clmd: --apps and --resurrect: choose one\n");
		return 2;
	}
	if (handlers_load_file(o->apps, &specs, &n, &errors) == -1) {
		for (i = 0; errors != NULL && errors[i] != NULL; i++)
			fprintf(stderr, "clmd: %s\n", errors[i]);
		clm_strv_free(errors);
		return 1;
	}
	for (i = 0; i < n; i++)
		clm_app_spec_free(specs[i]);
	free(specs);
	return 0;
}

int
main(int argc, char **argv)
{
	struct clm_daemon_options	opts = { 0 };
	long long			n;
	char				*apps = NULL;
	int				i, rc;

	opts.upgrade_fd = -1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--foreground") == 0 ||
		    strcmp(argv[i], "-F") == 0)
			opts.foreground = true;
		else if (strcmp(argv[i], "--check") == 0 ||
		    strcmp(argv[i], "-n") == 0)
			opts.check_only = true;
		else if (strcmp(argv[i], "--resurrect") == 0)
			opts.resurrect = true;
		else if (strcmp(argv[i], "--apps") == 0) {
			if (++i == argc) {
				fprintf(stderr, "clmd: --apps needs an app file "
				    "(see clmd --help)\n");
				return 2;
			}
			opts.apps = argv[i];
		}
		else if (strcmp(argv[i], "--check-upgrade") == 0)
			/* clm update asks: can you take my state? */
			return upgrade_check_answer(argc - i - 1, argv + i + 1);
		else if (strcmp(argv[i], "--upgrade-from") == 0) {
			if (++i == argc || clm_parse_int(argv[i], 0, 65535,
			    &n) == -1) {
				fprintf(stderr, "clmd: --upgrade-from needs a "
				    "file descriptor\n");
				return 2;
			}
			opts.upgrade_fd = (int)n;
		}
		else if (strcmp(argv[i], "--config") == 0 ||
		    strcmp(argv[i], "-f") == 0) {
			if (++i == argc) {
				fprintf(stderr, "clmd: %s needs a file (see "
				    "clmd --help)\n", argv[i - 1]);
				return 2;
			}
			opts.config = argv[i];
		} else if (strcmp(argv[i], "--version") == 0 ||
		    strcmp(argv[i], "-V") == 0) {
			printf("clmd %s (protocol %d)\n", CLM_VERSION,
			    CLM_PROTOCOL_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "clmd: unknown option '%s' (see "
			    "clmd --help)\n", argv[i]);
			return 2;
		}
	}
	if (opts.apps != NULL) {
		if ((rc = check_apps(&opts)) != 0)
			return rc;
		/* The daemon may leave this folder: an absolute path. */
		if ((apps = realpath(opts.apps, NULL)) != NULL)
			opts.apps = apps;
	}
	rc = clm_daemon_run(&opts);
	free(apps);
	return rc;
}
