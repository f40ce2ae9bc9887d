/* clmd: the clm daemon. Parses its flags and runs. */
#include <stdio.h>
#include <string.h>

#include "clm/daemon.h"

static const char usage[] =
    "usage: clmd [--foreground] [--version] [--help]\n"
    "\n"
    "The clm daemon: supervises the apps of one CLM_HOME (default ~/.clm).\n"
    "Usually started by clm itself, or by systemd with --foreground.\n"
    "\n"
    "  -F, --foreground  stay attached; log to stderr as well as clmd.log\n"
    "  -V, --version     print the version and exit\n"
    "  -h, --help        print this help and exit\n";

int
main(int argc, char **argv)
{
	struct clm_daemon_options	opts = { 0 };
	int				i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--foreground") == 0 ||
		    strcmp(argv[i], "-F") == 0)
			opts.foreground = true;
		else if (strcmp(argv[i], "--version") == 0 ||
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
	return clm_daemon_run(&opts);
}
