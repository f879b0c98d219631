/* keys.c — key tables, names, lookup and overrides (see keys.h). */
#include "keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"

static const struct key_binding global_b[] = {
	{ '1', KA_VIEW_NODES, KM_ANY, false },
	{ '2', KA_VIEW_QUEUES, KM_ANY, false },
	{ '3', KA_VIEW_TENANTS, KM_ANY, false },
	{ '4', KA_VIEW_INCIDENTS, KM_ANY, false },
	{ '5', KA_VIEW_AUDIT, KM_ANY, false },
	{ '6', KA_VIEW_HANDOVER, KM_ANY, false },
	{ '7', KA_VIEW_DRILLS, KM_ANY, false },
	{ '0', KA_VIEW_SITES, KM_ANY, false },
	{ '\t', KA_VIEW_NEXT, KM_ANY, false },
	{ KEYS_FN(KEY_BTAB), KA_VIEW_PREV, KM_ANY, false },
	{ '/', KA_FILTER, KM_LIST, true },
	{ ':', KA_COMMAND, KM_ANY, true },
	{ '?', KA_HELP, KM_ANY, true },
	{ KEYS_FN(KEY_F(1)), KA_HELP, KM_ANY, false },
	{ KEYS_CTRL('l'), KA_REDRAW, KM_ANY, false },
	{ 'W', KA_WRITE, KM_ANY, true },
	{ 'q', KA_QUIT, KM_ANY, true },
};
const struct key_table keys_global = { "global", "Global keys", global_b, DC_ARRAY_LEN(global_b) };

static const struct key_binding nav_b[] = {
	{ KEYS_FN(KEY_UP), KA_UP, KM_ANY, false },
	{ 'k', KA_UP, KM_ANY, false },
	{ KEYS_FN(KEY_DOWN), KA_DOWN, KM_ANY, false },
	{ 'j', KA_DOWN, KM_ANY, false },
	{ KEYS_FN(KEY_PPAGE), KA_PAGE_UP, KM_ANY, false },
	{ KEYS_CTRL('b'), KA_PAGE_UP, KM_ANY, false },
	{ KEYS_FN(KEY_NPAGE), KA_PAGE_DOWN, KM_ANY, false },
	{ KEYS_CTRL('f'), KA_PAGE_DOWN, KM_ANY, false },
	{ KEYS_FN(KEY_HOME), KA_TOP, KM_ANY, false },
	{ 'g', KA_TOP, KM_ANY, false },
	{ KEYS_FN(KEY_END), KA_BOTTOM, KM_ANY, false },
	{ 'G', KA_BOTTOM, KM_ANY, false },
	{ '\n', KA_ENTER, KM_LIST | KM_MAP, true },
	{ '\r', KA_ENTER, KM_LIST | KM_MAP, false },
	{ KEYS_FN(KEY_ENTER), KA_ENTER, KM_LIST | KM_MAP, false },
	{ KEYS_ESC, KA_BACK, KM_DETAIL, true },
	{ KEYS_FN(KEY_BACKSPACE), KA_BACK, KM_DETAIL, false },
	{ 's', KA_SORT_NEXT, KM_LIST, true },
	{ '>', KA_SORT_NEXT, KM_LIST, false },
	{ '<', KA_SORT_PREV, KM_LIST, false },
	{ 'S', KA_SORT_REVERSE, KM_LIST, false },
	{ ' ', KA_MARK, KM_LIST, false },
};
const struct key_table keys_nav = { "nav", "Moving around", nav_b, DC_ARRAY_LEN(nav_b) };

static const struct {
	const char *name, *help, *label;
} actions[] = {
#define X(id, name, help, label) { name, help, label },
	KEY_ACTIONS(X)
#undef X
};

const char *keys_action_name(enum key_action a)
{
	return a < KA_COUNT ? actions[a].name : "?";
}

const char *keys_action_help(enum key_action a)
{
	return a < KA_COUNT ? actions[a].help : "";
}

int keys_action_parse(const char *name)
{
	for (int a = 0; a < KA_COUNT; a++)
		if (strcmp(actions[a].name, name) == 0)
			return a;
	return -1;
}

static const struct {
	const char *name;
	int key;
} named[] = {
	{ "Enter", '\n' }, { "Esc", KEYS_ESC }, { "Tab", '\t' }, { "S-Tab", KEYS_FN(KEY_BTAB) },
	{ "Space", ' ' }, { "Up", KEYS_FN(KEY_UP) }, { "Down", KEYS_FN(KEY_DOWN) },
	{ "Left", KEYS_FN(KEY_LEFT) }, { "Right", KEYS_FN(KEY_RIGHT) },
	{ "PgUp", KEYS_FN(KEY_PPAGE) }, { "PgDn", KEYS_FN(KEY_NPAGE) },
	{ "Home", KEYS_FN(KEY_HOME) }, { "End", KEYS_FN(KEY_END) },
	{ "BSpace", KEYS_FN(KEY_BACKSPACE) }, { "Del", KEYS_FN(KEY_DC) },
};

void keys_name(int key, char *buf, size_t n)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(named); i++) {
		if (named[i].key == key) {
			snprintf(buf, n, "%s", named[i].name);
			return;
		}
	}
	if (key >= KEYS_FN(KEY_F(1)) && key <= KEYS_FN(KEY_F(12))) {
		snprintf(buf, n, "F%d", key - KEYS_FN(KEY_F(0)));
	} else if (key == '\r' || key == KEYS_FN(KEY_ENTER)) {
		snprintf(buf, n, "Enter");
	} else if (key > 0 && key < 0x20) {
		snprintf(buf, n, "C-%c", key + 'a' - 1);
	} else if (key > 0x20 && key < 0x110000 && key != 0x7F) {
		char enc[5] = { 0 };
		utf8_encode((uint32_t)key, enc);
		snprintf(buf, n, "%s", enc);
	} else {
		snprintf(buf, n, "key%d", key);
	}
}

int keys_parse(const char *name)
{
	for (size_t i = 0; i < DC_ARRAY_LEN(named); i++)
		if (strcmp(named[i].name, name) == 0)
			return named[i].key;
	if (name[0] == 'F' && name[1] >= '1' && name[1] <= '9') {
		int f = 0;
		if (sscanf(name + 1, "%d", &f) == 1 && f >= 1 && f <= 12)
			return KEYS_FN(KEY_F(f));
	}
	if (name[0] == 'C' && name[1] == '-' && name[2] >= 'a' && name[2] <= 'z' && !name[3])
		return KEYS_CTRL(name[2]);
	size_t n = strlen(name);
	if (n == 0)
		return -1;
	uint32_t cp;
	size_t len = utf8_decode(name, n, &cp);
	if (len != n || cp <= 0x20 || cp == 0x7F || cp == 0xFFFD)
		return -1;
	return (int)cp;
}

static const char *unavailable[KA_COUNT];

bool keys_action_writes(enum key_action a)
{
	return a >= KA_DRAIN && a <= KA_DRILL_STOP;
}

void keys_set_unavailable(enum key_action a, const char *why)
{
	if (a < KA_COUNT)
		unavailable[a] = why;
}

const char *keys_unavailable(enum key_action a)
{
	return a < KA_COUNT ? unavailable[a] : NULL;
}

#define MAX_OVERRIDES 64
static struct {
	char table[32];
	int key;
	enum key_action action;
} overrides[MAX_OVERRIDES];
static size_t noverrides;

static unsigned when_of(const struct key_table *t, enum key_action a)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->b[i].action == a)
			return t->b[i].when;
	return KM_ANY;
}

static bool overridden(const struct key_table *t, int key, enum key_action *a)
{
	for (size_t i = noverrides; i-- > 0;) {
		if (overrides[i].key == key && strcmp(overrides[i].table, t->name) == 0) {
			*a = overrides[i].action;
			return true;
		}
	}
	return false;
}

enum key_action keys_lookup(const struct key_table *t, int key, unsigned mode)
{
	enum key_action a;
	if (overridden(t, key, &a))
		return (when_of(t, a) & mode) ? a : KA_NONE;
	for (size_t i = 0; i < t->n; i++)
		if (t->b[i].key == key && (t->b[i].when & mode))
			return t->b[i].action;
	return KA_NONE;
}

int keys_override(const char *table, const char *key, const char *action, struct dc_err *err)
{
	int k = keys_parse(key);
	if (k < 0)
		return dc_err_set(err, "keys.%s: unknown key name '%s' (e.g. j, C-f, Enter, PgDn, F5)",
		                  table, key);
	int a = keys_action_parse(action);
	if (a < 0)
		return dc_err_set(err, "keys.%s.%s: unknown action '%s'", table, key, action);
	if (noverrides == MAX_OVERRIDES)
		return dc_err_set(err, "keys.%s.%s: more than %d key overrides", table, key,
		                  MAX_OVERRIDES);
	snprintf(overrides[noverrides].table, sizeof overrides[0].table, "%s", table);
	overrides[noverrides].key = k;
	overrides[noverrides].action = (enum key_action)a;
	noverrides++;
	return 0;
}

void keys_override_clear(void)
{
	noverrides = 0;
}

static size_t add_action(enum key_action *out, size_t n, size_t max, enum key_action a)
{
	if (a == KA_NONE || n == max)
		return n;
	for (size_t i = 0; i < n; i++)
		if (out[i] == a)
			return n;
	out[n] = a;
	return n + 1;
}

size_t keys_actions(const struct key_table *t, enum key_action *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n = add_action(out, n, max, t->b[i].action);
	for (size_t i = 0; i < noverrides; i++)
		if (strcmp(overrides[i].table, t->name) == 0)
			n = add_action(out, n, max, overrides[i].action);
	return n;
}

/* Appends key's name to buf unless it is already listed (Enter twice). */
static void append_key(char *buf, size_t n, int key)
{
	char name[16], padded[20];
	keys_name(key, name, sizeof name);
	snprintf(padded, sizeof padded, ", %s,", name);
	char hay[256];
	snprintf(hay, sizeof hay, ", %s,", buf);
	if (strstr(hay, padded))
		return;
	size_t len = strlen(buf);
	snprintf(buf + len, n - len, "%s%s", len ? ", " : "", name);
}

void keys_for(const struct key_table *t, enum key_action a, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		enum key_action o;
		if (t->b[i].action != a || overridden(t, t->b[i].key, &o))
			continue;
		append_key(buf, n, t->b[i].key);
	}
	for (size_t i = 0; i < noverrides; i++) {
		enum key_action o;
		if (strcmp(overrides[i].table, t->name) != 0 || overrides[i].action != a)
			continue;
		/* only the newest override of a key counts */
		if (overridden(t, overrides[i].key, &o) && o == a)
			append_key(buf, n, overrides[i].key);
	}
}

size_t keys_hints(const struct key_table *t, unsigned mode, struct key_hint *out, size_t max)
{
	size_t n = 0;
	enum key_action seen[KA_COUNT];
	size_t nseen = 0;
	for (size_t i = 0; i < t->n && n < max; i++) {
		const struct key_binding *b = &t->b[i];
		if (!b->footer || !(b->when & mode) || !actions[b->action].label ||
		    unavailable[b->action])
			continue;
		size_t before = nseen;
		nseen = add_action(seen, nseen, KA_COUNT, b->action);
		if (nseen == before)
			continue;
		char keys[64];
		keys_for(t, b->action, keys, sizeof keys);
		if (!keys[0])
			continue;
		char *comma = strchr(keys, ',');
		if (comma)
			*comma = '\0';
		snprintf(out[n].key, sizeof out[n].key, "%.15s", keys);
		out[n].label = actions[b->action].label;
		n++;
	}
	return n;
}
