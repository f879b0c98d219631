/* slurm-parse.c — the JSON of the Slurm commands into sets (see
 * slurm-parse.h for the sources and shapes per release); the text forms
 * are in slurm-listing.c, the getters in slurm-read.c. Every set is built
 * fresh and handed over only whole. */
#include "slurm-parse.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slurm-keymap.h"
#include "slurm-listing.h"
#include "slurm-map.h"
#include "slurm-read.h"
#include "slurm-text.h"

/* ---- the list of a document ---- */

typedef int item_fn(struct slurm_rd *c, const cJSON *item, void *out);
typedef void copy_fn(struct slurm_arena *a, void *dst, const void *src);

/* The set the same document was last read into (the *_since parsers):
 * its items by their elements' hashes. The elements' reading depends on
 * the release only through 22.05's exit codes (job_exit), so a set read
 * as 22.05 lends to a 22.05 document only, and any other to any other. */
struct prev {
	const void *items;
	const uint64_t *span;
	size_t n;
	bool is_2205;
	copy_fn *copy;
	struct keymap index;   /* span -> index into items */
};

static void prev_index(struct prev *p)
{
	for (size_t i = 0; i < p->n; i++)
		keymap_put(&p->index, p->span[i], i);
}

struct each {
	struct slurm_rd *c;
	const char *list;
	item_fn *one;
	struct slurm_rd_grow g;
	void *items;      /* malloc'd while the document is read */
	size_t size;
	struct prev *prev;   /* NULL: nothing to lend */
	bool spans;          /* the elements' hashes are kept ... */
	uint64_t *span;      /* ... here, malloc'd, parallel to items */
	size_t span_cap;
	uint64_t cur;        /* the hash of the element being parsed */
};

/* meta before the list (22.05 prints it first): the shape now; after it
 * (23.02+), each_item checks it at the end */
static void each_shape(struct each *e, const cJSON *members, size_t i)
{
	if (i != 0)
		return;
	struct slurm_version v;
	struct dc_err ignored;
	e->c->shape = slurm_rd_meta(members, &v, &ignored, e->c->src) == 0 ? v.shape : SLURM_SHAPE_NONE;
}

static void each_keep_span(struct each *e, uint64_t hash)
{
	if (!e->spans)
		return;
	e->span = xgrow(e->span, &e->span_cap, e->g.n, sizeof *e->span);
	e->span[e->g.n - 1] = hash;
}

static int each_one(void *arg, const cJSON *members, size_t i, const cJSON *item)
{
	struct each *e = arg;
	struct slurm_rd *c = e->c;
	each_shape(e, members, i);
	slurm_rd_item(c, e->list, i, item);
	void *slot = slurm_rd_grow_next(&e->g);
	if (slot)
		each_keep_span(e, e->cur);
	int rc = slot ? e->one(c, item, slot) : dc_err_set(c->err, "%s: %s: more than %d items", c->src, e->list,
		SLURM_ITEMS_MAX);
	c->ix_obj = NULL;
	return rc;
}

/* An element with the bytes of one prev was read from: prev's item,
 * copied into this set, instead of a parse. */
static bool each_span(void *arg, const cJSON *members, size_t i, uint64_t hash)
{
	struct each *e = arg;
	struct prev *p = e->prev;
	each_shape(e, members, i);
	e->cur = hash;
	if (!p || !p->n || p->is_2205 != (e->c->shape == SLURM_SHAPE_2205))
		return false;
	uint64_t ix;
	if (!keymap_get(&p->index, hash, &ix))
		return false;
	void *slot = slurm_rd_grow_next(&e->g);
	if (!slot)
		return false;   /* the parse says "more than N items" */
	p->copy(e->c->a, slot, (const char *)p->items + (size_t)ix * e->size);
	each_keep_span(e, hash);
	return true;
}

/* Each element of the document's list through one(), into *items (count
 * elements of size bytes, in the arena), read as the document is: memory
 * stays at one element's tree besides the set. With spans, each
 * element's hash goes to *spans (in the arena, parallel to *items) and an
 * element that hashes as one of prev's is copied from prev, not parsed. */
static int each_item(struct slurm_rd *c, const char *text, size_t len, const char *list, const char *const *want,
		struct slurm_version *v, size_t size, void **items, size_t *n, item_fn *one, struct prev *prev,
		uint64_t **spans)
{
	struct each e = { .c = c, .list = list, .one = one, .g = { .items = &e.items, .size = size }, .size = size,
		.prev = prev, .spans = spans != NULL };
	if (prev && prev->n && prev->span)
		prev_index(prev);
	else
		e.prev = NULL;
	struct slurm_scan_doc doc;
	int rc = slurm_rd_doc(c->src, text, len, list, want, spans ? each_span : NULL, each_one, &e, &doc, v, c->err);
	/* only 22.05's shape reads an element otherwise (job_exit) */
	if (rc == 0 && e.g.n && c->shape != v->shape && (c->shape == SLURM_SHAPE_2205 || v->shape == SLURM_SHAPE_2205)) {
		/* the list came before a meta that says 22.05: read it again,
		 * every element parsed, no hashes kept (no release prints this
		 * order; the first reading's strings stay in the arena until
		 * the set is freed) */
		e.g.n = 0;
		e.spans = false;
		c->shape = v->shape;
		rc = slurm_scan_again(&doc, text, len, each_one, &e) < 0 || doc.item_failed ? -1 : 0;
	}
	slurm_scan_close(&doc);
	if (prev)
		keymap_free(&prev->index);
	c->shape = v->shape;
	*n = e.g.n;
	*items = slurm_rd_to_arena(c->a, e.items, e.g.n, size);
	if (spans)
		*spans = e.spans ? slurm_rd_to_arena(c->a, e.span, e.g.n, sizeof *e.span) : NULL;
	if (!e.spans)
		free(e.span);
	return rc;
}

/* ---- nodes ---- */

static void state_text_add(struct sb *sb, const char *w)
{
	if (sb->len)
		sb_append(sb, "+");
	for (const char *p = w; *p; p++) {
		char ch = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
		sb_appendn(sb, &ch, 1);
	}
}

/* 22.05: "state": "idle" plus "state_flags": ["DRAIN"]; 23.02+: "state":
 * ["IDLE", "DRAIN"]. Either is accepted on any release. */
static int node_state(struct slurm_rd *c, const cJSON *item, struct slurm_node *n)
{
	const cJSON *st = slurm_rd_lookup(c, item, "state");
	char **words = NULL, **flags = NULL;
	size_t nw = 0, nf = 0;
	if (st && !cJSON_IsString(st) && !cJSON_IsArray(st))
		return slurm_rd_fail_type(c, "state", "string or array", st);
	if (slurm_rd_words(c, item, "state", &words, &nw) < 0 || slurm_rd_words(c, item, "state_flags", &flags, &nf) < 0)
		return -1;
	struct sb sb = { 0 };
	bool have_base = false;
	n->base = SLURM_NODE_UNKNOWN;
	for (size_t i = 0; i < nw + nf; i++) {
		const char *w = i < nw ? words[i] : flags[i - nw];
		int b = slurm_node_base_parse(w);
		if (b >= 0 && !have_base) {
			n->base = (enum slurm_node_base)b;
			have_base = true;
		} else {
			unsigned f = slurm_node_flag_parse(w);
			n->flags |= f ? f : SLURM_NF_OTHER;
		}
		state_text_add(&sb, w);
	}
	n->state_text = slurm_arena_strdup(c->a, sb.buf ? sb.buf : "");
	sb_free(&sb);
	n->dcops = slurm_map_node(n->base, n->flags);
	return 0;
}

static int node_gres(struct slurm_rd *c, struct slurm_node *n, const char *gres, const char *used)
{
	char type[32];
	struct dc_err e;
	if (slurm_gres_gpus(gres, &n->gpus, type, sizeof type, &e) < 0)
		return slurm_rd_fail_text(c, "gres", &e);
	n->gpu_type = slurm_arena_strdup(c->a, type);
	if (slurm_gres_gpus(used, &n->gpus_used, type, sizeof type, &e) < 0)
		return slurm_rd_fail_text(c, "gres_used", &e);
	return 0;
}

/* The keys parse_node reads. */
static const char *const node_keys[] = { "name", "state", "state_flags", "partitions", "reason", "reason_set_by_user",
	"reason_changed_at", "gres", "gres_used", "cpus", "alloc_cpus", "real_memory", "boot_time", "comment",
	"reservation", NULL };

static int parse_node(struct slurm_rd *c, const cJSON *item, void *out)
{
	struct slurm_node *n = out;
	char *gres, *gres_used;
	if (slurm_rd_object(c, item) < 0 || slurm_rd_str(c, item, "name", &n->name) < 0)
		return -1;
	if (!n->name[0])
		return slurm_rd_fail(c, "name", "missing or empty");
	if (node_state(c, item, n) < 0 ||
	    slurm_rd_words(c, item, "partitions", &n->partitions, &n->n_partitions) < 0 ||
	    slurm_rd_str(c, item, "reason", &n->reason) < 0 ||
	    slurm_rd_user(c, item, "reason_set_by_user", &n->reason_set_by_user) < 0 ||
	    slurm_rd_num(c, item, "reason_changed_at", 0, &n->reason_time) < 0 ||
	    slurm_rd_str(c, item, "gres", &gres) < 0 || slurm_rd_str(c, item, "gres_used", &gres_used) < 0 ||
	    node_gres(c, n, gres, gres_used) < 0 ||
	    slurm_rd_int(c, item, "cpus", 0, &n->cpus) < 0 || slurm_rd_int(c, item, "alloc_cpus", -1, &n->cpus_alloc) < 0 ||
	    slurm_rd_num(c, item, "real_memory", 0, &n->real_memory_mb) < 0 ||
	    slurm_rd_num(c, item, "boot_time", 0, &n->boot_time) < 0 ||
	    slurm_rd_str(c, item, "comment", &n->comment) < 0 ||
	    slurm_rd_str(c, item, "reservation", &n->reservation) < 0)
		return -1;
	/* 22.05 names uid 0 ("root") as the setter of a reason never set */
	if (!n->reason[0]) {
		n->reason_set_by_user[0] = '\0';
		n->reason_time = 0;
	}
	return 0;
}

static void node_copy(struct slurm_arena *a, void *dst, const void *src)
{
	slurm_node_copy(a, dst, src);
}

static int parse_nodes(const char *text, size_t len, const struct slurm_node_set *prev, bool spans,
		struct slurm_node_set *out, struct dc_err *err)
{
	struct slurm_node_set s = { 0 };
	struct slurm_rd c = { .src = "nodes JSON", .err = err, .a = &s.arena };
	struct prev p = { .copy = node_copy };
	if (prev)
		p = (struct prev){ .items = prev->items, .span = prev->span, .n = prev->n,
			.is_2205 = prev->version.shape == SLURM_SHAPE_2205, .copy = node_copy };
	void *items;
	if (each_item(&c, text, len, "nodes", node_keys, &s.version, sizeof *s.items, &items, &s.n, parse_node, &p,
		    spans ? &s.span : NULL) < 0) {
		slurm_node_set_free(&s);
		return -1;
	}
	s.items = items;
	*out = s;
	return 0;
}

int slurm_parse_nodes(const char *text, size_t len, struct slurm_node_set *out, struct dc_err *err)
{
	return parse_nodes(text, len, NULL, false, out, err);
}

int slurm_parse_nodes_since(const char *text, size_t len, const struct slurm_node_set *prev,
		struct slurm_node_set *out, struct dc_err *err)
{
	return parse_nodes(text, len, prev, true, out, err);
}

/* ---- partitions ---- */

static int parse_part_json(struct slurm_rd *c, const cJSON *item, void *out)
{
	struct slurm_partition *p = out;
	char *tres, **states;
	size_t ns;
	const cJSON *nodes;
	if (slurm_rd_object(c, item) < 0 || slurm_rd_str(c, item, "name", &p->name) < 0 ||
	    slurm_rd_member(c, item, "nodes", &nodes) < 0)
		return -1;
	/* 22.05's openapi partition (slurmrestd only) had "nodes" as a string */
	if (cJSON_IsString(nodes)) {
		if (slurm_rd_str(c, item, "nodes", &p->nodes) < 0 || slurm_rd_int(c, item, "total_nodes", -1, &p->total_nodes) < 0 ||
		    slurm_rd_int(c, item, "total_cpus", -1, &p->total_cpus) < 0 || slurm_rd_str(c, item, "tres", &tres) < 0 ||
		    slurm_rd_words(c, item, "state", &states, &ns) < 0)
			return -1;
	} else if (slurm_rd_str(c, item, "nodes.configured", &p->nodes) < 0 ||
	           slurm_rd_int(c, item, "nodes.total", -1, &p->total_nodes) < 0 ||
	           slurm_rd_int(c, item, "cpus.total", -1, &p->total_cpus) < 0 ||
	           slurm_rd_str(c, item, "tres.configured", &tres) < 0 ||
	           slurm_rd_words(c, item, "partition.state", &states, &ns) < 0) {
		return -1;
	}
	return slurm_rd_partition(c, p, tres, ns ? states[0] : "");
}

int slurm_parse_partitions(const char *text, size_t len, struct slurm_part_set *out, struct dc_err *err)
{
	struct slurm_part_set s = { 0 };
	if (!slurm_rd_is_json(text, len)) {
		if (slurm_listing_partitions(text, len, &s, err) < 0) {
			slurm_part_set_free(&s);
			return -1;
		}
		*out = s;
		return 0;
	}
	struct slurm_rd c = { .src = "partitions JSON", .err = err, .a = &s.arena };
	void *items;
	if (each_item(&c, text, len, "partitions", NULL, &s.version, sizeof *s.items, &items, &s.n,
		    parse_part_json, NULL, NULL) < 0) {
		slurm_part_set_free(&s);
		return -1;
	}
	s.items = items;
	*out = s;
	return 0;
}

/* ---- jobs (squeue and sacct) ---- */

/* A job state: one word (22.05, 23.02) or a list (23.11+); a flag, when
 * present, decides (COMPLETING keeps an ended job running until its nodes
 * are clean, REQUEUED makes it pending). */
static int job_state(struct slurm_rd *c, const cJSON *obj, const char *path, struct slurm_job *j)
{
	const cJSON *st;
	char **words;
	size_t nw;
	if (slurm_rd_member(c, obj, path, &st) < 0)
		return -1;
	if (!st || (!cJSON_IsString(st) && !cJSON_IsArray(st)))
		return slurm_rd_fail_type(c, path, "string or array", st);
	if (slurm_rd_words(c, obj, path, &words, &nw) < 0)
		return -1;
	if (nw == 0)
		return slurm_rd_fail(c, path, "empty");
	struct sb sb = { 0 };
	int base = -1, flag = -1;
	for (size_t i = 0; i < nw; i++) {
		bool is_base;
		int s = slurm_job_state_parse(words[i], &is_base);
		if (s >= 0 && is_base && base < 0)
			base = s;
		else if (s >= 0 && !is_base)
			flag = s;
		state_text_add(&sb, words[i]);
	}
	j->state_text = slurm_arena_strdup(c->a, sb.buf ? sb.buf : "");
	sb_free(&sb);
	if (base < 0 && flag < 0) {
		char m[160], q[120];
		snprintf(m, sizeof m, "unknown job state \"%s\"", slurm_quote(j->state_text, q, sizeof q));
		return slurm_rd_fail(c, path, m);
	}
	j->state = (enum dc_job_state)(flag >= 0 ? flag : base);
	return 0;
}

/* Exit codes: a raw wait status (squeue 22.05, 23.02), or an object
 * {status, return_code, signal} (sacct; squeue 23.11+). */
static int job_exit(struct slurm_rd *c, const cJSON *obj, struct slurm_job *j)
{
	const cJSON *ec;
	j->exit_code = -1;
	if (slurm_rd_member(c, obj, "exit_code", &ec) < 0)
		return -1;
	if (!ec)
		return 0;
	if (cJSON_IsNumber(ec) || (cJSON_IsObject(ec) && cJSON_GetObjectItemCaseSensitive(ec, "set"))) {
		int64_t raw;
		if (slurm_rd_num(c, obj, "exit_code", -1, &raw) < 0)
			return -1;
		if (raw >= 0 && raw != SLURM_INFINITE) {
			j->exit_signal = (int)(raw & 0x7f);
			j->exit_code = j->exit_signal ? -1 : (int)((raw >> 8) & 0xff);
		}
		return 0;
	}
	if (!cJSON_IsObject(ec))
		return slurm_rd_fail_type(c, "exit_code", "number or object", ec);
	char **status;
	size_t ns;
	int64_t rc, sig1, sig2;
	if (slurm_rd_words(c, obj, "exit_code.status", &status, &ns) < 0 ||
	    slurm_rd_num(c, obj, "exit_code.signal.signal_id", 0, &sig1) < 0 ||
	    slurm_rd_num(c, obj, "exit_code.signal.id", 0, &sig2) < 0)
		return -1;
	/* 23.02 writes -127 for a signal: read the code only when it is one */
	const cJSON *rcj;
	if (slurm_rd_member(c, obj, "exit_code.return_code", &rcj) < 0)
		return -1;
	if (rcj && slurm_rd_num(c, obj, "exit_code.return_code", -1, &rc) < 0)
		return -1;
	j->exit_signal = (int)((sig1 ? sig1 : sig2) & 0x7f);
	bool pending = ns > 0 && strcmp(status[0], "PENDING") == 0;
	if (!pending && !j->exit_signal && rcj)
		j->exit_code = rc == SLURM_INFINITE ? -1 : (int)(rc & 0xff);
	/* 22.05's sacct writes SUCCESS and 0 for every normal exit (exit 3
	 * included: it tests WIFEXITED only, seen live), so its 0 only means 0
	 * where the state says so */
	if (c->shape == SLURM_SHAPE_2205 && j->exit_code == 0 && j->state != DC_JOB_COMPLETED &&
	    j->state != DC_JOB_RUNNING && j->state != DC_JOB_PENDING)
		j->exit_code = -1;
	return 0;
}

/* GPUs: allocated TRES (running), else requested, else the per-job or
 * per-node request (times the node count). */
static int squeue_gpus(struct slurm_rd *c, const cJSON *item, struct slurm_job *j)
{
	static const char *const strs[] = { "tres_alloc_str", "tres_req_str" };
	char *s, type[32] = "";
	struct dc_err e;
	j->gpus = 0;
	for (size_t i = 0; i < DC_ARRAY_LEN(strs); i++) {
		struct slurm_tres t;
		if (slurm_rd_str(c, item, strs[i], &s) < 0)
			return -1;
		if (slurm_tres_parse(s, &t, &e) < 0)
			return slurm_rd_fail_text(c, strs[i], &e);
		if (t.gpus > 0 && j->gpus == 0) {
			j->gpus = (int)(t.gpus > INT32_MAX ? INT32_MAX : t.gpus);
			snprintf(type, sizeof type, "%s", t.gpu_type);
		}
	}
	int per;
	char ptype[32];
	if (slurm_rd_str(c, item, "tres_per_job", &s) < 0)
		return -1;
	if (slurm_tres_per_gpus(s, &per, ptype, sizeof ptype, &e) < 0)
		return slurm_rd_fail_text(c, "tres_per_job", &e);
	if (j->gpus == 0 && per > 0)
		j->gpus = per;
	if (!type[0])
		snprintf(type, sizeof type, "%s", ptype);
	if (slurm_rd_str(c, item, "tres_per_node", &s) < 0)
		return -1;
	if (slurm_tres_per_gpus(s, &per, ptype, sizeof ptype, &e) < 0)
		return slurm_rd_fail_text(c, "tres_per_node", &e);
	if (j->gpus == 0 && per > 0) {
		int64_t total = (int64_t)per * (j->node_count > 0 ? j->node_count : 1);
		j->gpus = (int)(total > INT32_MAX ? INT32_MAX : total);
	}
	if (!type[0])
		snprintf(type, sizeof type, "%s", ptype);
	j->gpu_type = slurm_arena_strdup(c->a, type);
	return 0;
}

static void job_defaults(struct slurm_job *j)
{
	j->array_task_id = -1;
	j->het_job_offset = -1;
	j->node_count = -1;
	j->time_limit_min = -1;
	j->priority = -1;
	j->exit_code = -1;
}

static int job_held(struct slurm_job *j)
{
	j->held = (j->state == DC_JOB_PENDING && j->priority == 0) ||
	          strncmp(j->reason, "JobHeld", 7) == 0;
	return 0;
}

/* A job's ids, which squeue and sacct name differently: its own (required)
 * and the array and heterogeneous job it belongs to (0 when none). */
static int job_ids(struct slurm_rd *c, const cJSON *item, const char *array_key, const char *het_key,
                   struct slurm_job *j)
{
	int64_t v;
	job_defaults(j);
	if (slurm_rd_object(c, item) < 0 || slurm_rd_num(c, item, "job_id", -1, &v) < 0)
		return -1;
	if (v <= 0 || v > UINT32_MAX)
		return slurm_rd_fail(c, "job_id", "missing or not a job id");
	j->job_id = (uint32_t)v;
	if (slurm_rd_num(c, item, array_key, 0, &v) < 0)
		return -1;
	j->array_job_id = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	if (slurm_rd_num(c, item, het_key, 0, &v) < 0)
		return -1;
	j->het_job_id = v > 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
	return 0;
}

static const char *const squeue_keys[] = { "job_id", "array_job_id", "het_job_id", "array_task_id",
	"array_task_string", "het_job_offset", "job_state", "state_reason", "state_description", "account", "user_name",
	"partition", "name", "qos", "dependency", "node_count", "nodes", "tres_alloc_str", "tres_req_str",
	"tres_per_job", "tres_per_node", "submit_time", "eligible_time", "start_time", "end_time", "time_limit",
	"priority", "exit_code", NULL };

static int parse_squeue_job(struct slurm_rd *c, const cJSON *item, void *out)
{
	struct slurm_job *j = out;
	if (job_ids(c, item, "array_job_id", "het_job_id", j) < 0)
		return -1;
	if (slurm_rd_num(c, item, "array_task_id", -1, &j->array_task_id) < 0 ||
	    slurm_rd_str(c, item, "array_task_string", &j->array_task_str) < 0 ||
	    slurm_rd_num(c, item, "het_job_offset", -1, &j->het_job_offset) < 0 ||
	    job_state(c, item, "job_state", j) < 0 ||
	    slurm_rd_str(c, item, "state_reason", &j->reason) < 0 ||
	    slurm_rd_str(c, item, "state_description", &j->state_description) < 0 ||
	    slurm_rd_str(c, item, "account", &j->account) < 0 || slurm_rd_user(c, item, "user_name", &j->user) < 0 ||
	    slurm_rd_str(c, item, "partition", &j->partition) < 0 || slurm_rd_str(c, item, "name", &j->name) < 0 ||
	    slurm_rd_str(c, item, "qos", &j->qos) < 0 || slurm_rd_str(c, item, "dependency", &j->dependency) < 0 ||
	    slurm_rd_int(c, item, "node_count", -1, &j->node_count) < 0 ||
	    slurm_rd_str(c, item, "nodes", &j->nodes) < 0 ||
	    slurm_rd_hosts(c, "nodes", j->nodes, &j->node_list, &j->n_node_list) < 0 ||
	    squeue_gpus(c, item, j) < 0 ||
	    slurm_rd_num(c, item, "submit_time", 0, &j->submit_time) < 0 ||
	    slurm_rd_num(c, item, "eligible_time", 0, &j->eligible_time) < 0 ||
	    slurm_rd_num(c, item, "start_time", 0, &j->start_time) < 0 ||
	    slurm_rd_num(c, item, "end_time", 0, &j->end_time) < 0 ||
	    slurm_rd_num(c, item, "time_limit", -1, &j->time_limit_min) < 0 ||
	    slurm_rd_num(c, item, "priority", -1, &j->priority) < 0 || job_exit(c, item, j) < 0)
		return -1;
	/* 22.05 prints 0 for "no array" where 23.x says unset */
	if (j->array_job_id == 0)
		j->array_task_id = -1;
	if (j->het_job_id == 0)
		j->het_job_offset = -1;
	return job_held(j);
}

/* sacct's TRES lists: [{type: "gres", name: "gpu" | "gpu:h100", count}]. */
static int tres_list_gpus(struct slurm_rd *c, const cJSON *obj, const char *path, int64_t *gpus, char *type,
		size_t cap)
{
	const cJSON *list, *e;
	int64_t untyped = -1, typed = -1;
	size_t i = 0;
	if (slurm_rd_member(c, obj, path, &list) < 0)
		return -1;
	*gpus = -1;
	if (!list)
		return 0;
	if (!cJSON_IsArray(list))
		return slurm_rd_fail_type(c, path, "array", list);
	cJSON_ArrayForEach(e, list) {
		char p[96];
		snprintf(p, sizeof p, "%s[%zu]", path, i++);
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsObject(e))
			return slurm_rd_fail_type(c, p, "object", e);
		if (!cJSON_IsString(t))
			return slurm_rd_fail_type(c, p, "object with a string \"type\"", t);
		if (strcmp(t->valuestring, "gres") != 0 || !cJSON_IsString(n) ||
		    strncmp(n->valuestring, "gpu", 3) != 0 || (n->valuestring[3] && n->valuestring[3] != ':'))
			continue;
		int64_t cnt;
		char cp[112];
		snprintf(cp, sizeof cp, "%s.count", p);
		if (slurm_rd_num(c, e, "count", 0, &cnt) < 0)
			return -1;
		if (n->valuestring[3] == '\0') {
			untyped = cnt;
		} else {
			typed = (typed < 0 ? 0 : typed) + cnt;
			if (cap && !type[0])
				snprintf(type, cap, "%s", n->valuestring + 4);
		}
	}
	*gpus = untyped >= 0 ? untyped : typed;
	return 0;
}

static int sacct_gpus(struct slurm_rd *c, const cJSON *item, struct slurm_job *j)
{
	int64_t alloc, req;
	char type[32] = "";
	if (tres_list_gpus(c, item, "tres.allocated", &alloc, type, sizeof type) < 0 ||
	    tres_list_gpus(c, item, "tres.requested", &req, type, sizeof type) < 0)
		return -1;
	int64_t g = alloc > 0 ? alloc : req > 0 ? req : 0;
	j->gpus = (int)(g > INT32_MAX ? INT32_MAX : g);
	j->gpu_type = slurm_arena_strdup(c->a, type);
	return 0;
}

static const char *const sacct_keys[] = { "job_id", "array", "het", "state", "account", "user", "partition",
	"name", "qos", "nodes", "allocation_nodes", "tres", "time", "priority", "exit_code", NULL };

static int parse_sacct_job(struct slurm_rd *c, const cJSON *item, void *out)
{
	struct slurm_job *j = out;
	if (job_ids(c, item, "array.job_id", "het.job_id", j) < 0)
		return -1;
	if (slurm_rd_num(c, item, "array.task_id", -1, &j->array_task_id) < 0 ||
	    slurm_rd_str(c, item, "array.task", &j->array_task_str) < 0 ||
	    slurm_rd_num(c, item, "het.job_offset", -1, &j->het_job_offset) < 0 ||
	    job_state(c, item, "state.current", j) < 0 || slurm_rd_str(c, item, "state.reason", &j->reason) < 0 ||
	    slurm_rd_str(c, item, "account", &j->account) < 0 || slurm_rd_user(c, item, "user", &j->user) < 0 ||
	    slurm_rd_str(c, item, "partition", &j->partition) < 0 || slurm_rd_str(c, item, "name", &j->name) < 0 ||
	    slurm_rd_str(c, item, "qos", &j->qos) < 0 || slurm_rd_str(c, item, "nodes", &j->nodes) < 0)
		return -1;
	j->state_description = slurm_arena_strdup(c->a, "");
	j->dependency = slurm_arena_strdup(c->a, "");
	/* sacct prints "None assigned" for a job that never got nodes */
	if (strcmp(j->nodes, "None assigned") == 0)
		j->nodes[0] = '\0';
	if (slurm_rd_hosts(c, "nodes", j->nodes, &j->node_list, &j->n_node_list) < 0 ||
	    slurm_rd_int(c, item, "allocation_nodes", -1, &j->node_count) < 0 || sacct_gpus(c, item, j) < 0 ||
	    slurm_rd_num(c, item, "time.submission", 0, &j->submit_time) < 0 ||
	    slurm_rd_num(c, item, "time.eligible", 0, &j->eligible_time) < 0 ||
	    slurm_rd_num(c, item, "time.start", 0, &j->start_time) < 0 ||
	    slurm_rd_num(c, item, "time.end", 0, &j->end_time) < 0 ||
	    slurm_rd_num(c, item, "time.limit", -1, &j->time_limit_min) < 0 ||
	    slurm_rd_num(c, item, "priority", -1, &j->priority) < 0 || job_exit(c, item, j) < 0)
		return -1;
	if (j->node_count <= 0 && j->n_node_list > 0)
		j->node_count = (int)j->n_node_list;
	if (j->array_job_id == 0)
		j->array_task_id = -1;
	if (j->het_job_id == 0)
		j->het_job_offset = -1;
	return job_held(j);
}

static void job_copy(struct slurm_arena *a, void *dst, const void *src)
{
	slurm_job_copy(a, dst, src);
}

static int parse_jobs(const char *src, const char *text, size_t len, const char *const *want, item_fn *one,
		const struct slurm_job_set *prev, bool spans, struct slurm_job_set *out, struct dc_err *err)
{
	struct slurm_job_set s = { 0 };
	struct slurm_rd c = { .src = src, .err = err, .a = &s.arena };
	struct prev p = { .copy = job_copy };
	if (prev)
		p = (struct prev){ .items = prev->items, .span = prev->span, .n = prev->n,
			.is_2205 = prev->version.shape == SLURM_SHAPE_2205, .copy = job_copy };
	void *items;
	if (each_item(&c, text, len, "jobs", want, &s.version, sizeof *s.items, &items, &s.n, one, &p,
		    spans ? &s.span : NULL) < 0) {
		slurm_job_set_free(&s);
		return -1;
	}
	s.items = items;
	*out = s;
	return 0;
}

int slurm_parse_squeue(const char *text, size_t len, struct slurm_job_set *out, struct dc_err *err)
{
	return parse_jobs("squeue", text, len, squeue_keys, parse_squeue_job, NULL, false, out, err);
}

int slurm_parse_squeue_since(const char *text, size_t len, const struct slurm_job_set *prev,
		struct slurm_job_set *out, struct dc_err *err)
{
	return parse_jobs("squeue", text, len, squeue_keys, parse_squeue_job, prev, true, out, err);
}

int slurm_parse_sacct(const char *text, size_t len, struct slurm_job_set *out, struct dc_err *err)
{
	return parse_jobs("sacct", text, len, sacct_keys, parse_sacct_job, NULL, false, out, err);
}

/* ---- associations and accounts ---- */

static int parse_assoc_json(struct slurm_rd *c, const cJSON *item, void *out)
{
	struct slurm_assoc *a = out;
	char scratch[4];
	if (slurm_rd_object(c, item) < 0 || slurm_rd_str(c, item, "account", &a->account) < 0 ||
	    slurm_rd_str(c, item, "user", &a->user) < 0 || slurm_rd_str(c, item, "partition", &a->partition) < 0 ||
	    slurm_rd_str(c, item, "parent_account", &a->parent_account) < 0 ||
	    tres_list_gpus(c, item, "max.tres.total", &a->grp_gpus, scratch, 0) < 0 ||
	    tres_list_gpus(c, item, "max.tres.group.minutes", &a->grp_gpu_mins, scratch, 0) < 0 ||
	    tres_list_gpus(c, item, "max.tres.group.active", &a->grp_gpu_run_mins, scratch, 0) < 0)
		return -1;
	if (!a->account[0])
		return slurm_rd_fail(c, "account", "missing or empty");
	return 0;
}

static int parse_account_json(struct slurm_rd *c, const cJSON *item, void *out)
{
	struct slurm_account *a = out;
	if (slurm_rd_object(c, item) < 0 || slurm_rd_str(c, item, "name", &a->name) < 0 ||
	    slurm_rd_str(c, item, "description", &a->description) < 0 ||
	    slurm_rd_str(c, item, "organization", &a->organization) < 0)
		return -1;
	if (!a->name[0])
		return slurm_rd_fail(c, "name", "missing or empty");
	return 0;
}

static int assocs_json(struct slurm_rd *c, const char *text, size_t len, struct slurm_assoc_set *s)
{
	void *items;
	if (each_item(c, text, len, "associations", NULL, &s->version, sizeof *s->items, &items, &s->n,
		    parse_assoc_json, NULL, NULL) < 0)
		return -1;
	s->items = items;
	return 0;
}

static int accounts_json(struct slurm_rd *c, const char *text, size_t len, struct slurm_assoc_set *s)
{
	struct slurm_version v;
	void *items;
	if (each_item(c, text, len, "accounts", NULL, &v, sizeof *s->accounts, &items, &s->n_accounts,
		    parse_account_json, NULL, NULL) < 0)
		return -1;
	s->accounts = items;
	return 0;
}

static int assocs_fill(const char *assocs, size_t alen, const char *accounts, size_t aclen,
		struct slurm_assoc_set *s, struct dc_err *err)
{
	struct slurm_rd c = { .src = "sacctmgr show assoc", .err = err, .a = &s->arena, .shape = SLURM_SHAPE_NONE };
	if (slurm_rd_is_json(assocs, alen)) {
		if (assocs_json(&c, assocs, alen, s) < 0)
			return -1;
	} else if (slurm_listing_assocs(&c, assocs, alen, s) < 0) {
		return -1;
	}
	c.src = "sacctmgr show account";
	c.where[0] = '\0';
	if (!accounts) {
		s->accounts = slurm_arena_alloc(&s->arena, sizeof *s->accounts);
	} else if (slurm_rd_is_json(accounts, aclen)) {
		if (accounts_json(&c, accounts, aclen, s) < 0)
			return -1;
	} else if (slurm_listing_accounts(&c, accounts, aclen, s) < 0) {
		return -1;
	}
	s->gpu_mins_used = slurm_arena_alloc(&s->arena, (s->n_accounts ? s->n_accounts : 1) * sizeof(int64_t));
	for (size_t i = 0; i < s->n_accounts; i++)
		s->gpu_mins_used[i] = -1;
	return 0;
}

int slurm_parse_assocs(const char *assocs, size_t assocs_len, const char *accounts, size_t accounts_len,
		struct slurm_assoc_set *out, struct dc_err *err)
{
	struct slurm_assoc_set s = { 0 };
	if (assocs_fill(assocs, assocs_len, accounts, accounts_len, &s, err) < 0) {
		slurm_assoc_set_free(&s);
		return -1;
	}
	*out = s;
	return 0;
}

int slurm_parse_version(const char *text, size_t len, struct slurm_version *v, struct dc_err *err)
{
	if (len > SLURM_INPUT_MAX)
		return dc_err_set(err, "output is %zu bytes, more than the %zu allowed", len, SLURM_INPUT_MAX);
	cJSON *r = cJSON_ParseWithLength(text, len);
	if (!r)
		return dc_err_set(err, "not valid JSON");
	int rc = slurm_rd_meta(r, v, err, "meta");
	cJSON_Delete(r);
	return rc;
}
