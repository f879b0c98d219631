/* keys.h — key bindings as const tables, looked up by name and mode.
 *
 * A key press becomes an int: a Unicode code point for characters
 * (control characters included: C-f is 6) or KEYS_FN(curses KEY_*) for
 * function keys, kept apart from Unicode. Tables bind keys to actions; a
 * binding applies in the modes of its `when` mask (the mode a view is in:
 * list, detail, rack map). The app looks a key up in the view's table,
 * then the navigation table, then the global one. Help and the footer are
 * generated from the same tables, so they cannot drift.
 *
 * Overrides (from the config file) are kept beside the const tables and
 * win over them: keys_override("nodes", "x", "map") binds x to the rack
 * map in the Nodes view, "none" unbinds a key.
 *
 * Ownership: tables are static const data; overrides are module state,
 * changed only at startup from the loop's thread. */
#ifndef DCOPS_KEYS_H
#define DCOPS_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define KEYS_FN(k) ((k) + 0x110000)
#define KEYS_CTRL(c) ((c) & 0x1f)
#define KEYS_ESC 27

/* id, config name, help text, footer label */
#define KEY_ACTIONS(X) \
	X(NONE, "none", "", NULL) \
	X(QUIT, "quit", "quit dcops", "quit") \
	X(VIEW_NODES, "view.nodes", "Nodes view: table and rack map", NULL) \
	X(VIEW_QUEUES, "view.queues", "Queues view: partitions and jobs", NULL) \
	X(VIEW_TENANTS, "view.tenants", "Tenants view: quotas and budgets", NULL) \
	X(VIEW_INCIDENTS, "view.incidents", "Incidents view: board and timelines", NULL) \
	X(VIEW_NEXT, "view.next", "next view", "view") \
	X(VIEW_PREV, "view.prev", "previous view", NULL) \
	X(HELP, "help", "this help", "help") \
	X(COMMAND, "command", "command line (:nodes, :jobs P, :tenant N, :theme T, :q)", "cmd") \
	X(FILTER, "filter", "filter rows as you type (!text hides matches)", "filter") \
	X(REDRAW, "redraw", "redraw the whole screen", NULL) \
	X(UP, "up", "move up", NULL) \
	X(DOWN, "down", "move down", NULL) \
	X(PAGE_UP, "page.up", "page up", NULL) \
	X(PAGE_DOWN, "page.down", "page down", NULL) \
	X(TOP, "top", "first row", NULL) \
	X(BOTTOM, "bottom", "last row", NULL) \
	X(LEFT, "left", "move left in the rack map", NULL) \
	X(RIGHT, "right", "move right in the rack map", NULL) \
	X(ENTER, "enter", "open the detail of the row", "detail") \
	X(BACK, "back", "back to the list", "back") \
	X(SORT_NEXT, "sort.next", "sort by the next column", "sort") \
	X(SORT_PREV, "sort.prev", "sort by the previous column", NULL) \
	X(SORT_REVERSE, "sort.reverse", "reverse the sort order", "reverse") \
	X(MARK, "mark", "mark or unmark the row (multi-select)", "mark") \
	X(MAP, "map", "switch between the node table and the rack map", "map") \
	X(GROUP, "group", "group nodes by partition, by rack, or not", "group") \
	X(RESOLVED, "resolved", "show or hide resolved incidents", "resolved") \
	X(VIEW_AUDIT, "view.audit", "Audit view: who did what, why, before and after", NULL) \
	X(VIEW_SITES, "view.sites", "Sites view (with --sites): every site, what needs attention first", NULL) \
	X(WRITE, "write", "arm write mode for a while (production profiles start read-only)", "write") \
	X(DRAIN, "drain", "drain the node, the marked nodes or the rack: reason, blast radius, confirm", "drain") \
	X(RESUME, "resume", "resume drained nodes (reason, confirm)", "resume") \
	X(QUOTA, "quota", "adjust the tenant's quota: GPUs, GPU-hours, storage, optional expiry", "quota") \
	X(JOB_CANCEL, "job.cancel", "cancel the job: it ends now and frees its GPUs (reason, confirm)", "cancel") \
	X(JOB_HOLD, "job.hold", "hold a pending job: it will not start until released (reason, confirm)", "hold") \
	X(JOB_RELEASE, "job.release", "release a held job: it may start again (reason, confirm)", "release") \
	X(INC_OPEN, "incident.open", "open an incident (from a node: linked to it)", "open") \
	X(INC_ACK, "incident.ack", "acknowledge the incident: take ownership", "ack") \
	X(INC_ASSIGN, "incident.assign", "assign the incident to an operator", NULL) \
	X(INC_SEV, "incident.sev", "change the incident's severity", NULL) \
	X(INC_NOTE, "incident.note", "add a note to the timeline", "note") \
	X(INC_LINK, "incident.link", "link nodes or tenants to the incident", NULL) \
	X(INC_RESOLVE, "incident.resolve", "resolve the incident with a summary", "resolve") \
	X(SHIFT, "shift", "start your shift, or end it when you are on shift", "shift") \
	X(HANDOVER_NOTE, "handover.note", "write or rewrite the handover note of your shift", "note") \
	X(SIGN_OFF, "handover.signoff", "sign the handover off as the incoming operator", "sign off") \
	X(DRILL_START, "drill.start", "start the scenario as a drill (briefing, confirm)", "start") \
	X(DRILL_STOP, "drill.stop", "stop the running drill: undecided expectations are missed", "stop") \
	X(VIEW_HANDOVER, "view.handover", "Handover view: the shift, open work and the note", NULL) \
	X(VIEW_DRILLS, "view.drills", "Drills view: scenarios, the running drill, scorecards", NULL) \
	X(DIAG, "diag", "diagnostics on the node over SSH: a menu, output in a pager", "diag")

enum key_action {
#define X(id, name, help, label) KA_##id,
	KEY_ACTIONS(X)
#undef X
	KA_COUNT
};

/* Modes a binding applies in. */
enum { KM_LIST = 1, KM_DETAIL = 2, KM_MAP = 4, KM_ANY = 7 };

struct key_binding {
	int key;
	enum key_action action;
	unsigned when;    /* KM_* mask */
	bool footer;      /* shown in the footer (first key of the action) */
};

struct key_table {
	const char *name;     /* "global", "nav", "nodes", ... (config and help) */
	const char *title;    /* help heading */
	const struct key_binding *b;
	size_t n;
};

extern const struct key_table keys_global, keys_nav;

const char *keys_action_name(enum key_action a);
const char *keys_action_help(enum key_action a);
int keys_action_parse(const char *name);  /* -1 if unknown */

/* Key names: "j", "G", "C-f", "Enter", "Esc", "Tab", "S-Tab", "Space",
 * "Up", "Down", "Left", "Right", "PgUp", "PgDn", "Home", "End", "BSpace",
 * "F1".."F12", or any single character. */
void keys_name(int key, char *buf, size_t n);
int keys_parse(const char *name);         /* -1 if unknown */

/* The action bound to key in table t in mode, or KA_NONE. */
enum key_action keys_lookup(const struct key_table *t, int key, unsigned mode);

/* Binds key to action in the table named `table`; "none" unbinds. */
int keys_override(const char *table, const char *key, const char *action, struct dc_err *err);
void keys_override_clear(void);

/* The distinct actions of t (bindings, then overrides), in table order;
 * returns how many (at most max). */
size_t keys_actions(const struct key_table *t, enum key_action *out, size_t max);
/* The effective keys of action a in t, joined with ", " ("j, Down"). */
void keys_for(const struct key_table *t, enum key_action a, char *buf, size_t n);

/* Operator actions (drain ... drill.stop): they write, so the app
 * checks role and mode before a view sees them. */
bool keys_action_writes(enum key_action a);
/* Marks an action unavailable (why: "read-only: press W", "viewer role")
 * or available again (why NULL). Unavailable actions leave the footer;
 * help lists them with the reason; the app says why when pressed. */
void keys_set_unavailable(enum key_action a, const char *why);
const char *keys_unavailable(enum key_action a);   /* NULL when available */

struct key_hint {
	char key[16];
	const char *label;
};
/* Footer hints of t for mode: one per available action marked footer. */
size_t keys_hints(const struct key_table *t, unsigned mode, struct key_hint *out, size_t max);

#endif
