/* diag-audit.h — recording a diagnostic run in the audit, from the loop:
 * one short-lived asynchronous libpq connection (through the SSH tunnel
 * when there is one) that calls dcops.diag_record (sql/020_diag_audit.sql)
 * with a fresh idempotency key and closes. Never blocks: connect, send and
 * read are driven by the loop, bounded by a 10 s deadline.
 *
 * Ownership: diag_audit_record copies everything it is given; the handle
 * frees itself after calling done once (ok, and a one-line message: "audit
 * #123" or why it was not recorded). diag_audit_cancel frees it early
 * without the callback. */
#ifndef DCOPS_DIAG_AUDIT_H
#define DCOPS_DIAG_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "loop.h"

struct diag_audit_rec {
	const char *node, *diag;
	int exit_status;         /* -1: none */
	int64_t bytes;
	bool truncated;
};

struct diag_audit;
typedef void (*diag_audit_done_fn)(void *ud, bool ok, const char *msg);

struct diag_audit *diag_audit_record(struct loop *l, const char *conninfo, const struct diag_audit_rec *r,
				     diag_audit_done_fn done, void *ud);
void diag_audit_cancel(struct diag_audit *a);

#endif
