/* fuzz_prom_json — the Prometheus instant-query JSON parser over arbitrary
 * bytes (exact length, no NUL), then the same answer through the telemetry
 * reader as one metric's query for a fleet of two nodes.
 * Invariants: each sample has a non-empty name, at most 32 labels with
 * terminated names and values; a failure gives a printable message and
 * the reader keeps nothing; the rows it would write are one per GPU at
 * most, inside the schema's ranges (fuzz-tel.h). */
#include "fuzz-tel.h"

#include "adapter/telemetry/prom-parse.h"

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

static const struct tel_gpu_row gpus[] = {
	{ .id = 1, .node = "n1", .idx = 0, .mem_total = 100 }, { .id = 2, .node = "n1", .idx = 1, .mem_total = 100 },
	{ .id = 3, .node = "n2", .idx = 0, .mem_total = 100 }, { .id = 4, .node = "n2", .idx = 3, .mem_total = 100 },
};

static const char *const queries[] = { "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_XID_ERRORS",
	"DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "DCGM_FI_DEV_FB_USED" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_bytes(data, size);
	const char *q = queries[size % 4];
	struct dc_err err = { 0 };
	int rc = prom_json_each(copy, size, q, on_sample, NULL, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0)
		fuzz_check_printable(err.msg);

	struct tel *t = fuzz_tel_reader(TEL_PROMETHEUS, gpus, sizeof gpus / sizeof gpus[0]);
	int frc = fuzz_tel_cycle(t, q, copy, size, sizeof gpus / sizeof gpus[0], &err);
	if ((frc < 0) != (rc < 0))
		fuzz_fail("the reader and the parser disagree");
	free(copy);
	return 0;
}
