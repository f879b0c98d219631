/* slurm-scan.h — internal to backend/adapter/slurm: the Slurm commands'
 * JSON documents read one list element at a time, so that `squeue --json`
 * at 100,000 jobs (hundreds of MB) is never held as one cJSON tree.
 *
 * The scanner only finds extents (with adapter/json-skip.h): where a
 * value ends, where each element of the document's list starts, where
 * each key of an element is. Every value a parser reads is parsed by
 * cJSON; values it does not read are skipped, checked for structure only (strings closed, escapes known,
 * brackets matched, nothing but JSON's characters between them). So a
 * truncated document, or one cut or garbled anywhere, is refused as a
 * whole, as before; a grammar slip inside a value nobody reads (`1..2`)
 * is not noticed.
 *
 * One pass: the document is read once, front to back; each element is
 * handed over as soon as it is read, so the memory is one element's
 * cJSON tree, not the document's. With a span function
 * (slurm_scan_run_spans) each element's bytes are hashed first and the
 * caller may take it as it was (an element with the same bytes parsed in
 * an earlier cycle): then it is neither parsed nor checked, its equality
 * with bytes that were is the check.
 *
 * Errors have the cJSON form the callers always printed: "not valid JSON
 * (at byte N of LEN)", with "<list>[i]: " before it when the fault is
 * inside an element, short of the end (a document cut short reads as
 * before, whichever element was cut).
 *
 * Ownership: struct slurm_scan_doc owns root (the members other than the
 * list, parsed), freed by slurm_scan_close; the text is borrowed; the
 * items handed to fn are freed after fn returns (fn copies what it keeps). */
#ifndef DCOPS_SLURM_SCAN_H
#define DCOPS_SLURM_SCAN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SLURM_SCAN_WANT_SLOTS 128

/* Takes one element of the list (only the wanted keys) while the
 * document is read; members holds the document's other members read so
 * far (those before the list). 0, or -1 after setting the caller's error:
 * later elements are then only checked, not passed. */
typedef int slurm_scan_fn(void *arg, const cJSON *members, size_t i, const cJSON *item);

/* Offered each element's extent before it is parsed (slurm_scan_run_spans):
 * hash is slurm_scan_hash of its bytes. true: the caller has it already
 * (from an element with the same bytes before) and fn is not called for
 * it; false: it is parsed and given to fn as usual. */
typedef bool slurm_scan_span_fn(void *arg, const cJSON *members, size_t i, uint64_t hash);

struct slurm_scan_doc {
	slurm_scan_span_fn *span;     /* NULL: every element parsed */
	void *arg;                    /* span's */
	const char *list_key;
	cJSON *root;                  /* every member but the list's first */
	bool have_list;               /* the list member is an array ... */
	size_t list_at, n;            /* ... at this '[' with this many elements */
	bool item_failed;             /* fn refused an element */
	const char *want[SLURM_SCAN_WANT_SLOTS];   /* hashed key set */
	size_t want_len[SLURM_SCAN_WANT_SLOTS];
	bool want_all;                /* want was NULL: every key */
};

/* One pass over the document, which must be one JSON object: its members
 * other than list_key are parsed into doc->root; the elements of the list
 * (when an array) go to fn one at a time, with only the keys in want
 * (NULL-terminated static strings), or all when want is NULL or names
 * more than SLURM_SCAN_WANT_SLOTS / 2. -1 with err
 * "<src>: not valid JSON (at byte N of LEN)" ("<src>: <list>[i]: ..." for
 * a fault inside an element before the end): the JSON is refused whole,
 * whatever fn was given before. 0 otherwise, with doc->item_failed when
 * fn refused an element (its message is the caller's to report, after
 * its own checks of the other members). */
int slurm_scan_run(struct slurm_scan_doc *doc, const char *src, const char *text, size_t len, const char *list_key,
		const char *const *want, slurm_scan_fn *fn, void *arg, struct dc_err *err);
/* slurm_scan_run, each element first offered to span. An element is
 * taken on its bytes only when its structure is whole (brackets matched,
 * strings closed), as the bytes it equals were when they were parsed; a
 * broken one is parsed, and refused with the usual message. */
int slurm_scan_run_spans(struct slurm_scan_doc *doc, const char *src, const char *text, size_t len,
		const char *list_key, const char *const *want, slurm_scan_span_fn *span, slurm_scan_fn *fn, void *arg,
		struct dc_err *err);
/* A 64-bit hash of n bytes, keyed with a secret drawn once per process
 * (never 0): equal bytes hash equal within one process. Not for anything
 * kept across restarts. */
uint64_t slurm_scan_hash(const char *p, size_t n);
/* The list's elements to fn once more (for a caller that learned from a
 * member after the list how to read them). */
int slurm_scan_again(struct slurm_scan_doc *doc, const char *text, size_t len, slurm_scan_fn *fn, void *arg);
void slurm_scan_close(struct slurm_scan_doc *doc);

#endif
