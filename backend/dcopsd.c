#include <stdio.h>

int main(void)
{
	fprintf(stderr, "dcopsd: not built yet\n");
	return 1;
}
