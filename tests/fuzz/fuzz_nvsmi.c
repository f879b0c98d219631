/* fuzz_nvsmi — nvsmi_parse over arbitrary bytes, passed with their exact
 * length and no terminating NUL (ASan catches any read past the end).
 * Invariants: no more rows than lines; each row inside the ranges nvsmi.h
 * documents, text fields terminated and free of control bytes, problem
 * bits agreeing with the values; failure leaves no rows and a message. */
#include "fuzz.h"

#include "nvsmi.h"

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = size > 0;
	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n' && i + 1 < size;
	return n;
}

static void check_text(const char *what, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == 0 || n == cap)
		fuzz_fail("%s empty or not terminated", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fuzz_fail("%s has control byte 0x%02x", what, (unsigned char)s[i]);
}

static void check_row(const struct nvsmi_gpu *g)
{
	if (g->index < 0 || g->index > 4096)
		fuzz_fail("index %d", g->index);
	check_text("uuid", g->uuid, sizeof g->uuid);
	check_text("name", g->name, sizeof g->name);
	if (g->temp_c < -100 || g->temp_c > 200)
		fuzz_fail("temp_c %d", g->temp_c);
	if (g->util_pct < -1 || g->util_pct > 100)
		fuzz_fail("util_pct %d", g->util_pct);
	if (g->mem_used_mib < -1 || g->mem_total_mib < -1 || g->ecc_uncorrected < -1)
		fuzz_fail("negative count");
	if (!(g->power_w == -1 || (g->power_w >= 0 && g->power_w <= 1e5)))
		fuzz_fail("power_w %g", g->power_w);
	if (g->pending < -1 || g->pending > 1)
		fuzz_fail("pending %d", g->pending);
	unsigned want = (g->ecc_uncorrected > 0 ? NVSMI_ECC : 0) |
	                (g->temp_c >= NVSMI_HOT_C ? NVSMI_HOT : 0) |
	                (g->pending == 1 ? NVSMI_PENDING : 0);
	if (g->problems != want)
		fuzz_fail("problems 0x%x, want 0x%x", g->problems, want);
	char buf[64];
	for (size_t cap = 0; cap <= sizeof buf; cap += 7)
		if (cap && strnlen(nvsmi_problem_str(g->problems, buf, cap), cap) == cap)
			fuzz_fail("nvsmi_problem_str not terminated at cap %zu", cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the parser may not rely on anything after the input */
	char *text = fuzz_bytes(data, size);
	static struct nvsmi_gpu sentinel; /* the parser must overwrite *out */
	struct nvsmi_gpu *rows = &sentinel;
	size_t n = 12345;
	struct dc_err err = { { 0 } };
	int rc = nvsmi_parse(text, size, &rows, &n, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0) {
		if (rows || n)
			fuzz_fail("failure left rows %p, n %zu", (void *)rows, n);
	} else {
		if (!rows || n == 0 || n > count_lines(data, size))
			fuzz_fail("%zu rows from %zu lines", n, count_lines(data, size));
		for (size_t i = 0; i < n; i++)
			check_row(&rows[i]);
	}
	free(rows);
	free(text);
	return 0;
}
