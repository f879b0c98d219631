#include <stdio.h>

#include "app.h"

int app_run(const struct dc_opts *o)
{
	(void)o;
	fprintf(stderr, "dcops: the console is not built yet\n");
	return 1;
}
