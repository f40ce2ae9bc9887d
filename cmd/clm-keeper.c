/*
 * clm-keeper: holds what a crash of clmd must not lose (see
 * include/clm/keeper.h). clmd starts it with its socket as fd 3.
 */
#include <stdio.h>
#include <string.h>

#include "clm/keeper.h"

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("clm-keeper %s\n", CLM_VERSION);
		return 0;
	}
	return keeper_main(argc, argv);
}
