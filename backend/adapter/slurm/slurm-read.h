/* slurm-read.h — internal to backend/adapter/slurm: what the parsers
 * (slurm-parse.c for JSON, slurm-listing.c for text) read with.
 *
 * struct slurm_rd is one parse's context: the command's name and the item
 * being read ("squeue", "jobs[12]") for messages, the caller's dc_err, the
 * arena of the set being built, the shape of the release. Every getter
 * returns 0, or -1 with err set to "<src>: <where>.<path>: <what>", so a
 * parser only chains them and returns -1 on the first failure.
 *
 * Getters take a dotted path ("time.start"): absent and null members read
 * as "" (strings), `unset` (numbers) or an empty list; any other type is an
 * error naming the expected and the found type. Strings and lists are
 * copied into the context's arena (the set owns them). */
#ifndef DCOPS_SLURM_READ_H
#define DCOPS_SLURM_READ_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slurm-scan.h"
#include "slurm-snap.h"
#include "util.h"

/* Each item's keys are hashed once: a job object has over 100 keys and ~40
 * are read, which cJSON would find by walking its list each time. */
#define SLURM_RD_SLOTS 256
struct slurm_rd_slot {
	const char *key;
	const cJSON *val;
	unsigned gen;
};

struct slurm_rd {
	const char *src;           /* "squeue", for messages */
	struct dc_err *err;
	struct slurm_arena *a;
	enum slurm_shape shape;
	char where[64];            /* "jobs[12]" or "line 3" */
	const cJSON *ix_obj;       /* the object ix holds, NULL when none */
	unsigned ix_gen;           /* slots of other generations are empty */
	struct slurm_rd_slot ix[SLURM_RD_SLOTS];
};

int slurm_rd_fail(struct slurm_rd *c, const char *path, const char *what);
int slurm_rd_fail_type(struct slurm_rd *c, const char *path, const char *want, const cJSON *got);
/* inner's message, placed at path (a hostlist or TRES error inside a field) */
int slurm_rd_fail_text(struct slurm_rd *c, const char *path, struct dc_err *inner);

/* The member at path, NULL when absent or null. */
int slurm_rd_member(struct slurm_rd *c, const cJSON *obj, const char *path, const cJSON **out);
/* obj's key, through the item's index when obj is the current item. */
const cJSON *slurm_rd_lookup(const struct slurm_rd *c, const cJSON *obj, const char *key);
int slurm_rd_str(struct slurm_rd *c, const cJSON *obj, const char *path, char **out);
/* A user name, or the uid as text when Slurm could not resolve it. */
int slurm_rd_user(struct slurm_rd *c, const cJSON *obj, const char *path, char **out);
/* A number (22.05) or {set, infinite, number} (23.02+): unset when absent,
 * null, unset or negative (and 22.05's NO_VAL); SLURM_INFINITE when infinite. */
int slurm_rd_num(struct slurm_rd *c, const cJSON *obj, const char *path, int64_t unset, int64_t *out);
int slurm_rd_int(struct slurm_rd *c, const cJSON *obj, const char *path, int unset, int *out);
/* A list of strings, or one comma-separated string. */
int slurm_rd_words(struct slurm_rd *c, const cJSON *obj, const char *path, char ***out, size_t *n);
/* A hostlist field, expanded into the arena. */
int slurm_rd_hosts(struct slurm_rd *c, const char *path, const char *hosts, char ***list, size_t *n);
/* GPUs in a TRES string field (-1 when it names none). */
int slurm_rd_tres_gpus(struct slurm_rd *c, const char *path, const char *tres, int64_t *out);
/* A partition's common end: total GPUs from its TRES, its state word ("" is
 * UP), its nodes expanded. */
int slurm_rd_partition(struct slurm_rd *c, struct slurm_partition *p, const char *tres, const char *state);

/* The document, read once (slurm-scan.h): size cap, JSON; each element
 * of the list under list_key offered to span (NULL: none) and, unless
 * span took it, to fn as it is read (only the keys in want, NULL: all);
 * then Slurm's "errors", "meta" into *v and the list's type,
 * each reported before an element's error (fn's, left in err). On
 * success the caller slurm_scan_close()s doc (slurm_scan_again may read
 * the list once more before). */
int slurm_rd_doc(const char *src, const char *text, size_t len, const char *list_key, const char *const *want,
		slurm_scan_span_fn *span, slurm_scan_fn *fn, void *arg, struct slurm_scan_doc *doc,
		struct slurm_version *v, struct dc_err *err);
int slurm_rd_meta(const cJSON *root, struct slurm_version *v, struct dc_err *err, const char *src);
/* Is the first non-blank byte '{'? (JSON or a text listing) */
bool slurm_rd_is_json(const char *text, size_t len);
/* Names the item for messages and indexes its keys. */
void slurm_rd_item(struct slurm_rd *c, const char *list, size_t i, const cJSON *item);
int slurm_rd_object(struct slurm_rd *c, const cJSON *item);

/* Runs fn on each non-empty line (CR LF too), with c->where "line N";
 * refuses NUL bytes and inputs over SLURM_INPUT_MAX. */
int slurm_rd_lines(struct slurm_rd *c, const char *text, size_t len,
		int (*fn)(struct slurm_rd *, char *, size_t, void *), void *arg);

/* A growing malloc'd array of rows (at most SLURM_ITEMS_MAX), moved into the
 * arena at the end by slurm_rd_to_arena (which frees it). */
struct slurm_rd_grow {
	void **items;
	size_t n, cap, size;
};
void *slurm_rd_grow_next(struct slurm_rd_grow *g);   /* zeroed; NULL when full */
void *slurm_rd_to_arena(struct slurm_arena *a, void *items, size_t n, size_t size);

#endif
