/* prom-parse.h — the two shapes DCGM metrics arrive in, parsed into one
 * sample at a time: the Prometheus text exposition format (what
 * dcgm-exporter serves on :9400/metrics) and the Prometheus HTTP API's
 * instant-query JSON (/api/v1/query: data.result[] of metric labels and
 * [time, "value"]).
 *
 * Text format: '#' lines (HELP, TYPE, anything) and blank lines are
 * skipped; a sample is NAME[{LABEL="VALUE",...}] VALUE [TIMESTAMP_MS] with
 * \\, \" and \n escapes in label values, NaN and +/-Inf values and an
 * optional integer timestamp. Label values are data: any bytes but the
 * escapes pass through unchanged. One malformed line fails the whole
 * input (nothing half-parsed reaches a caller that checks the result
 * before using what the callback collected): the message names the line
 * and what is wrong.
 *
 * Ownership: a sample and its strings live only for the callback; the
 * callback copies what it keeps. The input is read with its exact length
 * (no NUL needed). */
#ifndef DCOPS_PROM_PARSE_H
#define DCOPS_PROM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define PROM_MAX_LABELS 32

struct prom_label {
	const char *name, *value;
};

struct prom_sample {
	const char *name;
	const struct prom_label *labels;
	size_t n_labels;
	double value;          /* may be NaN or +/-Inf */
	bool has_ts;
	int64_t ts_ms;
};

/* 0 to go on; anything else stops the parse, which returns it. */
typedef int (*prom_sample_fn)(const struct prom_sample *s, void *ud);

/* The value of label name, NULL when the sample has none. */
const char *prom_label(const struct prom_sample *s, const char *name);

/* Whether the caller reads metric name at all (NULL: every metric).
 * Asked once for each run of lines naming the same metric; the answer
 * holds for the run. */
typedef bool (*prom_want_fn)(const char *name, void *ud);

/* Every sample of a text-format body. A line whose metric want refuses is
 * skipped after its name, unparsed (an exporter's page is mostly metrics
 * dcops does not read). -1 with err ("line N: ...") when a line read is
 * malformed; the callback's non-zero return otherwise. */
int prom_text_each(const char *buf, size_t len, prom_want_fn want, prom_sample_fn fn, void *ud,
                   struct dc_err *err);

/* Every sample of an instant query's answer (resultType "vector"); the
 * sample's name is the __name__ label, or the query's name when absent
 * (query may be NULL). -1 with err naming the key that is wrong, or the
 * server's own error for status "error". Read in one pass, one element
 * at a time: samples before a fault further on have reached fn, so the
 * caller keeps what fn collected only on 0 (as for the text format). */
int prom_json_each(const char *buf, size_t len, const char *query, prom_sample_fn fn, void *ud,
                   struct dc_err *err);

#endif
