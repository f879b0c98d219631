/* fuzz_drill — drill_scenario_load (the scenario validator) over arbitrary
 * bytes. The loader wants a path ending in NAME.json, so the input's memfd
 * is reached through one symlink, $TMPDIR/dcops-fuzz.XXXXXX/scenario.json,
 * made once and removed at exit.
 * Invariants: a refused scenario is left empty with a message; an accepted
 * one holds what drill.h promises (bounded text, speed, lists of 1..max
 * entries, events in time order, durations as whole seconds up to 7 days,
 * event references that exist). */
#include "fuzz.h"

#include <cjson/cJSON.h>

#include "drill.h"

#define WEEK (7 * 86400)

static char dir[4096], link_path[4200];

static void cleanup(void)
{
	unlink(link_path);
	rmdir(dir);
}

static const char *scenario_path(const uint8_t *data, size_t size)
{
	const char *target = fuzz_path(data, size);
	if (!*dir) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/dcops-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir))
			fuzz_fail("mkdtemp %s failed", dir);
		snprintf(link_path, sizeof link_path, "%s/scenario.json", dir);
		if (symlink(target, link_path) < 0)
			fuzz_fail("symlink failed");
		atexit(cleanup);
	}
	return link_path;
}

static double number(const cJSON *obj, const char *key, double lo, double hi, bool required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v) {
		if (required)
			fuzz_fail("%s missing", key);
		return lo;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
	    v->valuedouble != (double)(long)v->valuedouble)
		fuzz_fail("%s is not a whole number in %g..%g", key, lo, hi);
	return v->valuedouble;
}

static int list_size(const cJSON *spec, const char *key, int max)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(spec, key);
	int n = cJSON_GetArraySize(l);
	if (!cJSON_IsArray(l) || n < 1 || n > max)
		fuzz_fail("%s has %d entries", key, n);
	return n;
}

static void check_spec(const struct drill_scenario *s)
{
	if (!s->name || strcmp(s->name, "scenario") != 0)
		fuzz_fail("name \"%s\"", s->name ? s->name : "(null)");
	size_t tn = s->title ? strlen(s->title) : 0, bn = s->briefing ? strlen(s->briefing) : 0;
	if (tn < 1 || tn > 200 || bn < 1 || bn > 4000)
		fuzz_fail("title %zu or briefing %zu bytes", tn, bn);
	if (!(s->speed > 0 && s->speed <= 10000) || s->seed < 0)
		fuzz_fail("speed %g, seed %lld", s->speed, (long long)s->seed);
	int nev = list_size(s->spec, "timeline", DRILL_MAX_EVENTS);
	int nex = list_size(s->spec, "expectations", DRILL_MAX_EXPECTATIONS);
	const cJSON *tl = cJSON_GetObjectItemCaseSensitive(s->spec, "timeline");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(s->spec, "expectations");
	double prev = 0;
	for (int i = 0; i < nev; i++) {
		double at = number(cJSON_GetArrayItem(tl, i), "at_s", 0, WEEK, true);
		if (at < prev)
			fuzz_fail("timeline[%d] at %g before %g", i, at, prev);
		prev = at;
	}
	for (int i = 0; i < nex; i++) {
		const cJSON *e = cJSON_GetArrayItem(ex, i);
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind");
		if (!cJSON_IsString(kind))
			fuzz_fail("expectations[%d] without a kind", i);
		number(e, "within_s", 0, WEEK, false);
		number(e, "event", 0, nev - 1, false);
		number(e, "from_event", 0, nev - 1, false);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drill_scenario s;
	struct dc_err err = { { 0 } };
	int rc = drill_scenario_load(scenario_path(data, size), &s, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0) {
		if (s.name || s.title || s.briefing || s.spec)
			fuzz_fail("a refused scenario is not empty");
		return 0;
	}
	check_spec(&s);
	drill_scenario_free(&s);
	return 0;
}
