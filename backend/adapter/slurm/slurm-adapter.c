/* slurm-adapter.c — see slurm-adapter.h. Fetch (run and parse every due
 * source into fresh sets; any failure drops them all), then build one JSON
 * document per table, skip those equal to the last committed, and upsert
 * the rest in one transaction; nodes, jobs and GPUs by row (only rows whose
 * hash differs from the last committed are made and sent).
 *
 * Ownership across cycles: the adapter owns one set per source (nodes,
 * parts, jobs, ended, assocs), replaced whole when a fetch succeeds; the
 * explanations and documents read them. The nodes and jobs sets of the last
 * committed cycle also lend their records to the next parse (an element
 * with the same bytes is copied into the new set's own arena, so the old
 * set is freed right after, as before); nodes_committed/jobs_committed say
 * whether they may, and like the row hashes they are cleared by a failed
 * cycle and a reconnect (forget). */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/adapter-status.h"
#include "adapter/slurm/slurm-act.h"
#include "adapter/slurm/slurm-adapter.h"
#include "adapter/slurm/slurm-explain.h"
#include "adapter/slurm/slurm-keymap.h"
#include "adapter/slurm/slurm-parse.h"
#include "adapter/slurm/slurm-run.h"
#include "adapter/remedy/remedy.h"
#include "adapter/telemetry/tel.h"
#include "db.h"
#include "text.h"

#define POLL_NODES_MS 5000
#define POLL_JOBS_MS 5000
#define POLL_ACCT_MS 60000
#define UNPLACED "unplaced"
#define OTHER_PARTITION "other"
#define INFINITE_MIN 52560000   /* 100 years: "UNLIMITED" as an interval */

/* ---------------------------------------------------------------- config */

struct slurm_cfg {
	struct slurm_runner_opts run;
	const char *identity[2];
	const char *inventory;
	int poll_ms[3];
	struct tel_cfg tel;        /* DCGM telemetry beside Slurm (--telemetry) */
	const char *remedy;        /* the site's remediation overrides (--remedy) */
};

enum source { SRC_NODES, SRC_JOBS, SRC_ACCT, SRC_N };
/* Accounting unreadable (slurmdbd down): how soon it is asked again. */
#define ACCT_RETRY_MS 5000
static const char *const source_opt[SRC_N] = { "poll-nodes", "poll-jobs", "poll-accounting" };

static void *cfg_new(void)
{
	struct slurm_cfg *c = xcalloc(1, sizeof *c);
	c->poll_ms[SRC_NODES] = POLL_NODES_MS;
	c->poll_ms[SRC_JOBS] = POLL_JOBS_MS;
	c->poll_ms[SRC_ACCT] = POLL_ACCT_MS;
	tel_cfg_init(&c->tel);
	return c;
}

static void cfg_free(void *vc)
{
	struct slurm_cfg *c = vc;
	tel_cfg_free(&c->tel);
	free(c);
}

static int seconds(const char *opt, const char *v, double lo, double hi, int *ms)
{
	char *end;
	double d = strtod(v, &end);
	if (*end || !*v || d < lo || d > hi) {
		text_putline(stderr, "dcopsd: --%s wants seconds in [%g, %g], not '%s'", opt, lo, hi, v);
		return -1;
	}
	*ms = (int)(d * 1000);
	return 0;
}

static int cfg_parse(void *vc, const char *opt, const char *val)
{
	struct slurm_cfg *c = vc;
	int rc = tel_cfg_parse(&c->tel, opt, val);
	if (rc <= 0)
		return rc;
	for (int s = 0; s < SRC_N; s++)
		if (strcmp(opt, source_opt[s]) == 0)
			return seconds(opt, val, 0.2, 3600, &c->poll_ms[s]);
	if (strcmp(opt, "slurm-timeout") == 0)
		return seconds(opt, val, 1, 600, &c->run.timeout_ms);
	const char **dst = strcmp(opt, "ssh") == 0 ? &c->run.ssh
		: strcmp(opt, "known-hosts") == 0 ? &c->run.known_hosts
		: strcmp(opt, "slurm-bin") == 0 ? &c->run.bindir
		: strcmp(opt, "inventory") == 0 ? &c->inventory
		: strcmp(opt, "remedy") == 0 ? &c->remedy
		: strcmp(opt, "identity") == 0 ? &c->identity[0] : NULL;
	if (!dst)
		return 1;
	*dst = val;
	if (dst == &c->identity[0])
		c->run.identities = c->identity;
	return 0;
}

/* ---------------------------------------------------------------- inventory */

static int inv_fail(struct dc_err *err, const char *path, const char *node, const char *key, const char *what)
{
	return dc_err_set(err, "%s: nodes.%.64s.%s: %s", path, node, key, what);
}

static bool name_ok(const char *s, size_t max, bool rack)
{
	size_t n = strlen(s);
	if (n < 1 || n > max)
		return false;
	for (; rack && *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static int inv_item(const char *path, const cJSON *it, struct slurm_place *p, struct dc_err *err)
{
	const cJSON *hall = cJSON_GetObjectItemCaseSensitive(it, "hall");
	const cJSON *rack = cJSON_GetObjectItemCaseSensitive(it, "rack");
	const cJSON *row = cJSON_GetObjectItemCaseSensitive(it, "row");
	const cJSON *slot = cJSON_GetObjectItemCaseSensitive(it, "slot");
	if (!cJSON_IsObject(it))
		return inv_fail(err, path, it->string, "", "expected an object {hall, row, rack, slot}");
	if (!cJSON_IsString(hall) || !name_ok(hall->valuestring, 100, false))
		return inv_fail(err, path, it->string, "hall", "expected a name of 1 to 100 characters");
	if (!cJSON_IsString(rack) || !name_ok(rack->valuestring, 32, true))
		return inv_fail(err, path, it->string, "rack", "expected [A-Za-z0-9_.-]{1,32}");
	if (!cJSON_IsNumber(row) || row->valuedouble < 1 || row->valuedouble > 10000 ||
	    row->valuedouble != (int)row->valuedouble)
		return inv_fail(err, path, it->string, "row", "expected a whole number from 1 to 10000");
	if (slot && (!cJSON_IsNumber(slot) || slot->valuedouble < 1 || slot->valuedouble > 1000 ||
		     slot->valuedouble != (int)slot->valuedouble))
		return inv_fail(err, path, it->string, "slot", "expected a whole number from 1 to 1000");
	*p = (struct slurm_place){ .node = xstrdup(it->string), .hall = xstrdup(hall->valuestring),
		.rack = xstrdup(rack->valuestring), .row = (int)row->valuedouble,
		.slot = slot ? (int)slot->valuedouble : 1 };
	return 0;
}

/* dcops.tenant_kind's values (001_schema.sql). */
static const char *const tenant_kinds[] = { "startup", "sme", "enterprise", "university", "institute" };

static int inv_kinds(const char *path, const cJSON *tenants, struct slurm_inventory *inv, struct dc_err *err)
{
	if (!tenants)
		return 0;
	if (!cJSON_IsObject(tenants))
		return dc_err_set(err, "%s: tenants: expected an object of Slurm account -> {kind}", path);
	for (const cJSON *it = tenants->child; it; it = it->next) {
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(it, "kind");
		bool ok = false;
		for (size_t k = 0; cJSON_IsString(kind) && k < sizeof tenant_kinds / sizeof *tenant_kinds; k++)
			ok |= strcmp(kind->valuestring, tenant_kinds[k]) == 0;
		if (!ok)
			return dc_err_set(err, "%s: tenants.%.64s.kind: expected startup, sme, enterprise, university or "
					  "institute", path, it->string);
		inv->kinds = xrealloc(inv->kinds, (inv->n_kinds + 1) * sizeof *inv->kinds);
		inv->kinds[inv->n_kinds++] = (struct slurm_tenant_kind){ .account = xstrdup(it->string),
			.kind = xstrdup(kind->valuestring) };
	}
	return 0;
}

static const char *inv_kind(const struct slurm_inventory *inv, const char *account)
{
	for (size_t i = 0; i < inv->n_kinds; i++)
		if (strcmp(inv->kinds[i].account, account) == 0)
			return inv->kinds[i].kind;
	return NULL;
}

static int cmp_place(const void *x, const void *y)
{
	return strcmp(((const struct slurm_place *)x)->node, ((const struct slurm_place *)y)->node);
}

int slurm_inventory_load(const char *path, struct slurm_inventory *inv, struct dc_err *err)
{
	char *text = NULL;
	size_t len;
	*inv = (struct slurm_inventory){ 0 };
	if (dc_read_file(path, 64u << 20, &text, &len, err) < 0)
		return -1;
	const char *bad = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &bad, false);
	free(text);
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
	int rc = 0;
	if (!root)
		rc = dc_err_set(err, "%s: not JSON (near byte %td)", path, bad ? bad - text : 0);
	else if (!cJSON_IsObject(nodes))
		rc = dc_err_set(err, "%s: nodes: expected an object of node name -> {hall, row, rack, slot}", path);
	for (const cJSON *it = rc == 0 ? nodes->child : NULL; it && rc == 0; it = it->next) {
		inv->items = xrealloc(inv->items, (inv->n + 1) * sizeof *inv->items);
		if ((rc = inv_item(path, it, &inv->items[inv->n], err)) == 0)
			inv->n++;
	}
	if (rc == 0)
		rc = inv_kinds(path, cJSON_GetObjectItemCaseSensitive(root, "tenants"), inv, err);
	cJSON_Delete(root);
	if (rc < 0)
		slurm_inventory_free(inv);
	else if (inv->n)
		qsort(inv->items, inv->n, sizeof *inv->items, cmp_place);
	return rc;
}

void slurm_inventory_free(struct slurm_inventory *inv)
{
	for (size_t i = 0; i < inv->n; i++) {
		free(inv->items[i].node);
		free(inv->items[i].hall);
		free(inv->items[i].rack);
	}
	for (size_t i = 0; i < inv->n_kinds; i++) {
		free(inv->kinds[i].account);
		free(inv->kinds[i].kind);
	}
	free(inv->kinds);
	free(inv->items);
	*inv = (struct slurm_inventory){ 0 };
}

/* The inventory is sorted by node name once it is loaded. */
static const struct slurm_place *inv_find(const struct slurm_inventory *inv, const char *node)
{
	struct slurm_place key = { .node = (char *)node };
	return inv->n ? bsearch(&key, inv->items, inv->n, sizeof *inv->items, cmp_place) : NULL;
}

/* ---------------------------------------------------------------- state */

/* The tables in write order (foreign keys: places before nodes, tenants
 * and partitions before jobs, jobs before GPUs). */
enum table { T_PLACES, T_PARTS, T_TENANTS, T_NODES, T_JOBS, T_GPUS, T_QUOTAS, T_N };

struct slurm_adapter {
	struct slurm_cfg *cfg;
	FILE *log;
	struct slurm_runner *run;
	struct tel *tel;           /* NULL without --telemetry */
	struct remedy remedy;      /* the remediation table, loaded with the reader */
	uint64_t tel_shape;        /* gpu_shape at the reader's last reload */
	struct slurm_inventory inv;
	bool json_cmds;            /* 23.02+: scontrol and sacctmgr --json */
	bool have[SRC_N];
	int64_t due[SRC_N];        /* monotonic ms */
	bool acct_stale;           /* accounting unreadable: its last limits and usage kept */
	struct slurm_node_set nodes;
	struct slurm_part_set parts;
	struct slurm_job_set jobs;
	/* nodes and jobs are the sets the last committed cycle was made of:
	 * the next parse copies their unchanged elements instead of reading
	 * them (slurm_parse_*_since). Cleared when a set is replaced, set at
	 * COMMIT; a failed cycle or a reconnect leaves them clear, and the
	 * next parse reads every element. */
	bool nodes_committed, jobs_committed;
	struct slurm_job_set ended;   /* this cycle's sacct answer */
	struct slurm_assoc_set assocs;
	uint32_t *gone;               /* live in dcops, in neither squeue nor sacct */
	size_t n_gone;
	uint64_t sent[T_N];           /* hash of each table's last committed document */
	/* nodes, jobs and GPUs: each row's hash as last committed, by key (a
	 * job by its id, a node's row and its GPU rows by its name's hash) */
	struct keymap rows[T_N];
	int quota_total;              /* GPUs in the cluster when quotas were last committed; -1 none yet */
	char *places;                 /* the halls and racks document, made at start */
	char version[64];
};

/* ---------------------------------------------------------------- fetch */

static int run_cmd(struct slurm_adapter *a, const char *const *argv, struct slurm_out *o, struct dc_err *err)
{
	if (slurm_run(a->run, argv, o, err) < 0)
		return -1;
	if (o->status == 0)
		return 0;
	char first[200] = "";
	snprintf(first, sizeof first, "%s", o->err_len ? o->err : o->out ? o->out : "");
	first[strcspn(first, "\n")] = 0;
	dc_err_set(err, "%s exited %d: %s", argv[0], o->status, first[0] ? first : "(no message)");
	slurm_out_free(o);
	return -1;
}

/* A parse error names the document; the operator reads which command
 * answered it too ("sinfo --json: nodes JSON: Slurm reported an error"). */
static int err_command(struct dc_err *err, const char *const *argv)
{
	char cmd[64] = "", why[sizeof err->msg];
	for (size_t i = 0; argv[i] && i < 4; i++)
		snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", i ? " " : "", argv[i]);
	snprintf(why, sizeof why, "%s", err->msg);
	return dc_err_set(err, "%s: %s", cmd, why);
}

static int detect_version(struct slurm_adapter *a, struct dc_err *err)
{
	if (a->version[0])
		return 0;
	const char *argv[] = { "sinfo", "--version", NULL };
	struct slurm_out o;
	if (run_cmd(a, argv, &o, err) < 0)
		return -1;
	int major = 0, minor = 0;
	if (sscanf(o.out, "slurm %d.%d", &major, &minor) != 2 && sscanf(o.out, "slurm-wlm %d.%d", &major, &minor) != 2) {
		dc_err_set(err, "sinfo --version: '%.60s' names no release", o.out);
		slurm_out_free(&o);
		return -1;
	}
	slurm_out_free(&o);
	if (major < 22 || (major == 22 && minor < 5))
		return dc_err_set(err, "Slurm %d.%02d is older than 22.05, which dcops needs", major, minor);
	a->json_cmds = major > 22;
	snprintf(a->version, sizeof a->version, "%d.%02d", major, minor);
	text_putline(a->log, "dcopsd: Slurm %s%s", a->version, major > 24 ? " (newer than tested: read as 24.05)" : "");
	fflush(a->log);
	return 0;
}

static int fetch_nodes(struct slurm_adapter *a, struct slurm_node_set *ns, struct slurm_part_set *ps,
		       struct dc_err *err)
{
	static const char *const nodes_2205[] = { "sinfo", "--json", NULL };
	static const char *const nodes_json[] = { "scontrol", "show", "node", "--json", NULL };
	static const char *const parts_2205[] = { "scontrol", "-o", "show", "partition", NULL };
	static const char *const parts_json[] = { "scontrol", "show", "partition", "--json", NULL };
	struct slurm_out o;
	const char *const *cmd = a->json_cmds ? nodes_json : nodes_2205;
	if (run_cmd(a, cmd, &o, err) < 0)
		return -1;
	int rc = slurm_parse_nodes_since(o.out, o.out_len, a->nodes_committed ? &a->nodes : NULL, ns, err);
	slurm_out_release(a->run, &o);
	if (rc < 0)
		return err_command(err, cmd);
	cmd = a->json_cmds ? parts_json : parts_2205;
	if (run_cmd(a, cmd, &o, err) < 0)
		return -1;
	rc = slurm_parse_partitions(o.out, o.out_len, ps, err);
	slurm_out_free(&o);
	return rc < 0 ? err_command(err, cmd) : 0;
}

static int fetch_accounting(struct slurm_adapter *a, struct slurm_assoc_set *as, struct dc_err *err)
{
	const char *assoc_txt[] = { "sacctmgr", "-P", "-n", "show", "assoc", "format=" SLURM_ASSOC_FORMAT, NULL };
	const char *acct_txt[] = { "sacctmgr", "-P", "-n", "show", "account", "format=" SLURM_ACCOUNT_FORMAT, NULL };
	const char *assoc_json[] = { "sacctmgr", "show", "assoc", "--json", NULL };
	const char *acct_json[] = { "sacctmgr", "show", "account", "--json", NULL };
	const char *share[] = { "sshare", "-a", "-P", "-o", SLURM_SSHARE_FORMAT, NULL };
	struct slurm_out o1, o2, o3;
	if (run_cmd(a, a->json_cmds ? assoc_json : assoc_txt, &o1, err) < 0)
		return -1;
	if (run_cmd(a, a->json_cmds ? acct_json : acct_txt, &o2, err) < 0) {
		slurm_out_free(&o1);
		return -1;
	}
	int rc = slurm_parse_assocs(o1.out, o1.out_len, o2.out, o2.out_len, as, err);
	slurm_out_free(&o1);
	slurm_out_free(&o2);
	if (rc < 0 || run_cmd(a, share, &o3, err) < 0)
		return -1;
	rc = slurm_parse_sshare(o3.out, o3.out_len, as, err);
	slurm_out_free(&o3);
	return rc;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

/* Jobs dcops holds as pending or running that squeue no longer lists: they
 * ended while nobody looked (squeue keeps ended jobs for MinJobAge only). */
static int fetch_ended(struct slurm_adapter *a, PGconn *c, const struct slurm_job_set *live,
		       struct slurm_job_set *ended, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, "SELECT id FROM dcops.job WHERE state IN ('pending', 'running') "
				      "AND id <= 4294967295 ORDER BY id", 0, NULL);
	if (!r)
		return -1;
	uint32_t *ids = xcalloc((size_t)PQntuples(r) + 1, sizeof *ids);
	size_t n = 0;
	uint32_t *have = xcalloc(live->n + 1, sizeof *have);
	for (size_t i = 0; i < live->n; i++)
		have[i] = live->items[i].job_id;
	qsort(have, live->n, sizeof *have, cmp_u32);
	for (int i = 0; i < PQntuples(r); i++) {
		uint32_t id = (uint32_t)strtoul(PQgetvalue(r, i, 0), NULL, 10);
		if (!bsearch(&id, have, live->n, sizeof *have, cmp_u32))
			ids[n++] = id;
	}
	PQclear(r);
	free(have);
	int rc = 0;
	if (n) {
		struct sb list = { 0 };
		for (size_t i = 0; i < n; i++)
			sb_appendf(&list, "%s%u", i ? "," : "", ids[i]);
		const char *argv[] = { "sacct", "--json", "-X", "-a", "-j", list.buf, NULL };
		struct slurm_out o;
		rc = run_cmd(a, argv, &o, err);
		sb_free(&list);
		if (rc == 0) {
			rc = slurm_parse_sacct(o.out, o.out_len, ended, err);
			slurm_out_free(&o);
		}
	}
	free(a->gone);
	a->gone = NULL;
	a->n_gone = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (!slurm_find_job(ended, ids[i])) {
			a->gone = xrealloc(a->gone, (a->n_gone + 1) * sizeof *a->gone);
			a->gone[a->n_gone++] = ids[i];
		}
	free(ids);
	return rc;
}

/* Accounting's own state for the consoles (084: accounting.*, shown as
 * QUOTAS STALE): down with sacctmgr's error while the last limits and
 * usage are kept, up after each read. */
static int acct_report(const struct slurm_adapter *a, PGconn *c, const char *why, struct dc_err *err)
{
	int iv = (why ? ACCT_RETRY_MS : a->cfg->poll_ms[SRC_ACCT]) / 1000;
	return adapter_report(c, "accounting", why ? ADAPTER_DOWN : ADAPTER_UP, why,
	                      iv < 1 ? 1 : iv > 3600 ? 3600 : iv, err);
}

/* Runs and parses every due source; the new sets replace the old only
 * when all of them parsed. */
static int fetch(struct slurm_adapter *a, PGconn *c, bool due[SRC_N], struct dc_err *err)
{
	struct slurm_node_set ns = { 0 };
	struct slurm_part_set ps = { 0 };
	struct slurm_job_set js = { 0 }, es = { 0 };
	struct slurm_assoc_set as = { 0 };
	int rc = detect_version(a, err);
	if (rc == 0 && due[SRC_NODES])
		rc = fetch_nodes(a, &ns, &ps, err);
	if (rc == 0 && due[SRC_JOBS]) {
		const char *argv[] = { "squeue", "--json", NULL };
		struct slurm_out o;
		rc = run_cmd(a, argv, &o, err);
		if (rc == 0) {
			rc = slurm_parse_squeue_since(o.out, o.out_len, a->jobs_committed ? &a->jobs : NULL, &js, err);
			slurm_out_release(a->run, &o);
		}
		if (rc == 0)
			rc = fetch_ended(a, c, &js, &es, err);
	}
	if (rc == 0 && due[SRC_ACCT]) {
		rc = fetch_accounting(a, &as, err);
		/* slurmdbd down while slurmctld runs is common: nodes and jobs
		 * keep flowing on the last limits and usage, retried every
		 * ACCT_RETRY_MS; without any accounting yet, tenants cannot be
		 * mapped and the cycle fails as a whole */
		if (rc < 0 && a->have[SRC_ACCT]) {
			if (!a->acct_stale)
				text_putline(a->log, "dcopsd: accounting unreadable, keeping its last limits and usage: %s",
				             err->msg);
			fflush(a->log);
			a->acct_stale = true;
			due[SRC_ACCT] = false;
			a->due[SRC_ACCT] = dc_mono_ms() + ACCT_RETRY_MS;
			slurm_assoc_set_free(&as);
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			rc = acct_report(a, c, why, err);
		} else if (rc == 0 && a->acct_stale) {
			fprintf(a->log, "dcopsd: accounting readable again\n");
			fflush(a->log);
			a->acct_stale = false;
		}
		if (rc == 0 && due[SRC_ACCT])
			rc = acct_report(a, c, NULL, err);
	}
	if (rc < 0) {
		slurm_node_set_free(&ns);
		slurm_part_set_free(&ps);
		slurm_job_set_free(&js);
		slurm_job_set_free(&es);
		slurm_assoc_set_free(&as);
		return -1;
	}
	slurm_job_set_free(&a->ended);
	a->ended = es;
	if (due[SRC_NODES]) {
		slurm_node_set_free(&a->nodes);
		slurm_part_set_free(&a->parts);
		a->nodes = ns;
		a->parts = ps;
		a->nodes_committed = false;
	}
	if (due[SRC_JOBS]) {
		slurm_job_set_free(&a->jobs);
		a->jobs = js;
		a->jobs_committed = false;
	}
	if (due[SRC_ACCT]) {
		slurm_assoc_set_free(&a->assocs);
		a->assocs = as;
	}
	for (int s = 0; s < SRC_N; s++)
		a->have[s] |= due[s];
	return 0;
}

/* ---------------------------------------------------------------- documents */

/* dcops's names: partitions ^[a-z0-9_-]{1,32}$, nodes ^[a-z0-9][a-z0-9.-]{0,62}$. */
static bool part_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

static bool node_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'))
			return false;
	return true;
}

/* snprintf's "%s" cut, without its cost (it ran twice for each of
 * 100,000 jobs a cycle). */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A job's partition as dcops knows it: the first of a pending job's list. */
static const char *job_partition(const struct slurm_job *j, char *buf, size_t n)
{
	copy_cut(buf, n, j->partition);
	buf[strcspn(buf, ",")] = 0;
	return part_name_ok(buf) ? buf : OTHER_PARTITION;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
	cJSON_AddItemToObject(o, k, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

/* Whole numbers as their digits: cJSON 1.7.15 prints every number with
 * "%1.15g" and reads it back with sscanf, a third of a 100,000-job cycle. */
static void add_num(cJSON *o, const char *k, double v)
{
	char b[32];
	if (v == (double)(long long)v && v > -9e15 && v < 9e15) {
		snprintf(b, sizeof b, "%lld", (long long)v);
		cJSON_AddItemToObject(o, k, cJSON_CreateRaw(b));
	} else {
		cJSON_AddItemToObject(o, k, cJSON_CreateNumber(v));
	}
}

/* A time, or null for Slurm's 0. */
static void add_time(cJSON *o, const char *k, int64_t t)
{
	if (t > 0)
		add_num(o, k, (double)t);
	else
		cJSON_AddItemToObject(o, k, cJSON_CreateNull());
}

/* Halls and racks, in the order of the inventory's first node (by name) in each; a rack's
 * position is its rank within its hall and row. Built once at start (the
 * inventory does not change while dcopsd runs). */
static cJSON *doc_places(const struct slurm_inventory *inv)
{
	cJSON *racks = cJSON_CreateArray();
	cJSON *u = cJSON_CreateObject();
	add_str(u, "hall", UNPLACED), add_str(u, "rack", UNPLACED), add_num(u, "row", 1), add_num(u, "pos", 1);
	cJSON_AddItemToArray(racks, u);
	const struct slurm_place **seen = xcalloc(inv->n + 1, sizeof *seen);
	size_t nseen = 0;
	for (size_t i = 0; i < inv->n; i++) {
		const struct slurm_place *p = &inv->items[i];
		int pos = 1;
		bool dup = false;
		for (size_t k = 0; k < nseen && !dup; k++) {
			dup = strcmp(seen[k]->rack, p->rack) == 0;
			pos += seen[k]->row == p->row && strcmp(seen[k]->hall, p->hall) == 0;
		}
		if (dup)
			continue;
		seen[nseen++] = p;
		cJSON *r = cJSON_CreateObject();
		add_str(r, "hall", p->hall), add_str(r, "rack", p->rack), add_num(r, "row", p->row);
		add_num(r, "pos", pos);
		cJSON_AddItemToArray(racks, r);
	}
	free(seen);
	return racks;
}

static const char *part_model(const struct slurm_adapter *a, const char *part)
{
	for (size_t i = 0; i < a->nodes.n; i++)
		for (size_t k = 0; k < a->nodes.items[i].n_partitions; k++)
			if (strcmp(a->nodes.items[i].partitions[k], part) == 0 && a->nodes.items[i].gpu_type[0])
				return a->nodes.items[i].gpu_type;
	return "";
}

/* Whether a node or a job names a partition dcops cannot: only then is
 * "other" made (an empty one would be a row in the Queues view that
 * Slurm does not have). */
static bool other_needed(const struct slurm_adapter *a)
{
	for (size_t i = 0; i < a->nodes.n; i++) {
		const struct slurm_node *n = &a->nodes.items[i];
		if (!n->n_partitions || !part_name_ok(n->partitions[0]) || strcmp(n->partitions[0], OTHER_PARTITION) == 0)
			return true;
	}
	const struct slurm_job_set *sets[] = { &a->jobs, &a->ended };
	char buf[40];
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < sets[s]->n; i++)
			if (strcmp(job_partition(&sets[s]->items[i], buf, sizeof buf), OTHER_PARTITION) == 0)
				return true;
	return false;
}

static cJSON *doc_parts(const struct slurm_adapter *a)
{
	cJSON *arr = cJSON_CreateArray();
	cJSON *o;
	if (other_needed(a)) {
		o = cJSON_CreateObject();
		add_str(o, "name", OTHER_PARTITION), add_str(o, "model", "");
		add_str(o, "descr", "not a Slurm partition dcops can name");
		cJSON_AddItemToArray(arr, o);
	}
	for (size_t i = 0; i < a->parts.n; i++) {
		const struct slurm_partition *p = &a->parts.items[i];
		if (!part_name_ok(p->name) || strcmp(p->name, OTHER_PARTITION) == 0)
			continue;
		o = cJSON_CreateObject();
		char descr[200];
		snprintf(descr, sizeof descr, "Slurm partition, %s, %d nodes", p->state_text[0] ? p->state_text : "UP",
			 p->total_nodes > 0 ? p->total_nodes : (int)p->n_node_list);
		add_str(o, "name", p->name), add_str(o, "model", part_model(a, p->name)), add_str(o, "descr", descr);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static bool acct_listed(const cJSON *arr, const char *acct)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(it, "acct")->valuestring, acct) == 0)
			return true;
	return false;
}

static bool name_listed(const cJSON *arr, const char *name)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
		if (strcmp(cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring, name) == 0)
			return true;
	return false;
}

/* Accounts (not root), and any account a job names that accounting did
 * not list (so the job's tenant exists). */
static cJSON *doc_tenants(const struct slurm_adapter *a)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < a->assocs.n_accounts; i++) {
		const struct slurm_account *acc = &a->assocs.accounts[i];
		if (strcmp(acc->name, "root") == 0 || !acc->name[0] || strlen(acc->name) > 64 || acct_listed(arr, acc->name))
			continue;
		cJSON *o = cJSON_CreateObject();
		const char *shown = slurm_tenant_name(&a->assocs, acc->name);
		/* two accounts described alike: tenant.name is unique */
		char *name = name_listed(arr, shown) ? xasprintf("%s (%s)", shown, acc->name) : xstrdup(shown);
		add_str(o, "acct", acc->name), add_str(o, "name", name);
		add_str(o, "org", acc->organization), add_str(o, "kind", inv_kind(&a->inv, acc->name));
		free(name);
		cJSON_AddItemToArray(arr, o);
	}
	const struct slurm_job_set *sets[] = { &a->jobs, &a->ended };
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < sets[s]->n; i++) {
			const char *acct = sets[s]->items[i].account;
			if (!acct[0] || strlen(acct) > 64 || acct_listed(arr, acct))
				continue;
			cJSON *o = cJSON_CreateObject();
			add_str(o, "acct", acct), add_str(o, "name", acct), add_str(o, "org", "");
			add_str(o, "kind", inv_kind(&a->inv, acct));
			cJSON_AddItemToArray(arr, o);
		}
	return arr;
}

static const char *node_rack(const struct slurm_adapter *a, const char *node, int *slot, int *unplaced_slot)
{
	const struct slurm_place *p = inv_find(&a->inv, node);
	if (p) {
		*slot = p->slot;
		return p->rack;
	}
	*slot = ++*unplaced_slot;
	return UNPLACED;
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

static uint64_t fnv_str(const char *s, uint64_t h)
{
	return s ? fnv(s, strlen(s) + 1, h) : fnv("\xff", 1, h);
}

static uint64_t fnv_i64(int64_t v, uint64_t h)
{
	return fnv(&v, sizeof v, h);
}

/* One table's rows this cycle against the last committed: rows holds
 * every row's hash (committed with the cycle), arr only the rows that
 * differ; kept counts the committed keys seen again (fewer than the
 * committed: some rows went, and the table is sent). */
struct row_diff {
	const struct keymap *old;  /* NULL: every row is sent */
	struct keymap rows;
	cJSON *arr;
	size_t kept, changed;
};

/* true when the row is new or differs and is to be sent; false for a
 * duplicate key (the first one seen wins) and an unchanged row. */
static bool diff_row(struct row_diff *d, uint64_t key, uint64_t hash)
{
	if (!keymap_put(&d->rows, key, hash))
		return false;
	uint64_t was;
	if (d->old && keymap_get(d->old, key, &was)) {
		d->kept++;
		if (was == hash)
			return false;
	}
	d->changed++;
	return true;
}

static bool diff_any(const struct row_diff *d)
{
	size_t old_n = d->old ? d->old->n : 0;
	return d->changed > 0 || d->kept < old_n;
}

/* A node's row in dcops's terms: hashed every cycle, made JSON only when
 * it differs from the last committed. */
struct node_row {
	const struct slurm_node *n;
	const char *part, *rack, *reason, *setby;
	int slot, gpus;
	int64_t setat;
	char by[96], detail[300];
};

static void node_row_fill(const struct slurm_adapter *a, struct node_row *r, const struct slurm_node *n,
			  int *unplaced)
{
	const struct slurm_dcops_node_state *d = &n->dcops;
	r->n = n;
	r->rack = node_rack(a, n->name, &r->slot, unplaced);
	r->part = n->n_partitions && part_name_ok(n->partitions[0]) ? n->partitions[0] : OTHER_PARTITION;
	r->gpus = n->gpus < 0 ? 0 : n->gpus > 64 ? 64 : n->gpus;
	bool drained = d->admin != DC_ADMIN_ACTIVE;
	r->detail[0] = '\0';
	if (d->health != DC_HEALTH_OK)
		snprintf(r->detail, sizeof r->detail, "Slurm: %s%s%s", n->state_text, n->reason[0] ? ": " : "", n->reason);
	r->reason = drained ? (n->reason[0] ? n->reason : "(drained in Slurm, no reason given)") : NULL;
	/* slurm:<user>, as the audit names it: the DRAINED column tells a
	 * drain typed in Slurm from one an operator made in dcops */
	r->setby = NULL;
	if (drained && n->reason_set_by_user[0]) {
		snprintf(r->by, sizeof r->by, "slurm:%s", n->reason_set_by_user);
		r->setby = r->by;
	}
	r->setat = drained ? n->reason_time : 0;
}

static uint64_t node_row_hash(const struct node_row *r)
{
	const struct slurm_dcops_node_state *d = &r->n->dcops;
	uint64_t h = 14695981039346656037ull;
	h = fnv_str(r->n->name, h), h = fnv_str(r->part, h), h = fnv_str(r->rack, h), h = fnv_str(r->n->gpu_type, h);
	h = fnv_str(r->reason, h), h = fnv_str(r->setby, h), h = fnv_str(r->detail, h);
	const int64_t num[] = { r->slot, r->gpus, d->sched, d->admin, d->health, r->setat > 0 ? r->setat : 0 };
	return fnv(num, sizeof num, h);
}

static void node_row_json(const struct node_row *r, cJSON *arr)
{
	const struct slurm_dcops_node_state *d = &r->n->dcops;
	cJSON *o = cJSON_CreateObject();
	add_str(o, "name", r->n->name), add_str(o, "part", r->part), add_str(o, "rack", r->rack);
	add_num(o, "slot", r->slot), add_str(o, "model", r->n->gpu_type);
	add_num(o, "gpus", r->gpus);
	add_str(o, "sched", dc_sched_name(d->sched)), add_str(o, "admin", dc_admin_name(d->admin));
	add_str(o, "reason", r->reason), add_str(o, "setby", r->setby);
	add_time(o, "setat", r->setat);
	add_str(o, "health", dc_health_name(d->health)), add_str(o, "detail", r->detail);
	cJSON_AddItemToArray(arr, o);
}

/* Nodes by row, as jobs: only rows that differ are sent. *names gets
 * every node's name (for the update of nodes Slurm no longer lists)
 * only when that can change anything: nothing committed to compare
 * with, or a committed node not seen again. */
static void doc_nodes(const struct slurm_adapter *a, struct row_diff *d, char **names)
{
	d->arr = cJSON_CreateArray();
	int unplaced = 0;
	for (size_t i = 0; i < a->nodes.n; i++) {
		const struct slurm_node *n = &a->nodes.items[i];
		if (!node_name_ok(n->name))
			continue;
		struct node_row r;
		node_row_fill(a, &r, n, &unplaced);
		if (diff_row(d, fnv_str(n->name, 14695981039346656037ull) | 1, node_row_hash(&r)))
			node_row_json(&r, d->arr);
	}
	*names = NULL;
	if (d->old && d->kept == d->old->n)
		return;
	cJSON *all = cJSON_CreateArray();
	for (size_t i = 0; i < a->nodes.n; i++)
		if (node_name_ok(a->nodes.items[i].name)) {
			cJSON *o = cJSON_CreateObject();
			add_str(o, "name", a->nodes.items[i].name);
			cJSON_AddItemToArray(all, o);
		}
	*names = cJSON_PrintUnformatted(all);
	cJSON_Delete(all);
}

/* A job's row in dcops's terms: hashed every cycle, made JSON only when
 * it differs from the last committed. */
struct job_row {
	const struct slurm_job *j;
	char part[40], user[65];
	const char *reason;
	int64_t submit, start, end, limit_min, exit, gpus, nodes;   /* limit_min, exit: -1 null */
	char *why;
};

static void job_row_fill(struct job_row *r, const struct slurm_job *j, struct slurm_explain_cycle *why_x,
			 int64_t now)
{
	r->j = j;
	r->submit = j->submit_time > 0 ? j->submit_time : now;
	r->start = j->start_time > 0 && j->state != DC_JOB_PENDING ? j->start_time : 0;
	r->end = j->end_time > 0 && j->state != DC_JOB_PENDING && j->state != DC_JOB_RUNNING ? j->end_time : 0;
	if (r->start && r->start < r->submit)
		r->start = r->submit;
	if (r->end && r->end < (r->start ? r->start : r->submit))
		r->end = r->start ? r->start : r->submit;
	copy_cut(r->user, sizeof r->user, j->user[0] ? j->user : "unknown");
	char pbuf[40];
	copy_cut(r->part, sizeof r->part, job_partition(j, pbuf, sizeof pbuf));
	r->reason = strcmp(j->reason, "None") == 0 ? "" : j->reason;
	r->gpus = j->gpus < 0 ? 0 : j->gpus;
	r->nodes = j->node_count > 0 ? j->node_count : j->n_node_list > 0 ? (int64_t)j->n_node_list : 1;
	if (j->time_limit_min == SLURM_INFINITE || j->time_limit_min > INFINITE_MIN)
		r->limit_min = INFINITE_MIN;
	else
		r->limit_min = j->time_limit_min > 0 ? j->time_limit_min : -1;
	r->exit = j->exit_code >= 0 ? j->exit_code : -1;
	r->why = j->state == DC_JOB_PENDING ? slurm_explain_job(why_x, j) : xstrdup("");
}

static uint64_t job_row_hash(const struct job_row *r)
{
	const struct slurm_job *j = r->j;
	uint64_t h = 14695981039346656037ull;
	h = fnv_str(j->account, h), h = fnv_str(r->part, h), h = fnv_str(r->user, h), h = fnv_str(j->name, h);
	h = fnv_str(j->nodes, h), h = fnv_str(dc_job_state_name(j->state), h), h = fnv_str(r->reason, h);
	h = fnv_str(r->why, h);
	const int64_t num[] = { r->submit, r->start, r->end, r->limit_min, r->exit, r->gpus, r->nodes };
	return fnv(num, sizeof num, h);
}

static void job_row_json(const struct job_row *r, cJSON *arr)
{
	const struct slurm_job *j = r->j;
	cJSON *o = cJSON_CreateObject();
	add_num(o, "id", j->job_id), add_str(o, "acct", j->account);
	add_str(o, "part", r->part), add_str(o, "usr", r->user);
	add_str(o, "name", j->name), add_num(o, "gpus", (double)r->gpus);
	add_num(o, "nodes", (double)r->nodes);
	add_str(o, "node_list", j->nodes), add_str(o, "state", dc_job_state_name(j->state));
	add_str(o, "reason", r->reason);
	add_num(o, "submit", (double)r->submit), add_time(o, "start", r->start), add_time(o, "end", r->end);
	if (r->limit_min >= 0)
		add_num(o, "limit_min", (double)r->limit_min);
	else
		add_str(o, "limit_min", NULL);
	if (r->exit >= 0)
		add_num(o, "exit", (double)r->exit);
	else
		add_str(o, "exit", NULL);
	add_str(o, "explain", r->why);
	cJSON_AddItemToArray(arr, o);
}

static void job_doc(struct row_diff *d, const struct slurm_job *j, struct slurm_explain_cycle *why_x, int64_t now)
{
	/* CPU-only jobs too (052): they hold nodes and queue places */
	if (!j->account[0] || strlen(j->account) > 64)
		return;
	struct job_row r;
	job_row_fill(&r, j, why_x, now);
	/* a job sacct returns that squeue lists too: squeue's, seen first, wins */
	if (diff_row(d, (uint64_t)j->job_id + 1, job_row_hash(&r)))
		job_row_json(&r, d->arr);
	free(r.why);
}

static void doc_jobs(const struct slurm_adapter *a, struct row_diff *d, int64_t now)
{
	d->arr = cJSON_CreateArray();
	struct slurm_snap snap = { .nodes = &a->nodes, .parts = &a->parts, .jobs = &a->jobs,
		.assocs = a->have[SRC_ACCT] ? &a->assocs : NULL };
	/* the totals the explanations share, once per cycle */
	struct slurm_explain_cycle *why = slurm_explain_cycle_new(&snap, now);
	for (size_t i = 0; i < a->jobs.n; i++)
		job_doc(d, &a->jobs.items[i], why, now);
	for (size_t i = 0; i < a->ended.n; i++)
		job_doc(d, &a->ended.items[i], why, now);
	slurm_explain_cycle_free(why);
}

/* Open addressing over the node set: name -> index, for the GPU pass. */
struct node_ix {
	int *slot;
	size_t cap;
};

static void ix_build(struct node_ix *ix, const struct slurm_node_set *ns)
{
	ix->cap = 16;
	while (ix->cap < ns->n * 2)
		ix->cap *= 2;
	ix->slot = xmalloc(ix->cap * sizeof *ix->slot);
	for (size_t i = 0; i < ix->cap; i++)
		ix->slot[i] = -1;
	for (size_t i = 0; i < ns->n; i++) {
		size_t h = fnv(ns->items[i].name, strlen(ns->items[i].name), 14695981039346656037ull) & (ix->cap - 1);
		while (ix->slot[h] >= 0)
			h = (h + 1) & (ix->cap - 1);
		ix->slot[h] = (int)i;
	}
}

static int ix_find(const struct node_ix *ix, const struct slurm_node_set *ns, const char *name)
{
	size_t h = fnv(name, strlen(name), 14695981039346656037ull) & (ix->cap - 1);
	for (; ix->slot[h] >= 0; h = (h + 1) & (ix->cap - 1))
		if (strcmp(ns->items[ix->slot[h]].name, name) == 0)
			return ix->slot[h];
	return -1;
}

static int cmp_job_id(const void *x, const void *y)
{
	const struct slurm_job *a = *(const struct slurm_job *const *)x, *b = *(const struct slurm_job *const *)y;
	return (a->job_id > b->job_id) - (a->job_id < b->job_id);
}

/* Nominal memory of the models Slurm's gres names (Slurm does not report
 * it; DCGM telemetry is a separate source). */
static int model_mib(const char *type)
{
	static const struct { const char *type; int mib; } t[] = {
		{ "h200", 143771 }, { "h100", 81559 }, { "a100", 81920 }, { "l40s", 46068 }, { "a6000", 49140 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strstr(type, t[i].type))
			return t[i].mib;
	return 1;
}

static uint64_t gpu_node_hash(const struct slurm_node *n, const int64_t *held)
{
	uint64_t h = fnv_str(n->name, 14695981039346656037ull);
	int g = n->gpus < 0 ? 0 : n->gpus > 64 ? 64 : n->gpus;
	h = fnv_i64(g, h), h = fnv_i64(model_mib(n->gpu_type), h);
	return fnv(held, (size_t)g * sizeof *held, h);
}

/* GPU rows idx 0..n-1 per node; running jobs, oldest id first, hold the
 * lowest free indices on each of their nodes (Slurm's squeue does not say
 * which devices; the count per node is its). A node's rows go together
 * (the upsert deletes the rows of a node it is sent that it is not sent). */
static void doc_gpus(const struct slurm_adapter *a, struct row_diff *d)
{
	struct node_ix ix;
	ix_build(&ix, &a->nodes);
	int64_t **held = xcalloc(a->nodes.n + 1, sizeof *held);
	for (size_t i = 0; i < a->nodes.n; i++)
		held[i] = xcalloc((size_t)(a->nodes.items[i].gpus > 0 ? a->nodes.items[i].gpus : 0) + 1, sizeof **held);
	const struct slurm_job **run = xcalloc(a->jobs.n + 1, sizeof *run);
	size_t nrun = 0;
	for (size_t i = 0; i < a->jobs.n; i++)
		if (a->jobs.items[i].state == DC_JOB_RUNNING && a->jobs.items[i].gpus > 0 && a->jobs.items[i].account[0])
			run[nrun++] = &a->jobs.items[i];
	qsort(run, nrun, sizeof *run, cmp_job_id);
	for (size_t k = 0; k < nrun; k++) {
		const struct slurm_job *j = run[k];
		size_t nn = j->n_node_list ? j->n_node_list : 1;
		for (size_t m = 0; m < j->n_node_list; m++) {
			int ni = ix_find(&ix, &a->nodes, j->node_list[m]);
			if (ni < 0)
				continue;
			int want = j->gpus / (int)nn + ((int)m < j->gpus % (int)nn ? 1 : 0);
			for (int g = 0; g < a->nodes.items[ni].gpus && want > 0; g++)
				if (!held[ni][g]) {
					held[ni][g] = j->job_id;
					want--;
				}
		}
	}
	d->arr = cJSON_CreateArray();
	for (size_t i = 0; i < a->nodes.n; i++) {
		const struct slurm_node *n = &a->nodes.items[i];
		if (!node_name_ok(n->name) || n->gpus <= 0 ||
		    !diff_row(d, fnv_str(n->name, 14695981039346656037ull) | 1, gpu_node_hash(n, held[i]))) {
			free(held[i]);
			continue;
		}
		for (int g = 0; g < n->gpus && g < 64; g++) {
			cJSON *o = cJSON_CreateObject();
			add_str(o, "node", n->name), add_num(o, "idx", g), add_num(o, "mem", model_mib(n->gpu_type));
			if (held[i][g])
				add_num(o, "job", (double)held[i][g]);
			else
				add_str(o, "job", NULL);
			cJSON_AddItemToArray(d->arr, o);
		}
		free(held[i]);
	}
	free(held);
	free(run);
	free(ix.slot);
}

static int total_gpus(const struct slurm_adapter *a)
{
	long n = 0;
	for (size_t i = 0; i < a->nodes.n; i++)
		n += a->nodes.items[i].gpus > 0 ? a->nodes.items[i].gpus : 0;
	return n > 100000 ? 100000 : (int)n;
}

/* An account's GPU limit as Slurm enforces it: the least GrpTRES gres/gpu
 * of the account and its parents (a parent's Grp limit caps the sum of
 * its children, so no child gets past it); -1 when none on the path. */
static int64_t effective_gpu_limit(const struct slurm_assoc_set *set, const char *account)
{
	int64_t lim = -1;
	const char *acct = account;
	for (int depth = 0; acct && acct[0] && depth < 64; depth++) {
		const struct slurm_assoc *as = slurm_find_account_assoc(set, acct);
		if (!as)
			break;
		if (as->grp_gpus >= 0 && as->grp_gpus != SLURM_INFINITE && as->grp_gpus < 100000 &&
		    (lim < 0 || as->grp_gpus < lim))
			lim = as->grp_gpus;
		if (strcmp(acct, "root") == 0)
			break;
		acct = as->parent_account;
	}
	return lim;
}

static cJSON *doc_quotas(const struct slurm_adapter *a)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < a->assocs.n_accounts; i++) {
		const struct slurm_account *acc = &a->assocs.accounts[i];
		if (strcmp(acc->name, "root") == 0 || !acc->name[0] || strlen(acc->name) > 64)
			continue;
		const struct slurm_assoc *as = slurm_find_account_assoc(&a->assocs, acc->name);
		cJSON *o = cJSON_CreateObject();
		add_str(o, "acct", acc->name);
		/* none on the path: the cluster's GPUs, all it can use, in the
		 * document so that a resize is a change to write */
		int64_t lim = effective_gpu_limit(&a->assocs, acc->name);
		add_num(o, "lim", lim >= 0 ? (double)lim : (double)total_gpus(a));
		cJSON_AddBoolToObject(o, "cluster", lim < 0);
		if (as && as->grp_gpu_mins >= 0 && as->grp_gpu_mins != SLURM_INFINITE)
			add_num(o, "budget", (double)(as->grp_gpu_mins / 6) / 10.0);
		else
			add_str(o, "budget", NULL);
		int64_t used = a->assocs.gpu_mins_used ? a->assocs.gpu_mins_used[i] : -1;
		if (used >= 0)
			add_num(o, "used", (double)(used / 6) / 10.0);
		else
			add_str(o, "used", NULL);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* ---------------------------------------------------------------- writes */

static const char *const sql_site =
	"INSERT INTO dcops.site (code, name) SELECT 'slurm', 'Slurm cluster' "
	"WHERE NOT EXISTS (SELECT 1 FROM dcops.site)";
static const char *const sql_halls =
	"INSERT INTO dcops.hall (site_id, name) SELECT DISTINCT (SELECT min(id) FROM dcops.site), x.hall "
	"FROM jsonb_to_recordset($1::jsonb) AS x(hall text) ON CONFLICT DO NOTHING";
static const char *const sql_racks =
	"INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw) "
	"SELECT h.id, x.rack, x.row, coalesce((SELECT max(position) FROM dcops.rack r "
	"       WHERE r.hall_id = h.id AND r.row_no = x.row), 0) + x.pos, 40 "
	"FROM jsonb_to_recordset($1::jsonb) AS x(hall text, rack text, \"row\" int, pos int) "
	"JOIN dcops.hall h ON h.name = x.hall AND h.site_id = (SELECT min(id) FROM dcops.site) "
	"WHERE NOT EXISTS (SELECT 1 FROM dcops.rack r WHERE r.name = x.rack) ON CONFLICT DO NOTHING";
static const char *const sql_parts =
	"INSERT INTO dcops.partition AS p (name, gpu_model, description) "
	"SELECT name, model, descr FROM jsonb_to_recordset($1::jsonb) AS x(name text, model text, descr text) "
	"ON CONFLICT (name) DO UPDATE SET gpu_model = EXCLUDED.gpu_model, description = EXCLUDED.description "
	"WHERE (p.gpu_model, p.description) IS DISTINCT FROM (EXCLUDED.gpu_model, EXCLUDED.description)";
/* A display name another tenant holds gets the account in brackets. The
 * kind is the inventory's, else what dcops holds (set there by an admin),
 * else institute. */
static const char *const sql_tenants =
	"INSERT INTO dcops.tenant AS t (name, name_en, kind, contact, slurm_account) "
	"SELECT CASE WHEN EXISTS (SELECT 1 FROM dcops.tenant o WHERE o.name = left(x.name, 200) "
	"              AND o.slurm_account IS DISTINCT FROM x.acct) "
	"            THEN left(x.name, 180) || ' (' || x.acct || ')' ELSE left(x.name, 200) END, "
	"       x.acct, coalesce(x.kind::dcops.tenant_kind, (SELECT o.kind FROM dcops.tenant o "
	"                 WHERE o.slurm_account = x.acct), 'institute'), x.org, x.acct "
	"FROM jsonb_to_recordset($1::jsonb) AS x(acct text, name text, org text, kind text) "
	"ON CONFLICT (slurm_account) DO UPDATE SET name = EXCLUDED.name, contact = EXCLUDED.contact, "
	"       kind = EXCLUDED.kind "
	"WHERE (t.name, t.contact, t.kind) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.contact, EXCLUDED.kind)";
/* A node with a drain or resume still pending in the outbox keeps dcops's
 * admin columns (the acting side has not told Slurm yet); a drain dcops
 * made ("dcops <operator>: ...") keeps the operator's reason, name and
 * time. Returns the rows written with their admin state before. */
static const char *const sql_nodes =
	"WITH x AS ("
	"  SELECT x.*, r.id AS rack_id, p.id AS part_id, n0.id AS old_id, n0.admin_state AS old_admin, "
	"         n0.drain_reason AS old_reason, n0.drained_by AS old_by, n0.drained_at AS old_at, "
	"         EXISTS (SELECT 1 FROM dcops.actions a WHERE a.status = 'pending' AND a.kind IN ('drain', 'resume') "
	"                 AND x.name = ANY (string_to_array(a.target, ','))) AS held "
	"  FROM jsonb_to_recordset($1::jsonb) AS x(name text, part text, rack text, slot int, model text, gpus int, "
	"       sched dcops.sched_state, admin dcops.admin_state, reason text, setby text, setat bigint, "
	"       health dcops.health_state, detail text) "
	"  JOIN dcops.rack r ON r.name = x.rack JOIN dcops.partition p ON p.name = x.part "
	"  LEFT JOIN dcops.node n0 ON n0.name = x.name), "
	"y AS ("
	"  SELECT x.*, (held AND old_id IS NOT NULL) AS keep, "
	"         (old_admin <> 'active' AND admin <> 'active' AND reason LIKE 'dcops %') AS own FROM x), "
	"up AS ("
	"  INSERT INTO dcops.node AS n (name, rack_id, slot, partition_id, model, gpu_count, sched_state, "
	"       admin_state, drain_reason, drained_by, drained_at, health, health_detail) "
	"  SELECT name, rack_id, slot, part_id, model, gpus, sched, "
	"         CASE WHEN keep THEN old_admin ELSE admin END, "
	"         CASE WHEN keep OR own THEN old_reason ELSE reason END, "
	"         CASE WHEN keep OR own THEN old_by ELSE setby END, "
	"         CASE WHEN keep OR own THEN old_at ELSE to_timestamp(setat) END, health, detail FROM y "
	"  ON CONFLICT (name) DO UPDATE SET rack_id = EXCLUDED.rack_id, slot = EXCLUDED.slot, "
	"       partition_id = EXCLUDED.partition_id, model = EXCLUDED.model, gpu_count = EXCLUDED.gpu_count, "
	"       sched_state = EXCLUDED.sched_state, admin_state = EXCLUDED.admin_state, "
	"       drain_reason = EXCLUDED.drain_reason, drained_by = EXCLUDED.drained_by, "
	"       drained_at = EXCLUDED.drained_at, health = EXCLUDED.health, health_detail = EXCLUDED.health_detail "
	"  WHERE (n.rack_id, n.slot, n.partition_id, n.model, n.gpu_count, n.sched_state, n.admin_state, "
	"         n.drain_reason, n.drained_by, n.drained_at, n.health, n.health_detail) IS DISTINCT FROM "
	"        (EXCLUDED.rack_id, EXCLUDED.slot, EXCLUDED.partition_id, EXCLUDED.model, EXCLUDED.gpu_count, "
	"         EXCLUDED.sched_state, EXCLUDED.admin_state, EXCLUDED.drain_reason, EXCLUDED.drained_by, "
	"         EXCLUDED.drained_at, EXCLUDED.health, EXCLUDED.health_detail) "
	"  RETURNING n.name, n.admin_state::text, n.drain_reason, n.drained_by, (xmax = 0) AS inserted) "
	"SELECT up.name, up.admin_state, up.drain_reason, coalesce(up.drained_by, ''), up.inserted, "
	"       y.old_admin::text, coalesce(y.old_reason, ''), y.keep OR y.own "
	"FROM up JOIN y USING (name)";
/* Nodes Slurm no longer lists stay (incidents and history point at them),
 * marked unknown. */
static const char *const sql_nodes_gone =
	"UPDATE dcops.node n SET sched_state = 'unknown', health = 'warn', "
	"       health_detail = 'not in Slurm''s node list' "
	"WHERE NOT n.name = ANY (SELECT x.name FROM jsonb_to_recordset($1::jsonb) AS x(name text)) "
	"  AND (n.sched_state, n.health, n.health_detail) IS DISTINCT FROM "
	"      ('unknown'::dcops.sched_state, 'warn'::dcops.health_state, 'not in Slurm''s node list')";
static const char *const sql_jobs =
	"INSERT INTO dcops.job AS j (id, tenant_id, partition_id, user_name, name, gpus, nodes, node_list, state, "
	"       reason, submit_at, start_at, end_at, time_limit, exit_code, explain) "
	"SELECT x.id, t.id, p.id, x.usr, x.name, x.gpus, x.nodes, x.node_list, x.state, x.reason, "
	"       to_timestamp(x.submit), to_timestamp(x.start), to_timestamp(x.\"end\"), "
	"       coalesce(make_interval(mins => x.limit_min), interval '72 hours'), x.exit, x.explain "
	"FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, acct text, part text, usr text, name text, gpus int, "
	"     nodes int, node_list text, state dcops.job_state, reason text, submit bigint, start bigint, "
	"     \"end\" bigint, limit_min int, exit int, explain text) "
	"JOIN dcops.tenant t ON t.slurm_account = x.acct JOIN dcops.partition p ON p.name = x.part "
	"ON CONFLICT (id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, partition_id = EXCLUDED.partition_id, "
	"     user_name = EXCLUDED.user_name, name = EXCLUDED.name, gpus = EXCLUDED.gpus, nodes = EXCLUDED.nodes, "
	"     node_list = EXCLUDED.node_list, state = EXCLUDED.state, reason = EXCLUDED.reason, "
	"     submit_at = EXCLUDED.submit_at, start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at, "
	"     time_limit = EXCLUDED.time_limit, exit_code = EXCLUDED.exit_code, explain = EXCLUDED.explain "
	"WHERE (j.tenant_id, j.partition_id, j.user_name, j.name, j.gpus, j.nodes, j.node_list, j.state, j.reason, "
	"       j.submit_at, j.start_at, j.end_at, j.time_limit, j.exit_code, j.explain) IS DISTINCT FROM "
	"      (EXCLUDED.tenant_id, EXCLUDED.partition_id, EXCLUDED.user_name, EXCLUDED.name, EXCLUDED.gpus, "
	"       EXCLUDED.nodes, EXCLUDED.node_list, EXCLUDED.state, EXCLUDED.reason, EXCLUDED.submit_at, "
	"       EXCLUDED.start_at, EXCLUDED.end_at, EXCLUDED.time_limit, EXCLUDED.exit_code, EXCLUDED.explain)";
/* Live in dcops, unknown to squeue and sacct: ended, how is not known. */
static const char *const sql_jobs_gone =
	"UPDATE dcops.job SET state = 'cancelled', end_at = greatest(now(), coalesce(start_at, submit_at)), "
	"       reason = 'gone from Slurm''s queue; accounting has no record', explain = '' "
	"WHERE id = ANY ($1::bigint[]) AND state IN ('pending', 'running')";
static const char *const sql_gpus =
	"WITH x AS (SELECT n.id AS node_id, x.node, x.idx, x.mem, x.job "
	"           FROM jsonb_to_recordset($1::jsonb) AS x(node text, idx int, mem int, job bigint) "
	"           JOIN dcops.node n ON n.name = x.node), "
	"up AS (INSERT INTO dcops.gpu AS g (node_id, idx, uuid, mem_total_mib, job_id) "
	"       SELECT node_id, idx, 'slurm:' || node || ':' || idx, mem, job FROM x "
	"       ON CONFLICT (node_id, idx) DO UPDATE SET job_id = EXCLUDED.job_id "
	"       WHERE g.job_id IS DISTINCT FROM EXCLUDED.job_id RETURNING 1), "
	"del AS (DELETE FROM dcops.gpu g WHERE g.node_id IN (SELECT node_id FROM x UNION "
	"              SELECT n.id FROM dcops.node n WHERE n.name = ANY (SELECT x2.name FROM "
	"              jsonb_to_recordset($2::jsonb) AS x2(name text, gpus int) WHERE x2.gpus = 0)) "
	"        AND NOT EXISTS (SELECT 1 FROM x WHERE x.node_id = g.node_id AND x.idx = g.idx) RETURNING 1) "
	"SELECT (SELECT count(*) FROM up) + (SELECT count(*) FROM del)";
/* A tenant with a quota change still pending in the outbox keeps dcops's
 * values until the acting side has applied it. */
static const char *const sql_quotas =
	"WITH x AS (SELECT t.id AS tenant_id, t.name AS tname, x.*, "
	"     EXISTS (SELECT 1 FROM dcops.actions a WHERE a.status = 'pending' "
	"             AND a.kind IN ('quota_set', 'quota_revert') AND a.target = t.name) AS held "
	"     FROM jsonb_to_recordset($1::jsonb) AS x(acct text, lim int, budget numeric, used numeric, cluster bool) "
	"     JOIN dcops.tenant t ON t.slurm_account = x.acct), "
	"prev AS (SELECT q.tenant_id, q.gpu_limit, q.gpu_hours_budget FROM dcops.quota q JOIN x USING (tenant_id)), "
	"up AS (INSERT INTO dcops.quota AS q (tenant_id, gpu_limit, gpu_hours_budget, gpu_hours_used, term_start, term_end) "
	"       SELECT tenant_id, coalesce(lim, $2::int), coalesce(budget, 0), coalesce(used, 0), current_date, "
	"              current_date + 365 FROM x WHERE NOT held "
	"       ON CONFLICT (tenant_id) DO UPDATE SET gpu_limit = EXCLUDED.gpu_limit, "
	"              gpu_hours_budget = EXCLUDED.gpu_hours_budget, gpu_hours_used = EXCLUDED.gpu_hours_used "
	"       WHERE (q.gpu_limit, q.gpu_hours_budget, q.gpu_hours_used) IS DISTINCT FROM "
	"             (EXCLUDED.gpu_limit, EXCLUDED.gpu_hours_budget, EXCLUDED.gpu_hours_used) "
	"       RETURNING q.tenant_id, q.gpu_limit, q.gpu_hours_budget, (xmax = 0) AS inserted) "
	"SELECT x.tname, up.inserted, prev.gpu_limit, prev.gpu_hours_budget::text, up.gpu_limit, "
	"       up.gpu_hours_budget::text, x.cluster "
	"FROM up JOIN x USING (tenant_id) LEFT JOIN prev USING (tenant_id)";
/* An external action, unless dcops's own outbox asked for it lately. */
static const char *const sql_external =
	"SELECT dcops.adapter_audit_external($1, $2, $3::jsonb, $4::jsonb, $5, $6) "
	"WHERE NOT EXISTS (SELECT 1 FROM dcops.actions a WHERE a.kind = ANY ($7::dcops.action_kind[]) "
	"      AND (a.target = $2 OR $2 = ANY (string_to_array(a.target, ','))) "
	"      AND a.status IN ('pending', 'applied') AND a.requested_at > now() - interval '10 minutes')";

static long exec_count(PGconn *c, const char *sql, int n, const char *const *p, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, sql, n, p);
	if (!r)
		return -1;
	long rows = PQresultStatus(r) == PGRES_TUPLES_OK && PQnfields(r) == 1 && PQntuples(r) == 1
		? atol(PQgetvalue(r, 0, 0)) : atol(PQcmdTuples(r));
	PQclear(r);
	return rows;
}

/* Slurm's user, for the actor: slurm:<user>; 'unknown' when the drain's
 * user is missing or holds what the audit's actor pattern refuses. */
static char *slurm_actor(const char *user)
{
	bool ok = user && *user && strlen(user) <= 64;
	for (const char *p = user; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		     *p == '_' || *p == '-';
	return xasprintf("slurm:%s", ok ? user : "unknown");
}

/* Slurm keeps a drain's user with its reason but nothing of a resume (the
 * reason is cleared): the audit says so rather than name anyone. */
#define RESUME_ACTOR "slurm:not-recorded"
#define RESUME_REASON "resumed in Slurm; Slurm does not record who resumes a node"

static int audit_external(PGconn *c, const char *action, const char *target, cJSON *before, cJSON *after,
			  const char *reason, const char *actor, const char *kinds, long *audits, struct dc_err *err)
{
	char *b = cJSON_PrintUnformatted(before), *a = cJSON_PrintUnformatted(after);
	const char *p[] = { action, target, b, a, reason, actor, kinds };
	PGresult *r = db_exec(c, err, sql_external, 7, p);
	cJSON_free(b);
	cJSON_free(a);
	cJSON_Delete(before);
	cJSON_Delete(after);
	if (!r)
		return -1;
	*audits += PQntuples(r);
	PQclear(r);
	return 0;
}

static cJSON *admin_doc(const char *admin, const char *reason)
{
	cJSON *o = cJSON_CreateObject();
	add_str(o, "admin_state", admin);
	add_str(o, "reason", reason && *reason ? reason : NULL);
	return o;
}

/* Drains and resumes Slurm made without dcops: the rows the node upsert
 * changed from or to active, not kept for dcops's own outbox. */
static int write_nodes(PGconn *c, const char *doc, struct adapter_stats *st, struct dc_err *err)
{
	const char *p[] = { doc };
	PGresult *r = db_exec(c, err, sql_nodes, 1, p);
	if (!r)
		return -1;
	int n = PQntuples(r), rc = 0;
	st->rows += n;
	for (int i = 0; i < n && rc == 0; i++) {
		const char *name = PQgetvalue(r, i, 0), *admin = PQgetvalue(r, i, 1), *reason = PQgetvalue(r, i, 2);
		const char *by = PQgetvalue(r, i, 3), *old = PQgetvalue(r, i, 5), *old_reason = PQgetvalue(r, i, 6);
		bool inserted = PQgetvalue(r, i, 4)[0] == 't', dcops_own = PQgetvalue(r, i, 7)[0] == 't';
		bool was_active = strcmp(old, "active") == 0, is_active = strcmp(admin, "active") == 0;
		if (inserted || dcops_own || was_active == is_active)
			continue;
		if (!is_active && strncmp(reason, "dcops ", 6) == 0)
			continue; /* the acting side's drain: audited there */
		/* No look at the outbox here ("{}" below): dcops's own drain
		 * carries "dcops " and its own resume is in the row (or held
		 * while pending) before any poll, so a drain typed in Slurm
		 * minutes after dcops drained or resumed the node is still one
		 * to audit. */
		/* drained_by is already slurm:<user> (doc_nodes) */
		char *actor = is_active ? xstrdup(RESUME_ACTOR) : slurm_actor(strncmp(by, "slurm:", 6) == 0 ? by + 6 : by);
		rc = audit_external(c, is_active ? "slurm.resume" : "slurm.drain", name, admin_doc(old, old_reason),
				    admin_doc(admin, reason), is_active ? RESUME_REASON : reason, actor,
				    "{}", &st->audits, err);
		free(actor);
	}
	PQclear(r);
	return rc;
}

static cJSON *quota_doc(const char *lim, const char *budget)
{
	cJSON *o = cJSON_CreateObject();
	add_num(o, "gpu_limit", atof(lim));
	add_num(o, "gpu_hours_budget", atof(budget));
	return o;
}

/* prev_total: the cluster's GPU count the last committed quotas were
 * written with, -1 before the first. */
static int write_quotas(PGconn *c, const char *doc, int total_gpus, int prev_total, struct adapter_stats *st,
			struct dc_err *err)
{
	char tot[16];
	snprintf(tot, sizeof tot, "%d", total_gpus);
	const char *p[] = { doc, tot };
	PGresult *r = db_exec(c, err, sql_quotas, 2, p);
	if (!r)
		return -1;
	int n = PQntuples(r), rc = 0;
	st->rows += n;
	for (int i = 0; i < n && rc == 0; i++) {
		if (PQgetvalue(r, i, 1)[0] == 't' || PQgetisnull(r, i, 2))
			continue;
		const char *ol = PQgetvalue(r, i, 2), *ob = PQgetvalue(r, i, 3);
		const char *nl = PQgetvalue(r, i, 4), *nb = PQgetvalue(r, i, 5);
		/* usage only, or the cluster's size alone under an account with no
		 * GPU limit in Slurm (its limit is the cluster's GPU count) */
		bool resized = PQgetvalue(r, i, 6)[0] == 't' && prev_total >= 0 && atoi(ol) == prev_total;
		if ((strcmp(ol, nl) == 0 || resized) && atof(ob) == atof(nb))
			continue;
		char reason[200];
		snprintf(reason, sizeof reason, "limits changed in Slurm (sacctmgr): GPUs %s -> %s, GPU-hours %s -> %s",
			 ol, nl, ob, nb);
		rc = audit_external(c, "slurm.quota_set", PQgetvalue(r, i, 0), quota_doc(ol, ob), quota_doc(nl, nb),
				    reason, "slurm:sacctmgr", "{quota_set,quota_revert}", &st->audits, err);
	}
	PQclear(r);
	return rc;
}

/* ---------------------------------------------------------------- cycle */

struct docs {
	char *text[T_N];
	char *names;                /* every node's name, when nodes may have gone from Slurm */
	uint64_t hash[T_N];
	bool send[T_N];
	struct keymap rows[T_N];   /* nodes, jobs and GPUs: every row's hash, committed with the cycle */
};

static void doc_text(struct slurm_adapter *a, struct docs *d, int t, cJSON *doc)
{
	d->text[t] = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	d->hash[t] = fnv(d->text[t], strlen(d->text[t]), 14695981039346656037ull);
	d->send[t] = d->hash[t] != a->sent[t];
}

/* Nodes, jobs and GPUs by row: only the rows that differ from the last committed
 * cycle are made and sent (a quiet cycle sends none). All of them when a
 * table they join changed: a row the join dropped then lands now. */
static void doc_rows(struct slurm_adapter *a, struct docs *d, int t, bool all, int64_t now)
{
	struct row_diff rd = { .old = all ? NULL : &a->rows[t] };
	if (t == T_JOBS)
		doc_jobs(a, &rd, now);
	else if (t == T_NODES)
		doc_nodes(a, &rd, &d->names);
	else
		doc_gpus(a, &rd);
	d->rows[t] = rd.rows;
	bool send = diff_any(&rd);
	doc_text(a, d, t, rd.arr);
	d->send[t] = send;
}

static void docs_build(struct slurm_adapter *a, struct docs *d, int64_t now)
{
	doc_text(a, d, T_PLACES, cJSON_Parse(a->places));
	if (a->have[SRC_NODES]) {
		doc_text(a, d, T_PARTS, doc_parts(a));
		/* a row the joins (rack, partition) dropped lands now */
		doc_rows(a, d, T_NODES, d->send[T_PLACES] || d->send[T_PARTS], now);
	}
	if (a->have[SRC_ACCT] || a->have[SRC_JOBS])
		doc_text(a, d, T_TENANTS, doc_tenants(a));
	if (a->have[SRC_JOBS] && a->have[SRC_NODES]) {
		doc_rows(a, d, T_JOBS, d->send[T_PARTS] || d->send[T_TENANTS], now);
		doc_rows(a, d, T_GPUS, d->send[T_PLACES] || d->send[T_PARTS], now);
	}
	if (a->have[SRC_ACCT])
		doc_text(a, d, T_QUOTAS, doc_quotas(a));
}

static void docs_free(struct docs *d)
{
	for (int t = 0; t < T_N; t++) {
		cJSON_free(d->text[t]);
		keymap_free(&d->rows[t]);
	}
	cJSON_free(d->names);
}

/* The cycle committed: its documents and rows are what dcops holds. */
static void docs_commit(struct slurm_adapter *a, struct docs *d)
{
	a->nodes_committed = a->jobs_committed = true;
	for (int t = 0; t < T_N; t++) {
		if (!d->text[t])
			continue;
		a->sent[t] = d->hash[t];
		if (t == T_NODES || t == T_JOBS || t == T_GPUS) {
			keymap_free(&a->rows[t]);
			a->rows[t] = d->rows[t];
			memset(&d->rows[t], 0, sizeof d->rows[t]);
		}
	}
}

/* A failed cycle or a reconnect: nothing remembered from the last
 * committed cycle is trusted; the next compares every row with the
 * database and parses every element. */
static void forget(struct slurm_adapter *a)
{
	memset(a->sent, 0, sizeof a->sent);
	for (int t = 0; t < T_N; t++)
		keymap_free(&a->rows[t]);
	a->nodes_committed = a->jobs_committed = false;
}

static int write_gone(PGconn *c, const struct slurm_adapter *a, struct adapter_stats *st, struct dc_err *err)
{
	if (!a->n_gone)
		return 0;
	struct sb arr = { 0 };
	sb_append(&arr, "{");
	for (size_t i = 0; i < a->n_gone; i++)
		sb_appendf(&arr, "%s%u", i ? "," : "", a->gone[i]);
	sb_append(&arr, "}");
	const char *p[] = { arr.buf };
	long n = exec_count(c, sql_jobs_gone, 1, p, err);
	sb_free(&arr);
	if (n < 0)
		return -1;
	st->rows += n;
	return 0;
}

static int write_docs(PGconn *c, struct slurm_adapter *a, struct docs *d, struct adapter_stats *st,
		      struct dc_err *err)
{
	long n;
	if (d->send[T_PLACES]) {
		const char *p[] = { d->text[T_PLACES] };
		if ((n = exec_count(c, sql_site, 0, NULL, err)) < 0)
			return -1;
		st->rows += n;
		if ((n = exec_count(c, sql_halls, 1, p, err)) < 0)
			return -1;
		st->rows += n;
		if ((n = exec_count(c, sql_racks, 1, p, err)) < 0)
			return -1;
		st->rows += n;
	}
	static const char *const *const simple[T_N] = { [T_PARTS] = &sql_parts, [T_TENANTS] = &sql_tenants };
	for (int t = T_PARTS; t <= T_TENANTS; t++)
		if (d->send[t]) {
			const char *p[] = { d->text[t] };
			if ((n = exec_count(c, *simple[t], 1, p, err)) < 0)
				return -1;
			st->rows += n;
		}
	if (d->send[T_NODES] && write_nodes(c, d->text[T_NODES], st, err) < 0)
		return -1;
	if (d->names) {
		const char *p[] = { d->names };
		if ((n = exec_count(c, sql_nodes_gone, 1, p, err)) < 0)
			return -1;
		st->rows += n;
	}
	if (d->send[T_JOBS]) {
		const char *p[] = { d->text[T_JOBS] };
		if ((n = exec_count(c, sql_jobs, 1, p, err)) < 0)
			return -1;
		st->rows += n;
	}
	if (write_gone(c, a, st, err) < 0)
		return -1;
	if (d->send[T_GPUS]) {
		const char *p[] = { d->text[T_GPUS], d->text[T_NODES] };
		if ((n = exec_count(c, sql_gpus, 2, p, err)) < 0)
			return -1;
		st->rows += n;
	}
	if (d->send[T_QUOTAS] && write_quotas(c, d->text[T_QUOTAS], total_gpus(a), a->quota_total, st, err) < 0)
		return -1;
	return 0;
}

static int in_tx(PGconn *c, const char *sql, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, sql, 0, NULL);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static void count_jobs(const struct slurm_adapter *a, struct adapter_stats *st)
{
	for (size_t i = 0; i < a->jobs.n; i++) {
		st->running += a->jobs.items[i].state == DC_JOB_RUNNING;
		st->pending += a->jobs.items[i].state == DC_JOB_PENDING;
	}
}

/* Milliseconds from now (the poll's start: dcopsd takes the poll's own
 * time off) until the next source is due. */
static int next_due(const struct slurm_adapter *a, int64_t now)
{
	int64_t next = a->due[0];
	for (int s = 1; s < SRC_N; s++)
		if (a->due[s] < next)
			next = a->due[s];
	return next > now ? (int)(next - now) : 0;
}

/* The fleet's GPU layout (node names, GPUs each): the telemetry reader
 * reloads its index when it changes, not at every job that starts. */
static uint64_t gpu_shape(const struct slurm_adapter *a)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < a->nodes.n; i++) {
		h = fnv(a->nodes.items[i].name, strlen(a->nodes.items[i].name) + 1, h);
		h = fnv(&a->nodes.items[i].gpus, sizeof a->nodes.items[i].gpus, h);
	}
	return h;
}

static int min_ms(int x, int y)
{
	return x < y ? x : y;
}

/* A telemetry cycle that finished in this poll, in dcopsd's figures. */
static void tel_account(const struct tel_stats *ts, struct adapter_stats *st, char *detail, size_t n)
{
	if (!ts->cycled)
		return;
	st->rows += ts->rows;
	snprintf(detail, n, "; telemetry: %ld samples, %ld rows, %ld events, %ld unknown, %ld failed", ts->samples,
	         ts->rows, ts->events, ts->unknown, ts->failed);
}

static int adapter_poll(void *vst, PGconn *c, struct adapter_stats *st, struct dc_err *err)
{
	struct slurm_adapter *a = vst;
	struct tel_stats ts = { 0 };
	int tel_ms = INT_MAX;
	if (a->tel && (tel_ms = tel_poll(a->tel, c, &ts, err)) < 0)
		return -1;
	int64_t now = dc_mono_ms();
	bool due[SRC_N];
	bool any = false;
	for (int s = 0; s < SRC_N; s++)
		any |= (due[s] = !a->have[s] || now >= a->due[s]);
	if (!any) {
		st->idle = !ts.cycled;
		tel_account(&ts, st, st->detail, sizeof st->detail);
		return min_ms(next_due(a, now), tel_ms);
	}
	if (fetch(a, c, due, err) < 0) {
		forget(a);
		return -1;
	}
	struct docs d = { 0 };
	docs_build(a, &d, (int64_t)time(NULL));
	int rc = in_tx(c, "BEGIN", err);
	if (rc == 0)
		rc = write_docs(c, a, &d, st, err);
	if (rc == 0)
		rc = in_tx(c, "COMMIT", err);
	if (rc < 0) {
		PGresult *r = PQexec(c, "ROLLBACK");
		PQclear(r);
		docs_free(&d);
		forget(a);
		return -1;
	}
	docs_commit(a, &d);
	uint64_t shape;
	if (a->tel && d.send[T_GPUS] && (shape = gpu_shape(a)) != a->tel_shape) {
		a->tel_shape = shape;
		tel_reload(a->tel);   /* GPU rows came or went: the reader's index follows */
	}
	if (d.send[T_QUOTAS])
		a->quota_total = total_gpus(a);
	docs_free(&d);
	for (int s = 0; s < SRC_N; s++)
		if (due[s])
			a->due[s] = now + a->cfg->poll_ms[s];
	count_jobs(a, st);
	snprintf(st->detail, sizeof st->detail, "%s%s%s%s; %zu nodes, %zu jobs, %ld external", due[0] ? "nodes " : "",
		 due[1] ? "jobs " : "", due[2] ? "accounting" : "", a->acct_stale ? "(accounting STALE)" : "",
		 a->nodes.n, a->jobs.n, st->audits);
	size_t dl = strlen(st->detail);
	tel_account(&ts, st, st->detail + dl, sizeof st->detail - dl);
	return min_ms(next_due(a, now), tel_ms);
}

/* ---------------------------------------------------------------- lifecycle */

/* Each telemetry cycle's events become incidents and proposed drains in
 * the cycle's own transaction. A failure rolls that cycle back (the
 * reader reports itself down with why; its events come again next
 * cycle) and never touches the Slurm side. */
static int remedy_consume(void *ud, PGconn *c, const struct tel_event *ev, size_t n, struct dc_err *err)
{
	struct slurm_adapter *a = ud;
	struct remedy_stats rs;
	if (remedy_cycle(&a->remedy, c, ev, n, &rs, err) < 0)
		return -1;
	if (rs.opened || rs.updated || rs.proposed || rs.auto_drained || rs.guard_stopped)
		fprintf(a->log, "dcopsd: remedy: %d events (%d new): %d incidents opened, %d updated, %d drains proposed, "
		        "%d drained by policy, %d stopped at the guard rail\n", rs.events, rs.fresh, rs.opened, rs.updated,
		        rs.proposed, rs.auto_drained, rs.guard_stopped);
	return 0;
}

/* The reader and its remediation table: a table or override with an
 * error stops dcopsd here, before anything connects. */
static int tel_start(struct slurm_adapter *a, const struct slurm_cfg *cfg, FILE *log, struct dc_err *err)
{
	if (cfg->tel.mode == TEL_OFF)
		return cfg->remedy ? dc_err_set(err, "--remedy %s needs --telemetry (the events come from it)", cfg->remedy)
		                   : 0;
	if (remedy_load(&a->remedy, NULL, cfg->remedy, err) < 0)
		return -1;
	if (!(a->tel = tel_new(&cfg->tel, log, err))) {
		remedy_free(&a->remedy);
		return -1;
	}
	tel_set_consumer(a->tel, remedy_consume, a);
	text_putline(log, "dcopsd: remedy: %zu rules%s%s", a->remedy.n, cfg->remedy ? ", site overrides from " : "",
	             cfg->remedy ? cfg->remedy : "");
	return 0;
}

static void *adapter_start(void *vcfg, FILE *log, struct dc_err *err)
{
	struct slurm_cfg *cfg = vcfg;
	struct slurm_adapter *a = xcalloc(1, sizeof *a);
	a->cfg = cfg;
	a->log = log;
	a->quota_total = -1;
	if (cfg->inventory && slurm_inventory_load(cfg->inventory, &a->inv, err) < 0) {
		free(a);
		return NULL;
	}
	cJSON *places = doc_places(&a->inv);
	a->places = cJSON_PrintUnformatted(places);
	cJSON_Delete(places);
	if (!(a->run = slurm_runner_new(&cfg->run, err))) {
		cJSON_free(a->places);
		slurm_inventory_free(&a->inv);
		free(a);
		return NULL;
	}
	if (tel_start(a, cfg, log, err) < 0) {
		slurm_runner_free(a->run);
		cJSON_free(a->places);
		slurm_inventory_free(&a->inv);
		free(a);
		return NULL;
	}
	text_putline(log, "dcopsd: slurm%s%s, polls: nodes %d ms, jobs %d ms, accounting %d ms; inventory: %zu nodes placed",
	             cfg->run.ssh ? " over ssh " : " (local commands)", cfg->run.ssh ? cfg->run.ssh : "",
	             cfg->poll_ms[SRC_NODES], cfg->poll_ms[SRC_JOBS], cfg->poll_ms[SRC_ACCT], a->inv.n);
	fflush(log);
	return a;
}

/* After a (re)connect, every table is compared with the database again. */
static int adapter_attach(void *vst, PGconn *c, struct dc_err *err)
{
	(void)c, (void)err;
	struct slurm_adapter *a = vst;
	forget(a);
	a->tel_shape = 0;
	if (a->tel)
		tel_reload(a->tel);
	return 0;
}

static int adapter_apply(void *vst, PGconn *c, struct dc_err *err)
{
	struct slurm_adapter *a = vst;
	struct slurm_act_opts o = { 0 };
	return slurm_act_outbox(a->run, c, &o, NULL, err);
}

/* Telemetry transfers in flight are pumped in slices (the SSH link kept
 * alive between them); the wait ends early once they have all answered,
 * so their cycle is written at once. */
static void adapter_wait(void *vst, int ms, const volatile sig_atomic_t *stop)
{
	struct slurm_adapter *a = vst;
	int64_t end = dc_mono_ms() + ms;
	while (a->tel && tel_busy(a->tel) && !(stop && *stop)) {
		int64_t left = end - dc_mono_ms();
		if (left <= 0)
			return;
		tel_pump(a->tel, left < 100 ? (int)left : 100);
		slurm_runner_wait(a->run, 1, stop);
		if (tel_ready(a->tel))
			return;
	}
	int64_t left = end - dc_mono_ms();
	if (left > 0)
		slurm_runner_wait(a->run, (int)left, stop);
}

static void adapter_stop(void *vst)
{
	struct slurm_adapter *a = vst;
	slurm_runner_free(a->run);
	tel_free(a->tel);
	remedy_free(&a->remedy);
	slurm_inventory_free(&a->inv);
	slurm_node_set_free(&a->nodes);
	slurm_part_set_free(&a->parts);
	slurm_job_set_free(&a->jobs);
	slurm_job_set_free(&a->ended);
	slurm_assoc_set_free(&a->assocs);
	free(a->gone);
	for (int t = 0; t < T_N; t++)
		keymap_free(&a->rows[t]);
	cJSON_free(a->places);
	free(a);
}

const struct adapter_ops adapter_slurm = {
	.name = "slurm",
	.usage = "  slurm: [--ssh USER@HOST[:PORT]] [--known-hosts FILE] [--identity FILE] [--slurm-bin DIR]\n"
	         "         [--inventory FILE] [--poll-nodes S] [--poll-jobs S] [--poll-accounting S]\n"
	         "         [--slurm-timeout S]\n"
	         "         [--telemetry prometheus=URL | federate=URL | exporters=PORT | exporters=URL-with-{node}]\n"
	         "         [--telemetry-every S] [--telemetry-timeout S] [--telemetry-ca FILE] [--remedy FILE]\n",
	.parse_opt = cfg_parse, .config_new = cfg_new, .config_free = cfg_free,
	.start = adapter_start, .attach = adapter_attach, .apply = adapter_apply, .poll = adapter_poll,
	.wait = adapter_wait, .stop = adapter_stop, .report_s = 5,
};
