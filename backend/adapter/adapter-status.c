/* adapter-status.c — see adapter-status.h. */
#include "adapter/adapter-status.h"

#include <stdio.h>

#include "db.h"

int adapter_report(PGconn *c, const char *name, enum adapter_state state, const char *error,
                   int interval_s, struct dc_err *err)
{
	static const char *const states[] = { [ADAPTER_UP] = "up", [ADAPTER_DOWN] = "down",
		[ADAPTER_STOPPED] = "stopped" };
	char interval[16];
	snprintf(interval, sizeof interval, "%d", interval_s);
	const char *p[] = { name, states[state], error ? error : "", interval };
	PGresult *r = db_exec(c, err, "SELECT dcops.adapter_report($1, $2, $3, $4::integer)", 4, p);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}
