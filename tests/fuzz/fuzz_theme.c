/* fuzz_theme — theme_load_file over arbitrary bytes.
 * Invariants: a loaded theme holds only valid colours, attributes and a
 * terminated name; a refused one is exactly the compiled-in default with a
 * message; theme_downgrade keeps every colour inside the smaller palette. */
#include "fuzz.h"

#include "theme.h"

#define ATTR_ALL (THEME_A_BOLD | THEME_A_DIM | THEME_A_UNDERLINE | THEME_A_REVERSE | \
                  THEME_A_ITALIC | THEME_A_STANDOUT)

static void check_colors(const struct theme *t, int ncolors)
{
	for (int i = 0; i < THEME_EL_COUNT; i++) {
		const struct theme_style *s = &t->el[i];
		if (s->fg < THEME_COLOR_DEFAULT || s->fg >= ncolors ||
		    s->bg < THEME_COLOR_DEFAULT || s->bg >= ncolors)
			fuzz_fail("%s: colour %d/%d outside -1..%d", theme_el_name(i), s->fg, s->bg,
			          ncolors - 1);
		if (s->attrs & ~ATTR_ALL)
			fuzz_fail("%s: unknown attribute bits 0x%x", theme_el_name(i), s->attrs);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct theme t, def;
	struct dc_err err = { { 0 } };
	int rc = theme_load_file(fuzz_path(data, size), &t, &err);
	fuzz_check_msg(err.msg, sizeof err.msg, rc < 0);
	if (rc < 0) {
		theme_default(&def);
		if (memcmp(&t, &def, sizeof t) != 0)
			fuzz_fail("a refused theme is not the default");
		return 0;
	}
	if (rc != 0)
		fuzz_fail("theme_load_file returned %d", rc);
	if (strnlen(t.name, sizeof t.name) == sizeof t.name)
		fuzz_fail("theme name not NUL-terminated");
	if (t.colors != 8 && t.colors != 16 && t.colors != 256)
		fuzz_fail("colors is %d", t.colors);
	check_colors(&t, 256);
	for (int n = 8; n <= 16; n += 8) {
		struct theme d = t;
		theme_downgrade(&d, n);
		check_colors(&d, n);
		for (int i = 0; i < THEME_EL_COUNT; i++)
			if (d.el[i].fg != THEME_COLOR_DEFAULT && d.el[i].fg == d.el[i].bg)
				fuzz_fail("%s: fg equals bg after downgrade to %d", theme_el_name(i), n);
	}
	return 0;
}
