/* slurm-text.h — Slurm's small string syntaxes inside its JSON and text
 * output: hostlists ("gj-h100-[001-004,009]"), TRES strings
 * ("cpu=4,mem=16G,node=1,billing=4,gres/gpu=2"), per-node TRES requests
 * ("gres/gpu:h100:2", 22.05's "gres:gpu:2") and node gres ("gpu:h100:8(S:0-1)",
 * used: "gpu:h100:3(IDX:0-2)"). Pure functions, input never trusted.
 *
 * Ownership: slurm_hostlist_expand puts the names and the array in the arena
 * the caller passes (slurm-snap.h); nothing else allocates. Error messages
 * go to caller-owned struct dc_err and quote input through slurm_quote, so
 * they hold printable ASCII only. */
#ifndef DCOPS_SLURM_TEXT_H
#define DCOPS_SLURM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "slurm-snap.h"
#include "util.h"

/* Most names one hostlist may expand to: a 25,000-node fleet fits with room;
 * "n[0-999999999]" is refused instead of allocating gigabytes. */
#define SLURM_HOSTLIST_MAX 100000
/* Most digits in one range bound (keeps the arithmetic in int64). */
#define SLURM_HOSTLIST_DIGITS 9

/* Expands s into *out (*n names, in Slurm's order, duplicates kept) with at
 * most max names. "" gives 0 names. Ranges: "[001-004,009]" keeps the
 * lower bound's width as zero padding; several brackets in one name give
 * their product ("r[1-2]n[1-2]"); commas inside brackets separate ranges,
 * outside them hosts. -1 with err ("hostlist \"x[3-1]\": range 3-1 goes
 * down") on bad syntax; *out and *n are then untouched. */
int slurm_hostlist_expand(const char *s, size_t max, struct slurm_arena *a, char ***out, size_t *n,
		struct dc_err *err);

/* A parsed TRES string; every count is -1 when the string does not name it. */
struct slurm_tres {
	int64_t cpu, mem_mb, node, billing, gpus;
	char gpu_type[32];   /* "h100" from "gres/gpu:h100=8", "" when untyped */
};
/* "cpu=4,mem=16G,node=1,billing=4,gres/gpu=2,gres/gpu:h100=2": gpus is the
 * untyped gres/gpu count when present, else the sum of the typed ones.
 * Unknown TRES (licenses, fs/disk, energy) are skipped. "" and NULL parse to
 * all -1. -1 with err naming the entry on a malformed one. */
int slurm_tres_parse(const char *s, struct slurm_tres *t, struct dc_err *err);

/* GPUs in a per-node or per-job request: "gres/gpu:2", "gres:gpu:h100:2",
 * "gres/gpu" (one), several entries comma-separated. Sets *gpus (0 when
 * no GPU entry) and type ("" when untyped); -1 with err when malformed. */
int slurm_tres_per_gpus(const char *s, int *gpus, char *type, size_t type_cap, struct dc_err *err);

/* GPUs in a node's gres or gres_used: "gpu:h100:8(S:0-1)", "gpu:8",
 * "gpu:a100:4,gpu:v100:2,nic:1", "gpu:h100:3(IDX:0,2-3)", "(null)".
 * Sums every gpu entry; type is the first typed entry's. */
int slurm_gres_gpus(const char *s, int *gpus, char *type, size_t type_cap, struct dc_err *err);

/* Copies at most 48 bytes of s into buf as printable ASCII (others as
 * \xNN, "..." when cut), for error messages. Returns buf. */
const char *slurm_quote(const char *s, char *buf, size_t cap);

#endif
