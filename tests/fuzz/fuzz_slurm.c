/* fuzz_slurm — the Slurm adapter's parsers over arbitrary bytes. The first
 * byte picks the parser (byte % 6: nodes, partitions, squeue, sacct,
 * associations with accounts after the first NUL, hostlist/TRES/gres strings); the
 * rest is the input, passed with its exact length and no terminating NUL.
 * Invariants: a failure leaves the caller's set untouched and a printable
 * message; a success gives a set whose strings are all present and whose
 * states are inside the schema's enums, and every pending job's
 * explanation is a non-empty string. Freed sets are empty. */
#include "fuzz.h"

#include "adapter/slurm/slurm-explain.h"
#include "adapter/slurm/slurm-parse.h"
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

static void fuzz_nodes(const char *text, size_t len)
{
	struct slurm_node_set s;
	struct dc_err err = { { 0 } };
	memset(&s, 0, sizeof s);
	int rc = slurm_parse_nodes(text, len, &s, &err);
	check_failed(rc, &err, &s, sizeof s);
	for (size_t i = 0; rc == 0 && i < s.n; i++)
		check_node(&s.items[i]);
	slurm_node_set_free(&s);
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
	if (rc == 0) {
		struct slurm_snap snap = { NULL, NULL, &s, NULL };
		explain_all(&snap, &s);
	}
	slurm_job_set_free(&s);
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
	/* a private copy of exactly the input: nothing after it to lean on */
	size_t len = size - 1;
	char *text = malloc(len ? len : 1);
	if (!text)
		abort();
	memcpy(text, data + 1, len);
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
