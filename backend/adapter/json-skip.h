/* json-skip.h — where a JSON value ends, without parsing it: the Slurm
 * adapter's list scanner (adapter/slurm/slurm-scan.h) and the Prometheus
 * JSON reader (adapter/telemetry/prom-parse.c) walk documents of hundreds
 * of MB with these and hand only the values they read to cJSON.
 *
 * Two kinds of skip: jskip_value checks the structure it passes (strings
 * closed, escapes JSON's, brackets matched, nothing but JSON's characters
 * between them), so a cut or garbled document is refused; jskip_span_end
 * only follows brackets and strings, 16 bytes a step, for a caller that
 * checks the bytes some other way (the Slurm scanner takes a span only when
 * its bytes equal ones it parsed before).
 *
 * Ownership: nothing is allocated or kept; the text is the caller's. The
 * byte-class tables are filled on first use (the parsers run on one
 * thread). */
#ifndef DCOPS_JSON_SKIP_H
#define DCOPS_JSON_SKIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSKIP_DEPTH 1000   /* cJSON's own nesting limit */

/* Past the blanks from p (every byte up to ' ', NUL included, as cJSON
 * reads them). */
static inline size_t jskip_blank(const char *t, size_t len, size_t p)
{
	while (p < len && (unsigned char)t[p] <= ' ')
		p++;
	return p;
}

/* Skips the JSON value at text[*pos] (after blanks): 0 with *pos past it,
 * or -1 with *pos where the structure broke. *count, when not NULL, gets
 * the number of elements if the value is an array. */
int jskip_value(const char *text, size_t len, size_t *pos, size_t *count);

/* Past the string opening at t[*pos] ('"'); -1 when it does not close or
 * an escape is not JSON's. */
int jskip_string(const char *t, size_t len, size_t *pos);

/* Where the root value starts: after a UTF-8 byte order mark and blanks,
 * as cJSON reads it. */
size_t jskip_doc_start(const char *t, size_t len);

/* Whether the document's root value is an object (its first byte). */
bool jskip_is_object(const char *text, size_t len);

/* Where the object or array at t[p] ends, by its brackets and strings
 * only: nothing else is checked, so what it finds is a candidate. false
 * when nothing closes it. */
bool jskip_span_end(const char *t, size_t len, size_t p, size_t *end);

#endif
