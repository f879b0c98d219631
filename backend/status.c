#include <stdio.h>

#include "commands.h"

int status_cmd(const struct dc_opts *o, int argc, char **argv)
{
	(void)o; (void)argc;
	fprintf(stderr, "dcops: %s: not built yet\n", argv[0]);
	return 1;
}
