/* fuzz_prom_text — the Prometheus text-format parser (what dcgm-exporter
 * serves) over arbitrary bytes, passed with their exact length and no
 * terminating NUL, then the same bytes through the telemetry reader as one
 * node's scrape (8 GPUs) and its diff.
 * Invariants: every sample has a name of the format's characters, at most
 * 32 labels with valid names and terminated values, and there are no more
 * samples than lines; a failure names its line in a printable message; the
 * reader takes whatever the parser takes and keeps nothing of what it refuses; the rows the reader would write are
 * one per GPU at most, inside the schema's ranges (fuzz-tel.h). */
#include "fuzz-tel.h"

#include "adapter/telemetry/prom-parse.h"

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
	       (!first && c >= '0' && c <= '9');
}

static void check_name(const char *s, bool colon)
{
	if (!s || !*s)
		fuzz_fail("empty name");
	for (size_t i = 0; s[i]; i++)
		if (!name_char(s[i], i == 0, colon))
			fuzz_fail("name with 0x%02x", (unsigned char)s[i]);
}

static int on_sample(const struct prom_sample *s, void *ud)
{
	size_t *n = ud;
	(*n)++;
	check_name(s->name, true);
	if (s->n_labels > PROM_MAX_LABELS)
		fuzz_fail("%zu labels", s->n_labels);
	for (size_t i = 0; i < s->n_labels; i++) {
		check_name(s->labels[i].name, false);
		(void)strlen(s->labels[i].value);
	}
	return 0;
}

static struct tel *reader(void)
{
	struct tel_gpu_row rows[8];
	for (int g = 0; g < 8; g++)
		rows[g] = (struct tel_gpu_row){ .id = g + 1, .node = "n1", .idx = g, .mem_total = 81920, .seen = true };
	return fuzz_tel_reader(TEL_EXPORTERS, rows, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	char *copy = fuzz_bytes(data, size);
	size_t n = 0;
	struct dc_err err = { 0 };
	int rc = prom_text_each(copy, size, NULL, on_sample, &n, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0) {
		fuzz_check_printable(err.msg);
		if (strncmp(err.msg, "line ", 5) != 0)
			fuzz_fail("message without its line: %s", err.msg);
	}
	if (n > lines)
		fuzz_fail("%zu samples from %zu lines", n, lines);

	int frc = fuzz_tel_cycle(reader(), "n1", copy, size, 8, &err);
	/* the reader skips metrics it does not read: it may take more, never less */
	if (rc == 0 && frc < 0)
		fuzz_fail("the reader refused what the parser took: %s", err.msg);
	free(copy);
	return 0;
}
