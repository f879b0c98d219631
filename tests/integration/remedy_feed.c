/* remedy_feed — one telemetry cycle's events through remedy_cycle, the
 * entry point the telemetry reader calls, against a real database, for
 * tests/integration/remedy_xid.sh and tests/screen/xid_proposal.sh (built
 * there against the build's libdcops.a):
 *
 *   remedy_feed CONNINFO TABLE [OVERRIDE] < events
 *
 * Each line of stdin is one event, fields separated by tabs:
 *   kind node gpu code rise at [uuid]
 * (kind: xid, ecc_dbe, remap_failure, remap_pending, nvlink; at: epoch
 * seconds). All lines are one cycle, in one transaction as the reader
 * runs it. Prints "new N duplicate N unknown N opened N updated N
 * proposed N auto N stopped N ignored N" and exits 0, or prints the
 * error and exits 1 (the cycle rolled back). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/remedy/remedy.h"

#define FEED_MAX 4096

static const char *const kinds[] = { [TEL_XID] = "xid", [TEL_ECC_DBE] = "ecc_dbe",
	[TEL_REMAP_FAILURE] = "remap_failure", [TEL_REMAP_PENDING] = "remap_pending", [TEL_NVLINK] = "nvlink" };

static char *field(char **p)
{
	char *s = *p;
	if (!s)
		return NULL;
	char *tab = strchr(s, '\t');
	if (tab) {
		*tab = '\0';
		*p = tab + 1;
	} else {
		*p = NULL;
	}
	return s;
}

static int line_event(char *line, struct tel_event *ev)
{
	line[strcspn(line, "\n")] = '\0';
	char *p = line;
	char *k = field(&p), *node = field(&p), *gpu = field(&p), *code = field(&p), *rise = field(&p),
	     *at = field(&p), *uuid = field(&p);
	if (!at)
		return -1;
	int kind = -1;
	for (size_t i = 0; i < DC_ARRAY_LEN(kinds); i++)
		if (strcmp(k, kinds[i]) == 0)
			kind = (int)i;
	if (kind < 0)
		return -1;
	*ev = (struct tel_event){ .kind = (enum tel_event_kind)kind, .node = xstrdup(node), .gpu = atoi(gpu),
		.uuid = xstrdup(uuid ? uuid : ""), .code = atoll(code), .rise = atoll(rise), .at = (time_t)atoll(at) };
	return 0;
}

static int run(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: remedy_feed CONNINFO TABLE [OVERRIDE] < events\n");
		return 2;
	}
	struct dc_err err = {0};
	struct remedy r;
	if (remedy_load(&r, argv[2], argc > 3 ? argv[3] : NULL, &err) < 0) {
		fprintf(stderr, "remedy_feed: %s\n", err.msg);
		return 1;
	}
	static struct tel_event ev[FEED_MAX];
	size_t n = 0;
	char line[2048];
	while (n < FEED_MAX && fgets(line, sizeof line, stdin))
		if (line_event(line, &ev[n]) == 0)
			n++;
	PGconn *c = PQconnectdb(argv[1]);
	int rc = 1;
	struct remedy_stats st;
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "remedy_feed: %s", PQerrorMessage(c));
	} else if (run(c, "BEGIN") < 0 || remedy_cycle(&r, c, ev, n, &st, &err) < 0 || run(c, "COMMIT") < 0) {
		fprintf(stderr, "remedy_feed: %s\n", err.msg[0] ? err.msg : PQerrorMessage(c));
	} else {
		printf("new %d duplicate %d unknown %d opened %d updated %d proposed %d auto %d stopped %d ignored %d\n",
		       st.fresh, st.duplicate, st.unknown_node, st.opened, st.updated, st.proposed, st.auto_drained,
		       st.guard_stopped, st.ignored);
		rc = 0;
	}
	PQfinish(c);
	for (size_t i = 0; i < n; i++) {
		free((char *)ev[i].node);
		free((char *)ev[i].uuid);
	}
	remedy_free(&r);
	return rc;
}
