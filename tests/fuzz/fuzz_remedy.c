/* fuzz_remedy — the remediation table loader over arbitrary bytes, as the
 * base table and as a site's override of the shipped one.
 * Invariants: a refused file leaves no table (base) or the table as it was
 * (override), with a message; a loaded table answers every event kind,
 * every rule's strings are set and free of control characters, severity
 * is 1-5, policy fits the audit actor's alphabet, auto_drain implies drain
 * and the flood settings are in range. */
#include "fuzz.h"

#include "adapter/remedy/remedy.h"

static void check_table(const struct remedy *r)
{
	if (r->flood_window_s < 1 || r->flood_window_s > 86400 || r->flood_nodes < 2 || r->flood_nodes > 100000)
		fuzz_fail("flood %d s / %d nodes", r->flood_window_s, r->flood_nodes);
	for (size_t i = 0; i < r->n; i++) {
		const struct remedy_rule *x = &r->rules[i];
		if (!x->meaning || !x->meaning[0] || !x->action || !x->policy)
			fuzz_fail("rule %zu: a string is missing", i);
		if (x->severity < 1 || x->severity > 5)
			fuzz_fail("rule %zu: severity %d", i, x->severity);
		if (x->auto_drain && !x->drain)
			fuzz_fail("rule %zu: auto_drain without drain", i);
		size_t pl = strlen(x->policy);
		if (pl < 1 || pl > 40 || strspn(x->policy, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != pl)
			fuzz_fail("rule %zu: policy '%s'", i, x->policy);
		for (const unsigned char *p = (const unsigned char *)x->meaning; *p; p++)
			if (*p < ' ' || *p == 0x7f)
				fuzz_fail("rule %zu: control character in meaning", i);
	}
	static const enum tel_event_kind kinds[] = { TEL_XID, TEL_ECC_DBE, TEL_REMAP_FAILURE, TEL_REMAP_PENDING,
		TEL_NVLINK };
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		struct tel_event ev = { .kind = kinds[k], .node = "n", .uuid = "", .code = 12345, .rise = 1 };
		if (!remedy_find(r, &ev))
			fuzz_fail("no rule for event kind %d", (int)kinds[k]);
	}
}

/* The shipped table's text, read once: each input merges over a fresh parse. */
static const char *base_text(size_t *len)
{
	static char *text;
	static size_t n;
	if (!text) {
		const char *root = getenv("DCOPS_ROOT");
		char path[4096];
		struct dc_err err;
		snprintf(path, sizeof path, "%s/backend/remedy/xid.json", root ? root : ".");
		if (dc_read_file(path, REMEDY_MAX_BYTES, &text, &n, &err) < 0)
			fuzz_fail("the shipped table: %s (set DCOPS_ROOT)", err.msg);
	}
	*len = n;
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct remedy r = {0};
	struct dc_err err = { { 0 } };
	int rc = remedy_merge(&r, (const char *)data, size, "fuzz.json", true, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0 && r.rules)
		fuzz_fail("a refused base table left rules");
	if (rc == 0)
		check_table(&r);
	remedy_free(&r);

	size_t blen;
	const char *btext = base_text(&blen);
	if (remedy_merge(&r, btext, blen, "xid.json", true, &err) < 0)
		fuzz_fail("the shipped table: %s", err.msg);
	size_t n = r.n;
	err.msg[0] = '\0';
	rc = remedy_merge(&r, (const char *)data, size, "site.json", false, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0 && r.n != n)
		fuzz_fail("a refused override changed the table (%zu rules, was %zu)", r.n, n);
	check_table(&r);
	remedy_free(&r);
	return 0;
}
