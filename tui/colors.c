/* colors.c — theme elements to curses colour pairs (see colors.h). */
#include "colors.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static attr_t el_attr[THEME_EL_COUNT];
static char theme_name[64] = "none";

static bool no_color(void)
{
	const char *nc = getenv("NO_COLOR");
	return (nc && *nc) || !has_colors();
}

static attr_t curses_attrs(unsigned a)
{
	attr_t r = A_NORMAL;
	if (a & THEME_A_BOLD)
		r |= A_BOLD;
	if (a & THEME_A_DIM)
		r |= A_DIM;
	if (a & THEME_A_UNDERLINE)
		r |= A_UNDERLINE;
	if (a & THEME_A_REVERSE)
		r |= A_REVERSE;
	if (a & THEME_A_ITALIC)
		r |= A_ITALIC;
	if (a & THEME_A_STANDOUT)
		r |= A_STANDOUT;
	return r;
}

static void apply(struct theme *t)
{
	bool color = !no_color();
	if (color && COLORS < 256)
		theme_downgrade(t, COLORS >= 16 ? 16 : 8);
	for (int e = 0; e < THEME_EL_COUNT; e++) {
		el_attr[e] = curses_attrs(t->el[e].attrs);
		if (!color || e + 1 >= COLOR_PAIRS)
			continue;
		init_pair((short)(e + 1), t->el[e].fg, t->el[e].bg);
		el_attr[e] |= COLOR_PAIR(e + 1);
	}
	snprintf(theme_name, sizeof theme_name, "%s", t->name);
}

int colors_init(const char *name, struct dc_err *err)
{
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	struct theme t;
	if (no_color()) {
		theme_mono(&t);
		apply(&t);
		return 0;
	}
	if (theme_load_named(name ? name : "default", &t, err) == -1) {
		theme_default(&t);
		apply(&t);
		return -1;
	}
	apply(&t);
	return 0;
}

int colors_use(const char *name, struct dc_err *err)
{
	if (no_color())
		return dc_err_set(err, "NO_COLOR is set (or the terminal has no colours): "
		                       "theme '%s' not applied", name);
	struct theme t;
	if (theme_load_named(name, &t, err) == -1)
		return -1;
	apply(&t);
	return 0;
}

attr_t colors_attr(enum theme_el e)
{
	return e < THEME_EL_COUNT ? el_attr[e] : A_NORMAL;
}

const char *colors_theme_name(void)
{
	return theme_name;
}

static void list_dir(const char *dir, void (*add)(void *ud, const char *name), void *ud)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(n - 5), de->d_name);
		add(ud, name);
	}
	closedir(d);
}

void colors_theme_names(void (*add)(void *ud, const char *name), void *ud)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *user = xdg && *xdg ? xasprintf("%s/dcops/themes", xdg)
	           : home ? xasprintf("%s/.config/dcops/themes", home) : NULL;
	if (user)
		list_dir(user, add, ud);
	free(user);
	char *data = xasprintf("%s/themes", dc_datadir());
	list_dir(data, add, ud);
	free(data);
}
