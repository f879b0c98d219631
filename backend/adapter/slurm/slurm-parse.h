/* slurm-parse.h — parsers for the Slurm commands' output into the sets of
 * slurm-snap.h. Pure: text in, set out; the adapter runs the commands.
 *
 * What each Slurm release can print (read from SchedMD's sources, tags
 * slurm-22.05 ... slurm-24.05):
 *   nodes       22.05: `sinfo --json` (openapi v0.0.38 node list; 22.05's
 *               scontrol has no --json); 23.02+: `scontrol show node --json`
 *   partitions  22.05: `scontrol -o show partition` (text); 23.02+: --json
 *   jobs        `squeue --json`; ended jobs `sacct --json` (all releases)
 *   accounting  22.05: `sacctmgr -P -n show assoc format=` SLURM_ASSOC_FORMAT
 *               and `... show account format=` SLURM_ACCOUNT_FORMAT;
 *               23.02+: `sacctmgr show assoc --json`, `... show account --json`;
 *               the usage: `sshare -a -P -o` SLURM_SSHARE_FORMAT (no JSON)
 * The -P listings may carry their header line (columns are then found by
 * name, in any order, among others) or not (-n: the FORMAT order below).
 * JSON documents carry "meta" with the release (22.05/23.02 "Slurm", 23.11+
 * "slurm"; numbers or strings); it is read first and decides the shape
 * (slurm-snap.h enum slurm_shape). Releases before 22.05 are refused;
 * later than 24.05 are parsed as 24.05 and flagged newer_than_tested.
 * Where releases differ only in spelling (a number or {set, infinite,
 * number}; a string or a list of flags) every form is accepted.
 *
 * Errors: -1 and err naming the source and JSON path or line, e.g.
 * "scontrol show node: nodes[12].state: expected string or array, got
 * number"; Slurm's own "errors" list is reported the same way. On failure
 * *out is untouched: nothing half-parsed reaches the caller. On success
 * *out (which must be empty or freed) owns the new set.
 *
 * Inputs need not be NUL-terminated; len bytes are read. Larger than
 * SLURM_INPUT_MAX or more than SLURM_ITEMS_MAX items: refused. */
#ifndef DCOPS_SLURM_PARSE_H
#define DCOPS_SLURM_PARSE_H

#include <stddef.h>

#include "slurm-snap.h"
#include "util.h"

#define SLURM_INPUT_MAX ((size_t)512 << 20)
#define SLURM_ITEMS_MAX 2000000

#define SLURM_ASSOC_FORMAT "Account,User,Partition,ParentName,GrpTRES,GrpTRESMins,GrpTRESRunMins"
/* Description last: it is free text and may itself hold '|'. */
#define SLURM_ACCOUNT_FORMAT "Account,Organization,Description"
#define SLURM_SSHARE_FORMAT "Account,User,GrpTRESRaw"

/* The release in a JSON document's meta (exposed for tests and the
 * adapter's log line). */
int slurm_parse_version(const char *text, size_t len, struct slurm_version *v, struct dc_err *err);

int slurm_parse_nodes(const char *text, size_t len, struct slurm_node_set *out, struct dc_err *err);
/* As slurm_parse_nodes and slurm_parse_squeue, for the adapter's every
 * cycle: out->span gets each element's hash (slurm_scan_hash of its
 * bytes), and an element whose bytes hash as one prev was read from is
 * not parsed: prev's item is copied into out (out owns the copy; prev
 * is only read, and may be freed after). prev: an earlier result of the
 * same function (its span), or NULL to parse every element. A set read
 * from 22.05's shape lends only to a 22.05 document (job_exit reads
 * that release otherwise). */
int slurm_parse_nodes_since(const char *text, size_t len, const struct slurm_node_set *prev,
		struct slurm_node_set *out, struct dc_err *err);
int slurm_parse_squeue_since(const char *text, size_t len, const struct slurm_job_set *prev,
		struct slurm_job_set *out, struct dc_err *err);
/* JSON (23.02+) or `scontrol -o show partition` text (22.05); which is
 * decided by the first non-blank byte ('{' is JSON). */
int slurm_parse_partitions(const char *text, size_t len, struct slurm_part_set *out, struct dc_err *err);
int slurm_parse_squeue(const char *text, size_t len, struct slurm_job_set *out, struct dc_err *err);
int slurm_parse_sacct(const char *text, size_t len, struct slurm_job_set *out, struct dc_err *err);
/* Associations and accounts together, each JSON or -P -n text (detected as
 * above). accounts may be NULL (descriptions then stay unknown). */
int slurm_parse_assocs(const char *assocs, size_t assocs_len, const char *accounts, size_t accounts_len,
		struct slurm_assoc_set *out, struct dc_err *err);
/* `sshare -a -P -o Account,User,GrpTRESRaw` (SLURM_SSHARE_FORMAT; other
 * columns may come too): the GPU-minutes each account has used, into
 * set->gpu_mins_used (-1 for accounts sshare does not list). On failure
 * the set is untouched. */
int slurm_parse_sshare(const char *text, size_t len, struct slurm_assoc_set *set, struct dc_err *err);

#endif
