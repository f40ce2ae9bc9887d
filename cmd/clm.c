/* clm: the command line of the clm process manager. */
#include "clm/cli.h"

int
main(int argc, char **argv)
{
	return clm_cli_main(argc, argv);
}
