/* diag-audit.c — see diag-audit.h. One PGconn, one state machine:
 * CONNECTING (PQconnectPoll) -> SENT (one query) -> done. */
#include "diag-audit.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "db.h"
#include "util.h"

#define DEADLINE_MS 10000

struct diag_audit {
	struct loop *loop;
	PGconn *conn;
	int sock;
	bool sent;
	uint64_t t_deadline, t_done;
	char *params[6];
	diag_audit_done_fn done;
	void *ud;
	bool ok;
	char msg[512];
};

static const char sql[] =
	"SELECT (r).audit_id FROM (SELECT dcops.diag_record($1, $2, $3::int, $4::bigint, $5::bool, $6) AS r) s";

static void release(struct diag_audit *a)
{
	loop_timer_cancel(a->loop, a->t_deadline);
	loop_timer_cancel(a->loop, a->t_done);
	if (a->sock >= 0)
		loop_fd_del(a->loop, a->sock);
	if (a->conn)
		PQfinish(a->conn);
	for (size_t i = 0; i < DC_ARRAY_LEN(a->params); i++)
		free(a->params[i]);
	free(a);
}

static void on_done(struct loop *l, void *ud)
{
	(void)l;
	struct diag_audit *a = ud;
	a->t_done = 0;
	diag_audit_done_fn done = a->done;
	void *dud = a->ud;
	bool ok = a->ok;
	char msg[sizeof a->msg];
	snprintf(msg, sizeof msg, "%s", a->msg);
	release(a);
	if (done)
		done(dud, ok, msg);
}

/* Ends from a 0 ms timer, so done never runs inside diag_audit_record. */
static void finish(struct diag_audit *a, bool ok, const char *fmt, ...) DC_PRINTF(3, 4);
static void finish(struct diag_audit *a, bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	char *nl = strchr(a->msg, '\n');
	if (nl)
		*nl = '\0';
	a->ok = ok;
	if (a->sock >= 0)
		loop_fd_del(a->loop, a->sock);
	a->sock = -1;
	loop_timer_cancel(a->loop, a->t_deadline);
	a->t_deadline = 0;
	if (!a->t_done)
		a->t_done = loop_timer_add(a->loop, 0, on_done, a);
}

static void on_deadline(struct loop *l, void *ud)
{
	(void)l;
	struct diag_audit *a = ud;
	a->t_deadline = 0;
	finish(a, false, "no answer from the database in %d s", DEADLINE_MS / 1000);
}

static void on_fd(struct loop *l, int fd, unsigned events, void *ud);

static void watch_fd(struct diag_audit *a, unsigned events)
{
	int s = PQsocket(a->conn);
	if (a->sock >= 0 && a->sock != s)
		loop_fd_del(a->loop, a->sock);
	if (a->sock == s)
		loop_fd_mod(a->loop, s, events);
	else
		loop_fd_add(a->loop, s, events, on_fd, a);
	a->sock = s;
}

static void send_query(struct diag_audit *a)
{
	if (!PQsendQueryParams(a->conn, sql, 6, NULL, (const char *const *)a->params, NULL, NULL, 0)) {
		finish(a, false, "%s", PQerrorMessage(a->conn));
		return;
	}
	a->sent = true;
	watch_fd(a, PQflush(a->conn) == 1 ? LOOP_READ | LOOP_WRITE : LOOP_READ);
}

static void read_result(struct diag_audit *a)
{
	if (!PQconsumeInput(a->conn)) {
		finish(a, false, "%s", PQerrorMessage(a->conn));
		return;
	}
	if (PQflush(a->conn) == 1)
		return;
	bool got = false;
	while (!PQisBusy(a->conn)) {
		PGresult *r = PQgetResult(a->conn);
		if (!r)
			break;
		if (!got) {
			got = true;
			if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
				finish(a, true, "audit #%s", PQgetvalue(r, 0, 0));
			else
				finish(a, false, "%s", PQresultErrorMessage(r));
		}
		PQclear(r);
	}
}

static void on_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l, (void)fd, (void)events;
	struct diag_audit *a = ud;
	if (a->sent) {
		read_result(a);
		return;
	}
	switch (PQconnectPoll(a->conn)) {
	case PGRES_POLLING_READING: watch_fd(a, LOOP_READ); break;
	case PGRES_POLLING_WRITING: watch_fd(a, LOOP_WRITE); break;
	case PGRES_POLLING_OK: send_query(a); break;
	default: finish(a, false, "%s", PQerrorMessage(a->conn)); break;
	}
}

struct diag_audit *diag_audit_record(struct loop *l, const char *conninfo, const struct diag_audit_rec *r,
				     diag_audit_done_fn done, void *ud)
{
	struct diag_audit *a = xcalloc(1, sizeof *a);
	a->loop = l;
	a->sock = -1;
	a->done = done;
	a->ud = ud;
	struct actions_call key;
	struct dc_err err;
	if (actions_call_init(&key, &err) < 0) {
		finish(a, false, "%s", err.msg);
		return a;
	}
	a->params[0] = xstrdup(r->node ? r->node : "");
	a->params[1] = xstrdup(r->diag ? r->diag : "");
	a->params[2] = xasprintf("%d", r->exit_status);
	a->params[3] = xasprintf("%lld", (long long)r->bytes);
	a->params[4] = xstrdup(r->truncated ? "true" : "false");
	a->params[5] = xstrdup(key.key);
	actions_call_free(&key);
	a->conn = db_connect_start(conninfo, "dcops-diag", false);
	if (!a->conn || PQstatus(a->conn) == CONNECTION_BAD) {
		finish(a, false, "%s", a->conn ? PQerrorMessage(a->conn) : "out of memory");
		return a;
	}
	a->t_deadline = loop_timer_add(l, DEADLINE_MS, on_deadline, a);
	watch_fd(a, LOOP_WRITE);
	return a;
}

void diag_audit_cancel(struct diag_audit *a)
{
	if (a)
		release(a);
}
