/* slurm-scan.h — internal to backend/adapter/slurm: the Slurm commands'
 * JSON documents read one list element at a time, so that `squeue --json`
 * at 100,000 jobs (hundreds of MB) is never held as one cJSON tree.
 *
 * The scanner only finds extents: where a value ends, where each element
 * of the document's list starts, where each key of an element is. Every
 * value a parser reads is parsed by cJSON; values it does not read are
 * skipped, checked for structure only (strings closed, escapes known,
 * brackets matched, nothing but JSON's characters between them). So a
 * truncated document, or one cut or garbled anywhere, is refused as a
 * whole, as before; a grammar slip inside a value nobody reads (`1..2`)
 * is not noticed.
 *
 * Errors have the cJSON form the callers always printed: "not valid JSON
 * (at byte N of LEN)", with "<list>[i]: " before it when the fault is in
 * an element read in the second pass.
 *
 * Ownership: struct slurm_scan_doc borrows the text (which must outlive
 * it) and owns root (the members other than the list, parsed) and the
 * want table; slurm_scan_close frees them. Items from slurm_scan_next are
 * the caller's to cJSON_Delete. */
#ifndef DCOPS_SLURM_SCAN_H
#define DCOPS_SLURM_SCAN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define SLURM_SCAN_DEPTH 1000   /* cJSON's own nesting limit */
#define SLURM_SCAN_WANT_SLOTS 128

/* Skips the JSON value at text[*pos] (after blanks): 0 with *pos past it,
 * or -1 with *pos where the structure broke. *count, when not NULL, gets
 * the number of elements if the value is an array. */
int slurm_scan_skip(const char *text, size_t len, size_t *pos, size_t *count);

struct slurm_scan_doc {
	const char *text;
	size_t len;
	const char *list_key;
	cJSON *root;                  /* every member but the list's first */
	bool have_list;               /* the list member is an array ... */
	size_t list_at, list_n;       /* ... at this '[' with this many elements */
	size_t pos, i;                /* the next element, and its index */
	const char *want[SLURM_SCAN_WANT_SLOTS];   /* hashed key set, NULL: every key */
	bool want_all;
};

/* First pass: the document must be one JSON object; its members other
 * than list_key are parsed into doc->root, the list (when an array) is
 * skipped and counted. -1 with err "<src>: not valid JSON (at byte N of
 * LEN)". want: the element keys the caller reads (NULL-terminated, static
 * strings), or NULL for every key. */
int slurm_scan_open(struct slurm_scan_doc *doc, const char *src, const char *text, size_t len, const char *list_key,
		const char *const *want, struct dc_err *err);
/* Is the document's first non-blank byte '{'? (Otherwise the caller
 * reports its own "expected a JSON object" from a plain parse.) */
bool slurm_scan_is_object(const char *text, size_t len);
/* Second pass: 1 and *item (an object holding only the wanted members, in
 * the document's order, or the whole element when it is not an object or
 * want was NULL); 0 after the last; -1 with err. */
int slurm_scan_next(struct slurm_scan_doc *doc, const char *src, cJSON **item, struct dc_err *err);
void slurm_scan_close(struct slurm_scan_doc *doc);

#endif
