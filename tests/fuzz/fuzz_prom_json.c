/* fuzz_prom_json — the Prometheus instant-query JSON parser over arbitrary
 * bytes (exact length, no NUL), then the same answer through the telemetry
 * reader as one metric's query for a fleet of two nodes.
 * Invariants: each sample has a non-empty name, at most 32 labels with
 * terminated names and values; a failure gives a printable message and
 * the reader keeps nothing; the rows it would write are inside the
 * schema's ranges. */
#include "fuzz.h"

#include "adapter/telemetry/prom-parse.h"
#include "adapter/telemetry/tel.h"

static int on_sample(const struct prom_sample *s, void *ud)
{
	(void)ud;
	if (!s->name || !*s->name)
		fuzz_fail("sample without a name");
	if (s->n_labels > PROM_MAX_LABELS)
		fuzz_fail("%zu labels", s->n_labels);
	for (size_t i = 0; i < s->n_labels; i++)
		(void)(strlen(s->labels[i].name) + strlen(s->labels[i].value));
	return 0;
}

static struct tel *reader(void)
{
	static struct tel *t;
	if (t)
		return t;
	struct tel_cfg cfg;
	tel_cfg_init(&cfg);
	cfg.mode = TEL_PROMETHEUS;
	static FILE *devnull;
	devnull = fopen("/dev/null", "w");
	struct dc_err err;
	t = tel_new(&cfg, devnull, &err);
	struct tel_gpu_row rows[4] = {
		{ .id = 1, .node = "n1", .idx = 0, .mem_total = 100 }, { .id = 2, .node = "n1", .idx = 1, .mem_total = 100 },
		{ .id = 3, .node = "n2", .idx = 0, .mem_total = 100 }, { .id = 4, .node = "n2", .idx = 3, .mem_total = 100 },
	};
	tel_index_set(t, rows, 4);
	return t;
}

static const char *const queries[] = { "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_XID_ERRORS",
	"DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "DCGM_FI_DEV_FB_USED" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	const char *q = queries[size % 4];
	struct dc_err err = { 0 };
	int rc = prom_json_each(copy, size, q, on_sample, NULL, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0)
		fuzz_check_printable(err.msg);

	struct tel *t = reader();
	tel_cycle_begin(t);
	err = (struct dc_err){ 0 };
	int frc = tel_feed(t, q, copy, size, &err);
	if ((frc < 0) != (rc < 0))
		fuzz_fail("the reader and the parser disagree");
	size_t n = tel_diff(t, 1000);
	if (frc < 0 && n)
		fuzz_fail("a refused answer wrote %zu rows", n);
	const struct tel_row *r = tel_diff_rows(t, &n);
	for (size_t i = 0; i < n; i++)
		if (r[i].util < 0 || r[i].util > 100 || r[i].power < 0 || r[i].mem < 0 || r[i].dbe < 0 || r[i].xid < 0)
			fuzz_fail("row %zu outside the schema's ranges", i);
	tel_diff_commit(t);
	free(copy);
	return 0;
}
