/* fuzz_slurm — the Slurm adapter's parsers over arbitrary bytes. The first
 * byte picks the parser (byte % 6: nodes, partitions, squeue, sacct,
 * associations with accounts after the first NUL, hostlist/TRES/gres strings); the
 * rest is the input, passed with its exact length and no terminating NUL.
 * Invariants: a failure leaves the caller's set untouched and a printable
 * message; a success gives a set whose strings are all present and whose
 * states are inside the schema's enums, and every pending job's
 * explanation is a non-empty string. Freed sets are empty. For the JSON
 * parsers, the element-at-a-time scanner (slurm-scan.h) is checked against
 * cJSON's parse of the whole input: whenever cJSON reads the input as an
 * object, the scanner reads it too and hands over the same elements (all
 * keys, and a chosen few) and the same other members. The adapter's
 * every-cycle parse (slurm_parse_*_since) answers as the plain one, with
 * nothing to lend and with its own set of the same input to lend from
 * (every element then copied: the copies equal the parse's). */
#include "fuzz.h"

#include "adapter/slurm/slurm-explain.h"
#include "adapter/slurm/slurm-parse.h"
#include "adapter/json-skip.h"
#include "adapter/slurm/slurm-scan.h"
#include "adapter/slurm/slurm-text.h"

static void check_str(const char *what, const char *s)
{
	if (!s)
		fuzz_fail("%s is NULL", what);
	(void)strlen(s);
}

static void check_failed(int rc, const struct dc_err *err, const void *set, size_t size)
{
	fuzz_check_msg(err->msg, sizeof err->msg, rc < 0);
	if (rc < 0) {
		fuzz_check_printable(err->msg);
		static const unsigned char zero[512];
		if (size > sizeof zero || memcmp(set, zero, size) != 0)
			fuzz_fail("a failed parse changed the caller's set");
	}
}

static void check_node(const struct slurm_node *n)
{
	check_str("node name", n->name);
	if (!n->name[0])
		fuzz_fail("node without a name");
	check_str("state_text", n->state_text);
	check_str("reason", n->reason);
	check_str("reason_set_by_user", n->reason_set_by_user);
	check_str("gpu_type", n->gpu_type);
	check_str("comment", n->comment);
	check_str("reservation", n->reservation);
	for (size_t i = 0; i < n->n_partitions; i++)
		check_str("partition", n->partitions[i]);
	if ((unsigned)n->dcops.sched > DC_SCHED_UNKNOWN || (unsigned)n->dcops.admin > DC_ADMIN_DRAINED ||
	    (unsigned)n->dcops.health > DC_HEALTH_FAIL || !n->dcops.label)
		fuzz_fail("node %s: state outside the enums", n->name);
	if ((n->flags & SLURM_NF_DRAIN) != 0 && n->dcops.admin == DC_ADMIN_ACTIVE)
		fuzz_fail("node %s: DRAIN mapped to active", n->name);
	if (n->gpus < 0 || n->gpus_used < 0)
		fuzz_fail("node %s: negative GPUs", n->name);
}

static void check_job(const struct slurm_job *j)
{
	check_str("state_text", j->state_text);
	check_str("reason", j->reason);
	check_str("state_description", j->state_description);
	check_str("account", j->account);
	check_str("user", j->user);
	check_str("partition", j->partition);
	check_str("name", j->name);
	check_str("qos", j->qos);
	check_str("dependency", j->dependency);
	check_str("gpu_type", j->gpu_type);
	check_str("nodes", j->nodes);
	check_str("array_task_str", j->array_task_str);
	if ((unsigned)j->state > DC_JOB_NODE_FAIL || j->job_id == 0 || j->gpus < 0)
		fuzz_fail("job %u: state %d, gpus %d", j->job_id, (int)j->state, j->gpus);
	if (j->n_node_list > SLURM_HOSTLIST_MAX)
		fuzz_fail("job %u: %zu nodes", j->job_id, j->n_node_list);
	for (size_t i = 0; i < j->n_node_list; i++)
		check_str("node", j->node_list[i]);
}

static void explain_all(const struct slurm_snap *snap, const struct slurm_job_set *jobs)
{
	for (size_t i = 0; i < jobs->n; i++) {
		char *s = slurm_explain_pending(snap, &jobs->items[i], 1764640800);
		if (!s || !s[0])
			fuzz_fail("job %u: empty explanation", jobs->items[i].job_id);
		free(s);
	}
}

/* ---- the scanner against cJSON ---- */

struct scan_diff {
	const cJSON *list;   /* cJSON's list, or NULL when not an array */
	const char *const *want;
	size_t seen;
};

static const char *const scan_keys[] = { "name", "job_id", "state", "job_state", "time", "exit_code", "nodes",
	"meta", "a", "", NULL };

/* Equal trees, children in order (cJSON_Compare pairs duplicate keys by
 * name, so a tree with two "a" of different values differs from itself). */
static bool same_tree(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return a == b;
	if ((a->type & 0xff) != (b->type & 0xff))
		return false;
	if ((a->string == NULL) != (b->string == NULL) || (a->string && strcmp(a->string, b->string) != 0))
		return false;
	if (cJSON_IsString(a) && strcmp(a->valuestring, b->valuestring) != 0)
		return false;
	if (cJSON_IsNumber(a) && memcmp(&a->valuedouble, &b->valuedouble, sizeof a->valuedouble) != 0)
		return false;
	const cJSON *x = a->child, *y = b->child;
	for (; x && y; x = x->next, y = y->next)
		if (!same_tree(x, y))
			return false;
	return x == y;
}

static bool scan_wanted(const char *const *want, const char *key)
{
	for (size_t i = 0; want[i]; i++)
		if (strcmp(want[i], key) == 0)
			return true;
	return false;
}

static int scan_item(void *arg, const cJSON *members, size_t i, const cJSON *item)
{
	(void)members;
	struct scan_diff *d = arg;
	const cJSON *dom = d->list ? cJSON_GetArrayItem(d->list, (int)i) : NULL;
	if (!dom || i != d->seen++)
		fuzz_fail("scanner element %zu: not in cJSON's list", i);
	if (!d->want || !cJSON_IsObject(dom)) {
		if (!same_tree(dom, item))
			fuzz_fail("scanner element %zu differs from cJSON's", i);
		return 0;
	}
	for (const cJSON *e = item->child; e; e = e->next)
		if (!scan_wanted(d->want, e->string))
			fuzz_fail("scanner element %zu: unwanted key", i);
	for (size_t k = 0; d->want[k]; k++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(dom, d->want[k]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(item, d->want[k]);
		if (!same_tree(a, b))
			fuzz_fail("scanner element %zu key \"%s\" differs from cJSON's", i, d->want[k]);
	}
	return 0;
}

static void fuzz_scan(const char *text, size_t len, const char *list)
{
	cJSON *dom = cJSON_ParseWithLengthOpts(text, len, NULL, false);
	if (!cJSON_IsObject(dom) || !jskip_is_object(text, len)) {
		cJSON_Delete(dom);
		return;
	}
	const cJSON *dl = cJSON_GetObjectItemCaseSensitive(dom, list);
	for (int pass = 0; pass < 2; pass++) {
		struct scan_diff d = { cJSON_IsArray(dl) ? dl : NULL, pass ? scan_keys : NULL, 0 };
		struct slurm_scan_doc doc;
		struct dc_err err = { { 0 } };
		if (slurm_scan_run(&doc, "fuzz", text, len, list, d.want, scan_item, &d, &err) < 0)
			fuzz_fail("cJSON reads it, the scanner refuses it: %s", err.msg);
		if (doc.have_list != (d.list != NULL) || (d.list && doc.n != (size_t)cJSON_GetArraySize(d.list)))
			fuzz_fail("scanner list: %d, %zu elements", doc.have_list, doc.n);
		for (const cJSON *e = dom->child; e; e = e->next) {
			if (strcmp(e->string, list) == 0 || cJSON_GetObjectItemCaseSensitive(dom, e->string) != e)
				continue;
			if (!same_tree(e, cJSON_GetObjectItemCaseSensitive(doc.root, e->string)))
				fuzz_fail("scanner member \"%s\" differs from cJSON's", e->string);
		}
		slurm_scan_close(&doc);
	}
	cJSON_Delete(dom);
}

static void same_str(const char *what, const char *a, const char *b)
{
	if (strcmp(a, b) != 0)
		fuzz_fail("since: %s \"%s\" against \"%s\"", what, a, b);
}

/* rc and message as the plain parse's (rc0, err0); on success a second
 * reading lends every element from the first. */
static void since_nodes(const char *text, size_t len, int rc0, const struct dc_err *err0,
		const struct slurm_node_set *plain)
{
	struct slurm_node_set s1 = { 0 }, s2 = { 0 };
	struct dc_err err = { { 0 } };
	int rc = slurm_parse_nodes_since(text, len, NULL, &s1, &err);
	if (rc != rc0 || (rc < 0 && strcmp(err.msg, err0->msg) != 0))
		fuzz_fail("since: %d \"%s\", plain: %d \"%s\"", rc, err.msg, rc0, err0->msg);
	if (rc == 0 && slurm_parse_nodes_since(text, len, &s1, &s2, &err) < 0)
		fuzz_fail("since, lent: %s", err.msg);
	slurm_node_set_free(&s1);
	for (size_t i = 0; rc == 0 && i < s2.n; i++) {
		if (i >= plain->n)
			fuzz_fail("since: %zu nodes, plain %zu", s2.n, plain->n);
		same_str("name", s2.items[i].name, plain->items[i].name);
		same_str("reason", s2.items[i].reason, plain->items[i].reason);
		same_str("state", s2.items[i].state_text, plain->items[i].state_text);
		check_node(&s2.items[i]);
	}
	slurm_node_set_free(&s2);
}

static void since_jobs(const char *text, size_t len, int rc0, const struct dc_err *err0,
		const struct slurm_job_set *plain)
{
	struct slurm_job_set s1 = { 0 }, s2 = { 0 };
	struct dc_err err = { { 0 } };
	int rc = slurm_parse_squeue_since(text, len, NULL, &s1, &err);
	if (rc != rc0 || (rc < 0 && strcmp(err.msg, err0->msg) != 0))
		fuzz_fail("since: %d \"%s\", plain: %d \"%s\"", rc, err.msg, rc0, err0->msg);
	if (rc == 0 && slurm_parse_squeue_since(text, len, &s1, &s2, &err) < 0)
		fuzz_fail("since, lent: %s", err.msg);
	slurm_job_set_free(&s1);
	for (size_t i = 0; rc == 0 && i < s2.n; i++) {
		if (i >= plain->n || s2.items[i].job_id != plain->items[i].job_id)
			fuzz_fail("since: job %zu differs", i);
		same_str("name", s2.items[i].name, plain->items[i].name);
		same_str("nodes", s2.items[i].nodes, plain->items[i].nodes);
		same_str("state", s2.items[i].state_text, plain->items[i].state_text);
		if (s2.items[i].exit_code != plain->items[i].exit_code)
			fuzz_fail("since: job %u exit code", s2.items[i].job_id);
		check_job(&s2.items[i]);
	}
	slurm_job_set_free(&s2);
}

static void fuzz_nodes(const char *text, size_t len)
{
	struct slurm_node_set s;
	struct dc_err err = { { 0 } };
	memset(&s, 0, sizeof s);
	int rc = slurm_parse_nodes(text, len, &s, &err);
	check_failed(rc, &err, &s, sizeof s);
	for (size_t i = 0; rc == 0 && i < s.n; i++)
		check_node(&s.items[i]);
	since_nodes(text, len, rc, &err, &s);
	slurm_node_set_free(&s);
	fuzz_scan(text, len, "nodes");
}

static void fuzz_parts(const char *text, size_t len)
{
	struct slurm_part_set s;
	struct dc_err err = { { 0 } };
	memset(&s, 0, sizeof s);
	int rc = slurm_parse_partitions(text, len, &s, &err);
	check_failed(rc, &err, &s, sizeof s);
	for (size_t i = 0; rc == 0 && i < s.n; i++) {
		const struct slurm_partition *p = &s.items[i];
		check_str("partition", p->name);
		check_str("nodes", p->nodes);
		check_str("state_text", p->state_text);
		for (size_t k = 0; k < p->n_node_list; k++)
			check_str("node", p->node_list[k]);
	}
	slurm_part_set_free(&s);
}

static void fuzz_jobs(const char *text, size_t len, bool sacct)
{
	struct slurm_job_set s;
	struct dc_err err = { { 0 } };
	memset(&s, 0, sizeof s);
	int rc = sacct ? slurm_parse_sacct(text, len, &s, &err) : slurm_parse_squeue(text, len, &s, &err);
	check_failed(rc, &err, &s, sizeof s);
	for (size_t i = 0; rc == 0 && i < s.n; i++)
		check_job(&s.items[i]);
	if (!sacct)
		since_jobs(text, len, rc, &err, &s);
	if (rc == 0) {
		struct slurm_snap snap = { NULL, NULL, &s, NULL };
		explain_all(&snap, &s);
	}
	slurm_job_set_free(&s);
	fuzz_scan(text, len, "jobs");
}

static void fuzz_assocs(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	size_t alen = nul ? (size_t)(nul - text) : len;
	const char *acc = nul ? nul + 1 : NULL;
	size_t acclen = nul ? len - alen - 1 : 0;
	struct slurm_assoc_set s;
	struct dc_err err = { { 0 } };
	memset(&s, 0, sizeof s);
	int rc = slurm_parse_assocs(text, alen, acc, acclen, &s, &err);
	check_failed(rc, &err, &s, sizeof s);
	for (size_t i = 0; rc == 0 && i < s.n; i++) {
		check_str("account", s.items[i].account);
		check_str("user", s.items[i].user);
		check_str("parent", s.items[i].parent_account);
		(void)slurm_tenant_name(&s, s.items[i].account);
	}
	for (size_t i = 0; rc == 0 && i < s.n_accounts; i++)
		check_str("description", s.accounts[i].description);
	slurm_assoc_set_free(&s);
}

static void fuzz_strings(const char *text, size_t len)
{
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, text, len);
	s[len] = '\0';
	struct slurm_arena a = { 0 };
	char **names = NULL;
	size_t n = 0;
	struct dc_err err = { { 0 } };
	int rc = slurm_hostlist_expand(s, 5000, &a, &names, &n, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0)
		fuzz_check_printable(err.msg);
	if (rc == 0 && n > 5000)
		fuzz_fail("%zu names over the cap", n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (strlen(names[i]) > 255)
			fuzz_fail("name longer than 255");
	slurm_arena_free(&a);
	struct slurm_tres t;
	rc = slurm_tres_parse(s, &t, &err);
	if (rc < 0)
		fuzz_check_printable(err.msg);
	int g;
	char type[32];
	if (slurm_gres_gpus(s, &g, type, sizeof type, &err) == 0 && g < 0)
		fuzz_fail("negative gres count");
	if (slurm_tres_per_gpus(s, &g, type, sizeof type, &err) == 0 && g < 0)
		fuzz_fail("negative TRES request");
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* nothing after the input to lean on */
	size_t len = size - 1;
	char *text = fuzz_bytes(data + 1, len);
	switch (data[0] % 6) {
	case 0: fuzz_nodes(text, len); break;
	case 1: fuzz_parts(text, len); break;
	case 2: fuzz_jobs(text, len, false); break;
	case 3: fuzz_jobs(text, len, true); break;
	case 4: fuzz_assocs(text, len); break;
	default: fuzz_strings(text, len); break;
	}
	free(text);
	return 0;
}
