/* slurm-adapter.h — the Slurm adapter's reading side (dcopsd --adapter
 * slurm): one poll per source on its own interval, diffed against what
 * was last written, changed rows written in one transaction.
 *
 *   source      22.05 commands                         default interval
 *   nodes       sinfo --json, scontrol -o show partition      5 s
 *   jobs        squeue --json (+ sacct --json -j for jobs     5 s
 *               that left the queue while dcops had them live)
 *   accounting  sacctmgr -P -n show assoc|account, sshare -P  60 s
 * (23.02 and later: scontrol show node|partition --json and sacctmgr
 * --json; the release is read once from `sinfo --version`.)
 *
 * Tables written: site, hall, rack (from the inventory, once), partition,
 * tenant (Slurm accounts; tenant.slurm_account is the key), node, gpu,
 * job (with job.explain for pending jobs), quota; external drains,
 * resumes and limit changes through dcops.adapter_audit_external
 * (050_slurm_adapter.sql). Each table's rows go as one JSON parameter to
 * one upsert that changes only rows that differ; a table whose rows are
 * byte-identical to the last committed cycle's is not sent at all, and
 * of the nodes, jobs and GPUs only the rows (a node's GPUs together) whose
 * hash differs from the last committed cycle's are made and sent. Before
 * that, an element of squeue's or the nodes' JSON whose bytes are those
 * the last committed cycle read is not parsed again (its record is copied,
 * slurm-parse.h), so a quiet cluster costs the commands, one pass over
 * their output, and writes 0 rows.
 *
 * Failure: a command that cannot run, exits non-zero or prints what the
 * parsers refuse fails the whole cycle before any write (nothing
 * half-parsed reaches the database); dcopsd reports ADAPTER DOWN with the
 * message and retries with backoff; the last committed data stays.
 *
 * Ownership: everything is the adapter's (adapter_slurm.stop frees it). */
#ifndef DCOPS_SLURM_ADAPTER_H
#define DCOPS_SLURM_ADAPTER_H

#include "adapter/adapter.h"

/* The site inventory: node -> hall, row, rack, slot, and what Slurm does
 * not know of its accounts: the tenant's kind. JSON:
 *   {"nodes": {"gwj-h100-001": {"hall": "hall-a", "row": 1,
 *              "rack": "a01-01", "slot": 3}, ...},
 *    "tenants": {"hanbit": {"kind": "university"}, ...}}   (optional)
 * Nodes it does not name go to hall and rack "unplaced"; accounts it does
 * not name get kind institute when first seen, and keep whatever kind
 * dcops holds after that. */
struct slurm_place {
	char *node, *hall, *rack;
	int row, slot;
};
struct slurm_tenant_kind {
	char *account, *kind;
};
struct slurm_inventory {
	struct slurm_place *items;
	size_t n;
	struct slurm_tenant_kind *kinds;
	size_t n_kinds;
};
/* -1 with err naming the file, the key and the value that is wrong. */
int slurm_inventory_load(const char *path, struct slurm_inventory *inv, struct dc_err *err);
void slurm_inventory_free(struct slurm_inventory *inv);

#endif
