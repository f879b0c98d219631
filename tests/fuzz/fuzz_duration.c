/* fuzz_duration — actions_duration_parse over one string (the input up to
 * its first NUL), checked against a plain reimplementation of the grammar
 * in actions.h: units w d h m s, each at most once, largest first, no
 * signs, spaces or fractions; total 1 s to 400 days. Messages must show
 * the value without control bytes. */
#include "fuzz.h"

#include "actions.h"

#define DAY 86400LL

/* seconds, or -1 when the grammar refuses s */
static int64_t reference(const char *s)
{
	static const char units[] = "wdhms";
	static const int64_t secs[] = { 7 * DAY, DAY, 3600, 60, 1 };
	int64_t total = 0;
	int next = 0;
	if (!*s)
		return -1;
	while (*s) {
		int64_t n = 0;
		if (*s < '0' || *s > '9')
			return -1;
		for (; *s >= '0' && *s <= '9'; s++)
			if ((n = n * 10 + (*s - '0')) > 400 * DAY)
				return -1;
		const char *u = *s ? strchr(units, *s) : NULL;
		if (!u || u - units < next)
			return -1;
		next = (int)(u - units) + 1;
		total += n * secs[u - units];
		if (total > 400 * DAY)
			return -1;
		s++;
	}
	return total >= 1 ? total : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	int64_t secs = -7;
	struct dc_err err = { { 0 } };
	int rc = actions_duration_parse(s, &secs, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0)
		for (const unsigned char *p = (const unsigned char *)err.msg; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				fuzz_fail("control byte 0x%02x in \"%s\"", *p, err.msg);
	int64_t want = reference(s);
	if (rc == 0 ? secs != want : want != -1 || secs != -7)
		fuzz_fail("\"%s\": parser says %d (%lld), grammar says %lld", s, rc, (long long)secs,
		          (long long)want);
	free(s);
	return 0;
}
