/* filter.h — what `/` matches, the same way in every list.
 *
 * A row's filter text is its words (what the eye reads: names, states,
 * reasons) followed by its fields, each written as a unit separator, the
 * key, '=' and the value (a field may appear more than once: a node is
 * "drained" and "down"). Each list declares its fields once, in a table of
 * struct filter_field; filter_row_text builds a row's text from the words and
 * that table.
 *
 * A pattern is words separated by spaces; every term must hold:
 *   key:value        the row has field key equal to value (case-insensitive;
 *                    "a,b" is either; "val*" a prefix) — /state:drained
 *   !key:value       it has not
 *   anything else    the rest of the pattern, joined by single spaces, is a
 *                    substring of the row's words (a leading ! hides the
 *                    rows that contain it), as before fields existed.
 * A key:value word whose key the row does not have is ordinary text, so a
 * name with a colon in it still matches.
 *
 * Ownership: callers own every buffer; nothing here allocates. */
#ifndef DCOPS_FILTER_H
#define DCOPS_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#define FILTER_SEP '\x1f'

struct filter_text {
	char *buf;
	size_t n, len;
};

struct filter_field {
	const char *keys;   /* the keys put writes, space-separated: "part rack model" */
	const char *values; /* what they hold, for the reader: "pending, running, held, ..." */
	/* adds the row's value(s) with filter_put; ud is the view's, row its row */
	void (*put)(struct filter_text *ft, const void *ud, const void *row);
};

/* Adds "key=value" (nothing when value is NULL or empty). */
void filter_put(struct filter_text *ft, const char *key, const char *value);
/* buf = words, then the fields of fs for row. */
void filter_row_text(char *buf, size_t n, const char *words, const struct filter_field *fs, size_t nf,
                 const void *ud, const void *row);

/* Empty pattern matches everything. */
bool filter_match(const char *pattern, const char *text);

/* "state, part, rack": the keys of fs, for messages. */
void filter_keys(const struct filter_field *fs, size_t nf, char *buf, size_t n);
/* The first key:value word of pattern whose key no field of fs has,
 * copied to key; false when there is none. Such a word matches as plain
 * text: a list says so, naming its keys, so a typo does not just empty it. */
bool filter_unknown_key(const char *pattern, const struct filter_field *fs, size_t nf, char *key,
                        size_t n);
/* Appends to buf, when pattern has such a word: " · no field 'stat':
 * state, part, ..." (the list's crumbs say it). */
void filter_hint(char *buf, size_t n, const char *pattern, const struct filter_field *fs, size_t nf);

#endif
