/* fuzz-tel.h — the telemetry reader as the Prometheus fuzzers drive it
 * (fuzz_prom_json.c, fuzz_prom_text.c): one reader per process over a
 * fixed set of GPUs, and one reading cycle of it over an input.
 *
 * Ownership: the reader fuzz_tel_reader() makes lives for the process
 * (libFuzzer's loop never ends before exit), its log stream too. */
#ifndef DCOPS_FUZZ_TEL_H
#define DCOPS_FUZZ_TEL_H

#include "fuzz.h"

#include "adapter/telemetry/tel.h"

/* The process's reader in mode, indexing rows[n]: made on the first call,
 * the same one after. */
static inline struct tel *fuzz_tel_reader(enum tel_mode mode, const struct tel_gpu_row *rows, size_t n)
{
	static struct tel *t;
	static FILE *devnull;
	if (t)
		return t;
	struct tel_cfg cfg;
	tel_cfg_init(&cfg);
	cfg.mode = mode;
	devnull = fopen("/dev/null", "w");
	struct dc_err err = { 0 };
	t = devnull ? tel_new(&cfg, devnull, &err) : NULL;
	if (!t)
		fuzz_fail("no telemetry reader: %s", devnull ? err.msg : "cannot open /dev/null");
	tel_index_set(t, rows, n);
	return t;
}

/* One cycle of t over body[len] as `what` (a query's metric, a node's
 * scrape): what a refused input leaves is no row; what an accepted one
 * leaves is at most max_rows rows (one per GPU indexed), each inside the
 * schema's ranges (util 0-100, temperature -50-250 °C, power, memory, ECC
 * and Xid >= 0). Returns tel_feed's answer, with err saying why on -1. */
static inline int fuzz_tel_cycle(struct tel *t, const char *what, const char *body, size_t len,
                                 size_t max_rows, struct dc_err *err)
{
	tel_cycle_begin(t);
	*err = (struct dc_err){ 0 };
	int rc = tel_feed(t, what, body, len, err);
	size_t n = tel_diff(t, 1000);
	if (rc < 0 && n)
		fuzz_fail("a refused input wrote %zu rows", n);
	const struct tel_row *r = tel_diff_rows(t, &n);
	if (n > max_rows)
		fuzz_fail("%zu rows for %zu GPUs", n, max_rows);
	for (size_t i = 0; i < n; i++)
		if (r[i].util < 0 || r[i].util > 100 || r[i].power < 0 || r[i].mem < 0 || r[i].dbe < 0 ||
		    r[i].xid < 0 || r[i].temp < -50 || r[i].temp > 250)
			fuzz_fail("row %zu outside the schema's ranges", i);
	tel_diff_commit(t);
	return rc;
}

#endif
