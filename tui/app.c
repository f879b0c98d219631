/* app.c — the console: owns the screen, the loop, the store and the views.
 *
 * One thread, one poll loop (loop.h). Input, store callbacks, timers and
 * signals only change state and set `dirty`; after each loop turn
 * app_frame draws everything once (wnoutrefresh per window, one doupdate),
 * at most one frame per FRAME_MS sustained (a burst of FRAME_BURST may go
 * at once: see app_frame). An idle console draws nothing: a 1 s tick marks
 * the screen dirty only when the clock, the data age or the coarse row
 * ages would show something different. */
#include "app.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "colors.h"
#include "config.h"
#include "conninfo.h"
#include "dialog.h"
#include "draw.h"
#include "help.h"
#include "keys.h"
#include "loop.h"
#include "model.h"
#include "ops.h"
#include "site.h"
#include "ssh-ui.h"
#include "store.h"
#include "text.h"
#include "view.h"
#include "writer.h"

#define FRAME_MS 33
#define FRAME_BURST 2
#define MIN_COLS 80
#define MIN_ROWS 24
#define HEADER_ROWS 2

static const struct view_ops *const views[] = { &view_nodes, &view_queues, &view_tenants,
	&view_incidents, &view_audit, &view_handover, &view_drill, &view_sites };
#define VIEW_AUDIT 4
#define VIEW_HANDOVER 5
#define VIEW_DRILLS 6
#define VIEW_SITES 7   /* key 0, its tab first; only with several sites */
#define NVIEWS ((int)DC_ARRAY_LEN(views))
/* The tabs' titles under 100 columns: shorter, never dropped. */
static const char *const short_titles[] = { "Node", "Que", "Ten", "Inc", "Aud", "Hand", "Drill",
	"Site" };
_Static_assert(DC_ARRAY_LEN(short_titles) == DC_ARRAY_LEN(views), "a short title per view");

enum input { IN_KEYS, IN_COMMAND, IN_FILTER };

struct app {
	const struct dc_opts *o;
	uint64_t frames;         /* drawn frames, and the CPU they took: DCOPS_STATS */
	int64_t draw_cpu_us;
	struct loop *loop;
	/* The sites held, and the current one (site.h: its mode, links and
	 * write path); m, store, writer, ops and ssh are the current site's. */
	struct site_set sites;
	struct site *s;
	int sev12;               /* open SEV-1/2 over all sites, as the header last showed */
	struct dc_model *m;
	struct store *store;
	struct writer *writer;
	struct ops *ops;
	struct dialog_host *dialogs;
	struct ssh_ui *ssh;      /* NULL without --ssh or a profile's ssh */
	void *view[DC_ARRAY_LEN(views)];
	unsigned pending[DC_ARRAY_LEN(views)];  /* change masks not yet given to a view */
	int cur;
	/* Jumps from a detail to a related row (an incident's node): where
	 * each came from, so Esc in the arrival's detail goes back. Any other
	 * switch of view forgets them. */
	struct { int from, to; } nav[8];
	int nnav;
	WINDOW *in, *hdr, *body, *foot;
	bool too_small, dirty, quit;
	bool help;
	bool help_db;            /* the text screen is :db's, rebuilt every frame */
	int help_top;
	char *help_text;
	enum input input;
	struct line line;
	char msg[512];
	bool msg_err;
	int64_t frame_tat;       /* app_frame's schedule: the next frame's theoretical time */
	uint64_t frame_timer;
	char tick_sig[512];      /* what the last frame showed of clock and ages */
	int idle_errs;           /* stdin readable but no key: the terminal is gone */
};

static struct view_ctx ctx_of(const struct app *a)
{
	return (struct view_ctx){ .m = a->m, .now = (int64_t)dc_wall() };
}

static void restore_terminal(void)
{
	if (!isendwin())
		endwin();
}

static void set_msg(struct app *a, bool err, const char *fmt, ...) DC_PRINTF(3, 4);
static void set_msg(struct app *a, bool err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	a->msg_err = err;
	a->dirty = true;
}

/* ---- layout ---- */

static void del_windows(struct app *a)
{
	WINDOW **w[] = { &a->hdr, &a->body, &a->foot };
	for (size_t i = 0; i < DC_ARRAY_LEN(w); i++) {
		if (*w[i])
			delwin(*w[i]);
		*w[i] = NULL;
	}
}

static void layout(struct app *a)
{
	del_windows(a);
	a->too_small = COLS < MIN_COLS || LINES < MIN_ROWS;
	if (a->too_small) {
		a->body = newwin(LINES, COLS, 0, 0);
	} else {
		a->hdr = newwin(HEADER_ROWS, COLS, 0, 0);
		a->body = newwin(LINES - HEADER_ROWS - 1, COLS, HEADER_ROWS, 0);
		a->foot = newwin(1, COLS, LINES - 1, 0);
		for (int i = 0; i < NVIEWS; i++)
			if (views[i]->resize)
				views[i]->resize(a->view[i], LINES - HEADER_ROWS - 1, COLS);
	}
	clearok(curscr, TRUE);
	a->dirty = true;
}

static void on_resize(struct app *a)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	layout(a);
}

/* ---- drawing ---- */

static void fmt_clock(int64_t now, int offset, const char *zone, char *buf, size_t n)
{
	time_t t = (time_t)(now + offset);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, n, "%02d:%02d %s", tm.tm_hour, tm.tm_min, zone);
}

/* The data age shown in the header, and whether it is stale. */
/* The telemetry reader's source (060: telemetry.* settings): down, or
 * silent for 3 of its intervals. The scheduler's data is not stale then,
 * only the GPUs' metrics. */
static bool telemetry_stale(const struct dc_model *m, int64_t now)
{
	const char *state = model_setting(m, "telemetry.state");
	if (!state)
		return false;
	if (strcmp(state, "up") != 0)
		return true;
	const char *hb = model_setting(m, "telemetry.heartbeat");
	const char *iv = model_setting(m, "telemetry.interval_s");
	return hb && iv && now - atoll(hb) > 3 * atoll(iv) + 5;
}

/* A first load is drawing its tables as they come (and has not failed
 * part-way: then the link says DOWN). */
static bool first_loading(const struct app *a, const struct store_status *st)
{
	return model_loading(a->m) && st->link != STORE_DOWN;
}

static void data_age(const struct app *a, int64_t now, char *buf, size_t n, bool *stale)
{
	const struct store_status *st = store_status(a->store);
	int64_t t = site_data_at(a->m, st, now);
	const char *adapter = site_adapter_trouble(a->m, now);
	/* a first load's tables are as fresh as its snapshot, not stale */
	*stale = ((st->link != STORE_UP && !first_loading(a, st)) || adapter) && t;
	char what[64] = "";
	if (adapter)
		snprintf(what, sizeof what, "ADAPTER %s  ", adapter);
	if (telemetry_stale(a->m, now))
		snprintf(what + strlen(what), sizeof what - strlen(what), "TELEMETRY STALE  ");
	/* accounting alone: nodes and jobs are current, quotas and usage are
	 * not (with the adapter down, all of it is stale and says so) */
	if (!adapter && site_quotas_stale(a->m, NULL))
		snprintf(what + strlen(what), sizeof what - strlen(what), "QUOTAS STALE  ");
	if (!t) {
		snprintf(buf, n, "%sno data", what);
		return;
	}
	char age[16];
	/* while stale, count the seconds: how long the data has been frozen is
	 * what the operator is watching (the tick signature includes this text) */
	if (*stale)
		fmt_dur(now - t, age, sizeof age);
	else
		fmt_age(now - t, age, sizeof age);
	snprintf(buf, n, "%s%s %s", what, *stale ? "STALE" : "data", age);
}

/* Why operator actions are off now, or NULL when they are on. */
static const char *write_why(const struct app *a)
{
	const struct store_status *st = store_status(a->store);
	if (a->s->readonly)
		return "read-only session (--readonly or a read-only profile)";
	if (!st->role[0])
		return "not connected to the database yet";
	if (strcmp(st->role, "viewer") == 0)
		return "viewer role: actions need dcops_operator";
	if (st->session_standby && a->s->writes_here)
		return "a hot standby takes no writes: name the primary with --write-db or the profile's write_db";
	if (a->s->production && !a->s->write_until)
		return "production starts read-only: press W to arm write mode";
	if (!ssh_ui_writable(a->ssh))
		return "the SSH link is down: writes wait until it is UP";
	return NULL;
}

/* :db: where this console's data comes from and where its writes go, as
 * the help screen's "\tWHAT\tVALUE" lines; live (rebuilt every frame). */
static void db_screen(const struct app *a, int64_t now, struct sb *out)
{
	const struct store_status *st = store_status(a->store);
	static const char *links[] = { [STORE_CONNECTING] = "CONNECTING", [STORE_UP] = "UP",
		[STORE_DOWN] = "DOWN" };
	char t1[48], t2[48];
	sb_appendf(out, "Database link%s%s (Esc closes)\n", a->s->name[0] ? " of " : "", a->s->name);
	if (st->via_relay)
		sb_appendf(out, "\tdata from\tdcops relay on %s, which reads %s\n", a->s->opts.relay,
		           st->server[0] ? st->server : "(not connected yet)");
	else
		sb_appendf(out, "\tdata from\t%s%s\n", st->server[0] ? st->server : "(not connected yet)",
		           a->s->opts.relay ? "" : ", this console's own session");
	if (a->ssh) {
		char route[256];
		ssh_ui_route(a->ssh, route, sizeof route);
		sb_appendf(out, "\tthrough\t%s (the server above is the tunnel's local end)\n", route);
	}
	if (a->s->opts.relay && !st->via_relay)
		sb_appendf(out, "\trelay\t%s\n", st->relay_error[0] ? st->relay_error : "waiting for its answer");
	if (st->relay_fallbacks)
		sb_appendf(out, "\trelay lost\t%llu times, read directly until it answered again\n",
		           (unsigned long long)st->relay_fallbacks);
	/* while the link is down, what it was: the next server may differ */
	bool up = st->link == STORE_UP;
	sb_appendf(out, "\t%s\t%s", up ? "server is" : "server was", !st->role[0] && !st->via_relay ? "not known yet" :
	           st->standby ? "a hot standby" : "the primary");
	if (st->standby)
		sb_appendf(out, ", replay lag %.0f s", st->replay_lag_s);
	sb_append(out, "\n");
	if (st->last_ok_wall) {
		fmt_time(st->last_ok_wall, t1, sizeof t1);
		fmt_dur(now - st->last_ok_wall, t2, sizeof t2);
		sb_appendf(out, "\tlink\t%s; last data %s ago (%s)\n", links[st->link], t2, t1);
	} else {
		sb_appendf(out, "\tlink\t%s; no data yet\n", links[st->link]);
	}
	if (st->error[0])
		sb_appendf(out, "\tlast error\t%s\n", st->error);
	if (st->connected_wall && !st->via_relay) {
		fmt_time(st->connected_wall, t1, sizeof t1);
		fmt_dur(now - st->connected_wall, t2, sizeof t2);
		sb_appendf(out, "\t%s\t%s (%s ago), %d reconnect%s since start\n", up ? "connected" : "last connected",
		           t1, t2, st->reconnects,
		           st->reconnects == 1 ? "" : "s");
	}
	char *shown = db_conninfo_display(a->s->conninfo);
	sb_appendf(out, "\treads use\t%s%s\n", shown, a->ssh ? " (the SSH tunnel's end)" : "");
	free(shown);
	const char *why = write_why(a);
	if (a->s->readonly) {
		sb_appendf(out, "\twrites\tnone: %s\n", why);
	} else {
		shown = db_conninfo_display(a->s->write_conninfo);
		sb_appendf(out, "\twrites go to\t%s\n", a->s->writes_here ? "the same server as reads" : shown);
		if (a->s->writes_here && strchr(shown, ','))
			sb_append(out, "\t\tits hosts are tried in turn for the read-write one\n");
		free(shown);
		sb_appendf(out, "\twrites now\t%s\n", why ? why : up ? "allowed"
		           : "allowed; the link is down: a write tries the server a few times, then is refused");
	}
	sb_appendf(out, "\tyou\t%s%s%s%s\n", st->user[0] ? st->user : "-", st->role[0] ? " (" : "", st->role,
	           st->role[0] ? ")" : "");
	if (a->ssh) {
		enum theme_el el;
		sb_appendf(out, "\tSSH\t%s\n", ssh_ui_header(a->ssh, &el));
	}
}

/* Hides the action keys the role or mode cannot use (footer, help). */
static void update_rights(struct app *a)
{
	const char *why = write_why(a);
	for (int k = 0; k < KA_COUNT; k++)
		if (keys_action_writes((enum key_action)k))
			keys_set_unavailable((enum key_action)k, why);
	const struct store_status *st = store_status(a->store);
	const char *wwhy = NULL;
	if (a->s->readonly || strcmp(st->role, "viewer") == 0 || !st->role[0] || (st->session_standby && a->s->writes_here))
		wwhy = why;
	else if (!a->s->production)
		wwhy = "writes are on: not a production profile";
	keys_set_unavailable(KA_WRITE, wwhy);
}

/* The newest announced SEV-1/2 at a site not on screen, still unacknowledged. */
static const struct dc_incident *sites_alert(const struct app *a, const struct site **at)
{
	const struct dc_incident *best = NULL;
	for (size_t i = 0; i < a->sites.n; i++) {
		const struct site *s = a->sites.v[i];
		const struct dc_incident *inc = s == a->s ? NULL : site_alert(s);
		if (inc && (!best || inc->opened_at > best->opened_at)) {
			best = inc;
			*at = s;
		}
	}
	return best;
}

static int sites_sev12(const struct app *a)
{
	int n = 0;
	for (size_t i = 0; a->sites.n > 1 && i < a->sites.n; i++)
		n += site_sev12(a->sites.v[i]);
	return n;
}

/* The header's right-hand side, fullest first: where the left cannot
 * keep the link state, the data age and the site's own name, the role
 * goes first, then the UTC clock (the operator's zone stays), then the
 * user; the mode never goes. */
static const struct { bool role, utc, user; } right_forms[] = {
	{ true, true, true }, { false, true, true }, { false, false, true }, { false, false, false },
};

static void header_right(const struct app *a, int form, const char *mode, int64_t now, char *buf, size_t n)
{
	const struct store_status *st = store_status(a->store);
	char kst[16], utc[24] = "";
	fmt_clock(now, 9 * 3600, "KST", kst, sizeof kst);
	if (right_forms[form].utc) {
		utc[0] = ' ';
		fmt_clock(now, 0, "UTC", utc + 1, sizeof utc - 1);
	}
	char who[160] = "";
	if (right_forms[form].role || right_forms[form].user)
		snprintf(who, sizeof who, "%s%s%s  ", right_forms[form].role ? (st->role[0] ? st->role : "-") : "",
		         right_forms[form].role && right_forms[form].user ? " " : "",
		         right_forms[form].user ? (st->user[0] ? st->user : "-") : "");
	snprintf(buf, n, "%s%s  %s%s ", who, mode, kst, utc);
}

static void draw_header(struct app *a, int64_t now)
{
	WINDOW *w = a->hdr;
	const struct store_status *st = store_status(a->store);
	draw_fill(w, 0, 0, COLS, THEME_HEADER);

	char right[256];
	bool ro = write_why(a) != NULL;
	char mode[48];
	if (ro)
		snprintf(mode, sizeof mode, "%s", a->s->drill ? "DRILL/RO" : "READ-ONLY");
	else if (a->s->write_until)
		snprintf(mode, sizeof mode, "%s %lldm", a->s->drill ? "DRILL/WRITE" : "WRITE",
		         (long long)((a->s->write_until - now + 59) / 60));
	else
		snprintf(mode, sizeof mode, "%s", a->s->drill ? "DRILL" : "WRITE");
	enum theme_el mode_el = a->s->drill ? THEME_HEADER_DRILL : ro ? THEME_HEADER : THEME_HEADER_WRITE;

	/* the link state and data age matter more than the site's name: they
	 * get their room first, the name what is left */
	char age[96], status[192];
	bool stale;
	data_age(a, now, age, sizeof age, &stale);
	static const char *links[] = { [STORE_CONNECTING] = "CONNECTING", [STORE_UP] = "UP",
		[STORE_DOWN] = "DOWN" };
	enum theme_el ssh_el;
	const char *ssh = ssh_ui_header(a->ssh, &ssh_el);
	/* data from a standby (read directly, or by the relay) says so, and
	 * how far behind it is; writes follow the console's own session */
	char standby[40] = "";
	if (st->standby)
		snprintf(standby, sizeof standby, " STANDBY lag %llds", (long long)st->replay_lag_s);
	/* several sites: the count of open SEV-1/2 over all of them */
	char sev[32] = "";
	if (a->sites.n > 1)
		snprintf(sev, sizeof sev, "  SEV1/2 %d", a->sev12);
	/* a first load draws its tables as they come: say it is not whole yet */
	const char *link = first_loading(a, st) ? "LOADING" : links[st->link];
	/* the data through `dcops relay` (its link state), or straight from the database */
	const char *via = st->via_relay ? "  RELAY " : "  DB ";
	snprintf(status, sizeof status, "%s%s%s%s  SSH %s  %s ", sev, via, link, standby, ssh, age);
	const char *site = model_setting(a->m, "site.name");
	if (!site && model_count(a->m, DC_T_SITE))
		site = ((const struct dc_site *)model_row(a->m, DC_T_SITE, 0))->name;
	char named[320], clean[256], own[256];
	snprintf(named, sizeof named, "%s%s%s", a->s->name, a->s->name[0] && site ? ": " : "",
	         site ? site : "");
	text_sanitize(named, clean, sizeof clean);
	text_sanitize(a->s->name, own, sizeof own);
	const char *brand = COLS >= 120 ? " dcops " : " ";
	/* several sites: the site's own name, at least, is kept */
	int need = text_width(brand) + text_width(status) + text_width(own);
	int form = 0;
	header_right(a, form, mode, now, right, sizeof right);
	while (form + 1 < (int)DC_ARRAY_LEN(right_forms) && need + text_width(right) > COLS)
		header_right(a, ++form, mode, now, right, sizeof right);
	int rw = text_width(right);
	int room = COLS - rw - text_width(brand) - text_width(status);
	if (text_width(clean) > room && a->s->name[0])
		snprintf(clean, sizeof clean, "%s", own);
	int sitew = text_width(clean) < room ? text_width(clean) : room;

	/* the link state and data age get their room first, the site's name
	 * what is left; the link error goes to the footer */
	struct dline d;
	dline_start(&d, w, 0, 0);
	d.end = COLS - rw;
	dline_put(&d, THEME_TITLE, brand);
	if (sitew > 0)
		d.x = draw_text(w, 0, d.x, sitew, THEME_HEADER, clean);
	if (sev[0]) {
		dline_put(&d, THEME_HEADER, "  SEV1/2 ");
		dline_putf(&d, a->sev12 ? THEME_SEV1 : THEME_HEADER, "%d", a->sev12);
	}
	dline_put(&d, THEME_HEADER, via);
	dline_put(&d, st->link == STORE_UP ? THEME_LINK_UP : THEME_LINK_DOWN, link);
	dline_put(&d, THEME_HEADER, standby);
	dline_put(&d, THEME_HEADER, "  SSH ");
	dline_put(&d, ssh_el, ssh);
	dline_put(&d, THEME_HEADER, "  ");
	dline_put(&d, stale ? THEME_HEADER_STALE : THEME_HEADER, age);

	dline_start(&d, w, 0, COLS - rw);
	int ml = text_width(right) - text_width(strstr(right, mode));
	dline_putf(&d, THEME_HEADER, "%.*s", ml, right);
	dline_put(&d, mode_el, mode);
	dline_put(&d, THEME_HEADER, strstr(right, mode) + strlen(mode));

	/* second line: the views, then where the operator is */
	draw_fill(w, 1, 0, COLS, THEME_HEADER);
	dline_start(&d, w, 1, 0);
	/* narrow: tighter tabs, so the crumbs keep their room */
	bool narrow = COLS < 120;
	/* the Sites tab (key 0) comes first, and only with several sites */
	for (int k = a->sites.n > 1 ? -1 : 0; k < NVIEWS - 1; k++) {
		int i = k < 0 ? VIEW_SITES : k;
		if (!narrow)
			dline_put(&d, THEME_HEADER, " ");
		/* under 100 columns the other tabs are abbreviated */
		const char *title = COLS < 100 && i != a->cur ? short_titles[i] : views[i]->title;
		dline_putf(&d, i == a->cur ? THEME_SELECTION : THEME_HEADER, narrow ? " %d %s" : " %d %s ",
		           (i + 1) % (VIEW_SITES + 1), title);
	}
	char crumbs[256];
	struct view_ctx c = { a->m, now };
	/* several sites: the crumbs start with the current one, which the
	 * first line may have no room for on 80 columns */
	int at = a->sites.n > 1 && a->cur != VIEW_SITES
	         ? snprintf(crumbs, sizeof crumbs, "@%s › ", a->s->name) : 0;
	views[a->cur]->crumbs(a->view[a->cur], &c, crumbs + at, sizeof crumbs - (size_t)at);
	const char *filter = views[a->cur]->filter(a->view[a->cur]);
	char filt[300] = "";
	if (filter && filter[0])
		snprintf(filt, sizeof filt, "/%s  ", filter);
	int cw = text_width(crumbs) + text_width(filt) + 1;
	if (cw > COLS - d.x - 2)
		cw = COLS - d.x - 2;
	dline_start(&d, w, 1, COLS - cw);
	dline_put(&d, THEME_FILTER, filt);
	dline_put(&d, THEME_HEADER, crumbs);
}

static unsigned view_mode(const struct app *a)
{
	return views[a->cur]->mode(a->view[a->cur]);
}

/* Draws a key table's footer hints on d (NULL: only measures); returns
 * their width in columns. */
static int footer_hints(struct dline *d, const struct key_table *t, unsigned mode)
{
	if (!t)
		return 0;
	struct key_hint h[16];
	size_t n = keys_hints(t, mode, h, DC_ARRAY_LEN(h));
	int width = 0;
	for (size_t i = 0; i < n; i++) {
		width += 1 + text_width(h[i].key) + 2 + text_width(h[i].label);
		if (!d)
			continue;
		dline_put(d, THEME_FOOTER, " ");
		dline_put(d, THEME_FOOTER_KEY, h[i].key);
		dline_putf(d, THEME_FOOTER, " %s ", h[i].label);
	}
	return width;
}

static void draw_footer(struct app *a)
{
	WINDOW *w = a->foot;
	draw_fill(w, 0, 0, COLS, THEME_FOOTER);
	struct dline d;
	dline_start(&d, w, 0, 0);
	if (a->input != IN_KEYS) {
		bool cmd = a->input == IN_COMMAND;
		dline_put(&d, cmd ? THEME_CMDLINE : THEME_FILTER, cmd ? ":" : "/");
		dline_put(&d, cmd ? THEME_CMDLINE : THEME_FILTER, a->line.buf);
		int cx = d.x;
		if (a->msg[0]) {
			dline_put(&d, THEME_FOOTER, "   ");
			dline_put(&d, a->msg_err ? THEME_ERROR : THEME_DIM, a->msg);
		} else if (!cmd) {
			dline_put(&d, THEME_DIM, "   Enter keep  Esc clear  !text hides matches");
		}
		wmove(w, 0, cx < COLS ? cx : COLS - 1);
		return;
	}
	if (a->msg[0]) {
		dline_put(&d, a->msg_err ? THEME_ERROR : THEME_FOOTER, " ");
		dline_put(&d, a->msg_err ? THEME_ERROR : THEME_FOOTER, a->msg);
		return;
	}
	const struct store_status *st = store_status(a->store);
	const char *ssh_problem = ssh_ui_problem(a->ssh);
	const struct site *at = NULL;
	const struct dc_incident *alert = sites_alert(a, &at);
	if (alert) {
		dline_putf(&d, THEME_ERROR, " SEV-%d at %s: #%lld %s (0 Sites, :site %s) ", alert->sev,
		           at->name, (long long)alert->id, alert->title, at->name);
	} else if (ssh_problem) {
		dline_put(&d, THEME_ERROR, " ");
		dline_put(&d, THEME_ERROR, ssh_problem);
		dline_put(&d, THEME_FOOTER, " ");
	} else if (st->link != STORE_UP && st->error[0]) {
		dline_put(&d, THEME_ERROR, " database: ");
		dline_put(&d, THEME_ERROR, st->error);
		dline_put(&d, THEME_FOOTER, " ");
	} else if (site_adapter_trouble(a->m, (int64_t)dc_wall())) {
		const char *name = model_setting(a->m, "adapter.name");
		const char *why = model_setting(a->m, "adapter.error");
		dline_putf(&d, THEME_ERROR, " adapter %s: %s", name ? name : "?",
		           why && *why ? why : "no report for 3 intervals");
		dline_put(&d, THEME_FOOTER, " ");
	}
	if (a->help) {
		dline_put(&d, THEME_FOOTER, " ");
		dline_put(&d, THEME_FOOTER_KEY, "j/k PgUp/PgDn");
		dline_put(&d, THEME_FOOTER, " scroll  ");
		dline_put(&d, THEME_FOOTER_KEY, "Esc");
		dline_put(&d, THEME_FOOTER, a->help_db ? " close" : " close help");
		return;
	}
	/* The global keys (: ? q) keep their place at the right edge, so help
	 * stays discoverable however many keys the view has; the view's own
	 * hints fill what is left and are the ones cut on a narrow terminal.
	 * A problem line (SSH, database) comes first and is never cut for hints:
	 * then only the global keys follow, where they still fit. */
	unsigned mode = view_mode(a);
	int global_w = footer_hints(NULL, &keys_global, mode);
	bool problem = d.x > 0;
	if (problem && d.x + global_w > COLS)
		return;
	if (!problem) {
		if (global_w < COLS)
			d.end = COLS - global_w;
		footer_hints(&d, views[a->cur]->keys, mode);
		footer_hints(&d, &keys_nav, mode);
	}
	dline_start(&d, w, 0, global_w < COLS ? COLS - global_w : d.x);
	footer_hints(&d, &keys_global, mode);
}

static void draw_too_small(struct app *a)
{
	WINDOW *w = a->body;
	draw_clear(w);
	char line[128];
	snprintf(line, sizeof line, "terminal too small (need %dx%d, have %dx%d)", MIN_COLS, MIN_ROWS,
	         COLS, LINES);
	int y = LINES / 2 - 1, x = (COLS - text_width(line)) / 2;
	draw_text(w, y > 0 ? y : 0, x > 0 ? x : 0, COLS - (x > 0 ? x : 0), THEME_ERROR, line);
	if (y + 1 < LINES)
		draw_text(w, y + 1, 0, COLS, THEME_DIM, "  resize the window, or press q to quit");
	wnoutrefresh(w);
}

static void app_draw(struct app *a)
{
	struct view_ctx c = ctx_of(a);
	if (a->pending[a->cur]) {
		views[a->cur]->on_change(a->view[a->cur], a->pending[a->cur], &c);
		a->pending[a->cur] = 0;
	}
	if (a->too_small) {
		curs_set(0);
		draw_too_small(a);
		doupdate();
		return;
	}
	draw_header(a, c.now);
	if (a->help) {
		if (a->help_db) {
			struct sb sb = { 0 };
			db_screen(a, c.now, &sb);
			free(a->help_text);
			a->help_text = sb_take(&sb);
		}
		int lines = help_draw(a->body, a->help_text, a->help_top);
		int max = lines - getmaxy(a->body);
		if (a->help_top > (max > 0 ? max : 0)) {
			a->help_top = max > 0 ? max : 0;
			help_draw(a->body, a->help_text, a->help_top);
		}
	} else if (ssh_ui_pager_open(a->ssh)) {
		ssh_ui_draw(a->ssh, a->body);
	} else {
		views[a->cur]->draw(a->view[a->cur], a->body, &c);
	}
	draw_footer(a);
	wnoutrefresh(a->hdr);
	wnoutrefresh(a->body);
	wnoutrefresh(a->foot);  /* its cursor is the one shown, unless a dialog's */
	bool cursor = dialog_host_draw(a->dialogs, LINES, COLS);
	curs_set(cursor || a->input != IN_KEYS ? 1 : 0);
	doupdate();
}

/* What a frame would show of time: if it is unchanged, the tick draws nothing. */
static void tick_signature(const struct app *a, char *buf, size_t n)
{
	int64_t now = (int64_t)dc_wall();
	char age[96];
	bool stale;
	data_age(a, now, age, sizeof age, &stale);
	/* the clock and row ages move in whole minutes (fmt_age) */
	struct view_ctx c = { a->m, now };
	/* :db counts the link's ages in seconds */
	int o = snprintf(buf, n, "%lld %s %lld %llx", (long long)(a->help && a->help_db ? now : now / 60), age,
	                 (long long)(a->s->write_until ? (a->s->write_until - now + 59) / 60 : -1),
	                 views[a->cur]->timed ? (unsigned long long)views[a->cur]->timed(a->view[a->cur], &c) : 0ull);
	/* the Sites view shows every site's data age (seconds while frozen) */
	for (size_t i = 0; a->cur == VIEW_SITES && i < a->sites.n && o > 0 && (size_t)o < n; i++) {
		struct site_summary sum;
		site_summarize(a->sites.v[i], now, &sum);
		int64_t d = sum.data_at ? now - sum.data_at : -1;
		o += snprintf(buf + o, n - (size_t)o, " %lld", (long long)(sum.down || sum.adapter ? d : d / 60));
	}
}

static void frame_due(struct loop *l, void *ud)
{
	(void)l;
	struct app *a = ud;
	a->frame_timer = 0;
}

static void app_frame(struct app *a)
{
	if (!a->dirty || a->quit)
		return;
	/* Paced as a virtual schedule (GCRA): each frame moves frame_tat one
	 * FRAME_MS on from the later of now and frame_tat, and a frame may
	 * draw while frame_tat is less than FRAME_BURST frames ahead. A
	 * stream of changes draws 30 frames/s; a change that comes just after
	 * a lone frame (a tick's redraw, then the change that matters) draws
	 * at once instead of waiting out the rest of 33 ms. */
	int64_t now = dc_mono_ms(), wait = a->frame_tat - (FRAME_BURST - 1) * FRAME_MS - now;
	if (wait > 0) {
		if (!a->frame_timer)
			a->frame_timer = loop_timer_add(a->loop, wait, frame_due, a);
		return;
	}
	a->dirty = false;
	a->frame_tat = (a->frame_tat > now ? a->frame_tat : now) + FRAME_MS;
	tick_signature(a, a->tick_sig, sizeof a->tick_sig);
	int64_t cpu = dc_cpu_us();
	app_draw(a);
	a->draw_cpu_us += dc_cpu_us() - cpu;
	a->frames++;
}

/* DCOPS_STATS=FILE: what `make bench` and the tests need from inside the
 * console (frames drawn and the CPU time spent drawing them, the store's
 * reads), each second and on exit; replaced whole, never half written. */
static void stats_write(const struct app *a)
{
	const char *path = getenv("DCOPS_STATS");
	if (!path || !*path)
		return;
	const struct store_status *st = store_status(a->store);
	char *text = xasprintf("frames %llu\ndraw_cpu_us %lld\nreads %llu\nrows_read %llu\n"
	        "delta_rows_max %llu\ndelta_ms_max %lld\ndelta_reads %llu\nwatches %llu\n"
	        "reconnects %d\n", (unsigned long long)a->frames,
	        (long long)a->draw_cpu_us, (unsigned long long)st->reads,
	        (unsigned long long)st->rows_read, (unsigned long long)st->delta_rows_max,
	        (long long)st->delta_ms_max, (unsigned long long)st->delta_reads,
	        (unsigned long long)st->watches, st->reconnects);
	struct dc_err err;
	(void)dc_file_replace(path, text, strlen(text), 0644, (uid_t)-1, (gid_t)-1, &err);
	free(text);
}

static void tick(struct loop *l, void *ud)
{
	struct app *a = ud;
	for (size_t i = 0; i < a->sites.n; i++) {
		struct site *s = a->sites.v[i];
		if (!s->write_until || dc_wall() < (double)s->write_until)
			continue;
		s->write_until = 0;
		update_rights(a);
		set_msg(a, false, "%s%swrite mode disarmed: the %d min window is over (W arms it again)",
		        s->name, s->name[0] ? ": " : "", s->write_minutes);
	}
	stats_write(a);
	char sig[sizeof a->tick_sig];
	tick_signature(a, sig, sizeof sig);
	if (strcmp(sig, a->tick_sig) != 0)
		a->dirty = true;
	loop_timer_add(l, 1000, tick, a);
}

/* ---- views and commands ---- */

static void view_switch(struct app *a, int i)
{
	a->cur = (i + NVIEWS) % NVIEWS;
	a->help = false;
	a->dirty = true;
	if (a->pending[a->cur]) {
		struct view_ctx c = ctx_of(a);
		views[a->cur]->on_change(a->view[a->cur], a->pending[a->cur], &c);
		a->pending[a->cur] = 0;
	}
}

static void show_view(struct app *a, int i)
{
	a->nnav = 0;
	view_switch(a, i);
}

/* Tab and Shift-Tab: the Sites view is in the round only with several sites. */
static void show_next(struct app *a, int dir)
{
	int i = (a->cur + dir + NVIEWS) % NVIEWS;
	if (i == VIEW_SITES && a->sites.n < 2)
		i = (i + dir + NVIEWS) % NVIEWS;
	show_view(a, i);
}

static void show_sites(struct app *a)
{
	if (a->sites.n < 2) {
		set_msg(a, true, "one site: --sites NAME,NAME (or \"sites\" in the config) opens several");
		return;
	}
	show_view(a, VIEW_SITES);
}

/* Makes site i current: every view shows it from now on, built afresh on
 * its model (a view keeps row ids, which are per site). */
static void site_use(struct app *a, size_t i)
{
	struct site *s = a->sites.v[i];
	site_alert_seen(s);
	if (s == a->s)
		return;
	a->sites.cur = i;
	a->s = s;
	a->m = s->m;
	a->store = s->store;
	a->writer = s->writer;
	a->ops = s->ops;
	a->ssh = s->ssh;
	struct view_ctx c = ctx_of(a);
	for (int k = 0; k < NVIEWS; k++) {
		if (k == VIEW_SITES)
			continue;
		views[k]->free(a->view[k]);
		a->view[k] = views[k]->init(&c);
		a->pending[k] = ~0u;
		if (views[k]->resize && !a->too_small)
			views[k]->resize(a->view[k], LINES - HEADER_ROWS - 1, COLS);
	}
	a->nnav = 0;
	update_rights(a);
	a->dirty = true;
}

/* :site NAME — the exact name, else the one it starts. */
static void site_open_named(struct app *a, const char *name)
{
	size_t hit = a->sites.n, hits = 0;
	for (size_t i = 0; i < a->sites.n; i++) {
		if (strcmp(a->sites.v[i]->name, name) == 0) {
			hit = i;
			hits = 1;
			break;
		}
		if (strncmp(a->sites.v[i]->name, name, strlen(name)) == 0) {
			hit = i;
			hits++;
		}
	}
	if (a->sites.n < 2)
		set_msg(a, true, ":site: one site in this console (--sites NAME,NAME opens several)");
	else if (hits != 1)
		set_msg(a, true, ":site: %s '%s' (Tab completes)", hits ? "more than one site starts with" : "no site named", name);
	else
		site_use(a, hit);
}

/* Enter on a related row: the view says where, the arrival opens it. */
static void view_jump(struct app *a)
{
	struct view_ctx c = ctx_of(a);
	struct view_jump j = { 0 };
	struct dc_err err;
	const struct view_ops *v = views[a->cur];
	if (!v->jump || v->jump(a->view[a->cur], &c, &j, &err) == -1) {
		set_msg(a, true, "%s", v->jump ? err.msg : "nothing to go to");
		return;
	}
	int to = 0;
	while (to < NVIEWS && views[to] != j.to)
		to++;
	if (to == NVIEWS || !views[to]->show) {
		set_msg(a, true, "the %s view cannot be jumped to", j.to ? j.to->name : "?");
		return;
	}
	int from = a->cur;
	view_switch(a, to);
	c = ctx_of(a);
	if (views[to]->show(a->view[to], j.id, &c, &err) == -1) {
		view_switch(a, from);
		set_msg(a, true, "%s", err.msg);
		return;
	}
	if (a->nnav == (int)DC_ARRAY_LEN(a->nav)) {
		memmove(a->nav, a->nav + 1, sizeof a->nav - sizeof a->nav[0]);
		a->nnav--;
	}
	a->nav[a->nnav].from = from;
	a->nav[a->nnav++].to = to;
}

/* Esc that closed a jump's arrival: back where the jump came from. */
static void view_back(struct app *a)
{
	if (a->nnav == 0 || a->nav[a->nnav - 1].to != a->cur)
		return;
	view_switch(a, a->nav[--a->nnav].from);
}

static void open_help(struct app *a)
{
	const struct key_table *tables[2 + DC_ARRAY_LEN(views)];
	size_t n = 0;
	/* the keys of the view the operator is in come first */
	if (views[a->cur]->keys)
		tables[n++] = views[a->cur]->keys;
	tables[n++] = &keys_global;
	tables[n++] = &keys_nav;
	for (int i = 0; i < NVIEWS; i++)
		if (views[i]->keys && i != a->cur)
			tables[n++] = views[i]->keys;
	struct sb sb = { 0 };
	help_build(tables, n, &sb);
	free(a->help_text);
	a->help_text = sb_take(&sb);
	a->help = true;
	a->help_db = false;
	a->help_top = 0;
	a->dirty = true;
}

static void open_db(struct app *a)
{
	a->help = true;
	a->help_db = true;
	a->help_top = 0;
	a->dirty = true;
}

static void open_in(struct app *a, int view, const char *arg)
{
	show_view(a, view);
	if (!views[view]->open)
		return;
	struct view_ctx c = ctx_of(a);
	struct dc_err err;
	if (views[view]->open(a->view[view], arg, &c, &err) == -1)
		set_msg(a, true, "%s", err.msg);
}

static void diag_menu(struct app *a, const char *node)
{
	struct dc_err err;
	if (ssh_ui_diag_menu(a->ssh, node, store_status(a->store)->role, &err) == -1)
		set_msg(a, true, "diag: %s", err.msg);
}

/* d in a node's detail: the node comes from the view's target. */
static void diag_key(struct app *a)
{
	const struct view_ops *v = views[a->cur];
	struct view_ctx c = ctx_of(a);
	struct view_target t = { 0 };
	struct dc_err err;
	if (!v->target || v->target(a->view[a->cur], KA_DIAG, &c, &t, &err) == -1 || t.n_nodes != 1) {
		set_msg(a, true, "diag: open one node's detail first");
	} else {
		const struct dc_node *nd = model_node(a->m, t.nodes[0]);
		if (nd)
			diag_menu(a, nd->name);
	}
	free(t.nodes);
}

static void run_command(struct app *a, const char *line)
{
	struct cmd_parsed p;
	struct dc_err err;
	if (cmdline_parse(line, &p, &err) == -1) {
		set_msg(a, true, "%s", err.msg);
		return;
	}
	switch (p.verb) {
	case CMD_NODES: show_view(a, 0); break;
	case CMD_JOBS: open_in(a, 1, p.arg); break;
	case CMD_QUEUES: open_in(a, 1, ""); break;
	case CMD_TENANTS: show_view(a, 2); break;
	case CMD_TENANT: open_in(a, 2, p.arg); break;
	case CMD_INCIDENTS: show_view(a, 3); break;
	case CMD_AUDIT: open_in(a, VIEW_AUDIT, p.arg); break;
	case CMD_HANDOVER: show_view(a, VIEW_HANDOVER); break;
	case CMD_DRILL: open_in(a, VIEW_DRILLS, p.arg); break;
	case CMD_HELP: open_help(a); break;
	case CMD_QUIT: a->quit = true; break;
	case CMD_DIAG: diag_menu(a, p.arg); break;
	case CMD_SITES: show_sites(a); break;
	case CMD_SITE: site_open_named(a, p.arg); break;
	case CMD_DB: open_db(a); break;
	case CMD_THEME:
		if (colors_use(p.arg, &err) == -1)
			set_msg(a, true, "%s", err.msg);
		else
			set_msg(a, false, "theme %s", colors_theme_name());
		clearok(curscr, TRUE);
		break;
	}
}

static void list_names(void *ud, enum cmd_arg kind, void (*add)(void *acc, const char *name),
                       void *acc)
{
	struct app *a = ud;
	if (kind == ARG_THEME) {
		colors_theme_names(add, acc);
		return;
	}
	if (kind == ARG_SITE) {
		for (size_t i = 0; i < a->sites.n; i++)
			add(acc, a->sites.v[i]->name);
		return;
	}
	if (kind == ARG_NODE) {
		size_t n = model_count(a->m, DC_T_NODE);
		for (size_t i = 0; i < n; i++)
			add(acc, ((const struct dc_node *)model_row(a->m, DC_T_NODE, i))->name);
		return;
	}
	enum dc_table t = kind == ARG_PARTITION ? DC_T_PARTITION : DC_T_TENANT;
	size_t n = model_count(a->m, t);
	for (size_t i = 0; i < n; i++) {
		const void *row = model_row(a->m, t, i);
		add(acc, t == DC_T_PARTITION ? ((const struct dc_partition *)row)->name
		                             : ((const struct dc_tenant *)row)->name);
	}
}

/* ---- input ---- */

static bool is_backspace(int key)
{
	return key == KEYS_FN(KEY_BACKSPACE) || key == 0x7F || key == KEYS_CTRL('h');
}

static void apply_filter(struct app *a, const char *pattern)
{
	struct view_ctx c = ctx_of(a);
	views[a->cur]->set_filter(a->view[a->cur], pattern, &c);
}

/* Keys while the `:` or `/` line is open. */
static void line_key(struct app *a, int key)
{
	bool filter = a->input == IN_FILTER;
	a->msg[0] = '\0';
	a->dirty = true;
	if (key == '\n' || key == '\r' || key == KEYS_FN(KEY_ENTER)) {
		a->input = IN_KEYS;
		if (!filter)
			run_command(a, a->line.buf);
		return;
	}
	/* Backspace on an empty `:` line closes it, as in vi; an empty filter
	 * line stays open, so digits typed next filter instead of switching views */
	if (key == KEYS_ESC || (is_backspace(key) && a->line.len == 0 && !filter)) {
		a->input = IN_KEYS;
		if (filter)
			apply_filter(a, "");
		return;
	}
	if (key == '\t' && !filter) {
		char hint[512];
		cmdline_complete(&a->line, list_names, a, hint, sizeof hint);
		snprintf(a->msg, sizeof a->msg, "%s", hint);
		a->msg_err = false;
		return;
	}
	if (is_backspace(key))
		line_backspace(&a->line);
	else if (key == KEYS_CTRL('u'))
		line_set(&a->line, "");
	else if (key == KEYS_CTRL('w'))
		line_kill_word(&a->line);
	else if (key < 0 || key >= 0x110000 || !line_insert(&a->line, (uint32_t)key))
		return;
	if (filter)
		apply_filter(a, a->line.buf);
}

static void help_key(struct app *a, enum key_action act)
{
	int page = getmaxy(a->body) - 1;
	switch (act) {
	case KA_UP: a->help_top -= a->help_top > 0; break;
	case KA_DOWN: a->help_top++; break;
	case KA_PAGE_UP: a->help_top = a->help_top > page ? a->help_top - page : 0; break;
	case KA_PAGE_DOWN: a->help_top += page; break;
	case KA_TOP: a->help_top = 0; break;
	case KA_BOTTOM: a->help_top = 1 << 20; break;
	case KA_HELP: case KA_BACK: case KA_QUIT: a->help = false; break;
	default: return;
	}
	a->dirty = true;
}

static void arm_write(struct app *a)
{
	const char *why = keys_unavailable(KA_WRITE);
	if (why) {
		set_msg(a, !a->s->production || a->s->readonly, "W: %s", why);
		return;
	}
	a->s->write_until = (int64_t)dc_wall() + 60LL * a->s->write_minutes;
	update_rights(a);
	set_msg(a, false, "write mode armed for %d min: actions are live", a->s->write_minutes);
}

/* An operator action key: the app checks the rights, the view names the
 * target, ops opens the dialog. */
static void write_action(struct app *a, enum key_action act)
{
	const struct view_ops *v = views[a->cur];
	const char *why = keys_unavailable(act);
	if (why) {
		set_msg(a, true, "%s: %s", keys_action_name(act), why);
		return;
	}
	struct view_ctx c = ctx_of(a);
	struct view_target t = { 0 };
	struct dc_err err;
	if (!v->target) {
		set_msg(a, true, "%s: nothing to act on in the %s view", keys_action_name(act), v->name);
		return;
	}
	if (v->target(a->view[a->cur], act, &c, &t, &err) == -1 ||
	    ops_start(a->ops, act, &t, c.now, &err) == -1)
		set_msg(a, true, "%s: %s", keys_action_name(act), err.msg);
	free(t.nodes);
	a->dirty = true;
}

static enum key_action lookup(const struct app *a, int key, unsigned mode)
{
	const struct key_table *vt = views[a->cur]->keys;
	enum key_action act = vt ? keys_lookup(vt, key, mode) : KA_NONE;
	if (act == KA_NONE)
		act = keys_lookup(&keys_nav, key, mode);
	if (act == KA_NONE)
		act = keys_lookup(&keys_global, key, mode);
	return act;
}

static void on_key(struct app *a, int key)
{
	if (a->input != IN_KEYS) {
		line_key(a, key);
		return;
	}
	if (a->msg[0]) {
		a->msg[0] = '\0';
		a->dirty = true;
	}
	if (a->too_small) {
		if (key == 'q')
			a->quit = true;
		return;
	}
	if (dialog_host_active(a->dialogs)) {
		unsigned r = dialog_host_key(a->dialogs, key);
		if (r & DIALOG_CLOSED) {
			/* the view under the dialog shows again in full */
			touchwin(a->hdr);
			touchwin(a->body);
			touchwin(a->foot);
		}
		if (r & DIALOG_DIRTY)
			a->dirty = true;
		return;
	}
	if (ssh_ui_pager_open(a->ssh)) {
		if (ssh_ui_key(a->ssh, key) & PAGER_DIRTY)
			a->dirty = true;
		return;
	}
	if (a->help) {
		/* help scrolls like a detail pane: Esc is back */
		help_key(a, lookup(a, key, KM_DETAIL));
		return;
	}
	const struct view_ops *v = views[a->cur];
	enum key_action act = lookup(a, key, view_mode(a));
	switch (act) {
	case KA_NONE: return;
	case KA_QUIT: a->quit = true; return;
	case KA_VIEW_NODES: case KA_VIEW_QUEUES: case KA_VIEW_TENANTS: case KA_VIEW_INCIDENTS:
		show_view(a, act - KA_VIEW_NODES);
		return;
	case KA_VIEW_AUDIT: show_view(a, VIEW_AUDIT); return;
	case KA_VIEW_HANDOVER: show_view(a, VIEW_HANDOVER); return;
	case KA_VIEW_DRILLS: show_view(a, VIEW_DRILLS); return;
	case KA_VIEW_SITES: show_sites(a); return;
	case KA_WRITE: arm_write(a); return;
	case KA_VIEW_NEXT: show_next(a, 1); return;
	case KA_VIEW_PREV: show_next(a, -1); return;
	case KA_HELP: open_help(a); return;
	case KA_REDRAW: clearok(curscr, TRUE); a->dirty = true; return;
	case KA_DIAG: diag_key(a); return;
	case KA_COMMAND:
		a->input = IN_COMMAND;
		line_set(&a->line, "");
		a->dirty = true;
		return;
	case KA_FILTER: {
		const char *f = v->filter(a->view[a->cur]);
		if (!f)
			return;
		line_set(&a->line, f);
		a->input = IN_FILTER;
		a->dirty = true;
		return;
	}
	default: break;
	}
	if (keys_action_writes(act)) {
		write_action(a, act);
		return;
	}
	struct view_ctx c = ctx_of(a);
	unsigned r = v->key(a->view[a->cur], act, &c);
	if (r & VIEW_DIRTY)
		a->dirty = true;
	if (r & VIEW_QUIT)
		a->quit = true;
	if (r & VIEW_SITE) {
		site_use(a, view_sites_chosen(a->view[a->cur]));
		show_view(a, 0);
	}
	if (r & VIEW_GOTO)
		view_jump(a);
	else if (act == KA_BACK && (r & VIEW_HANDLED))
		view_back(a);
}

static void on_stdin(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)fd;
	struct app *a = ud;
	wint_t wch;
	int r, keys = 0;
	while (!a->quit && (r = wget_wch(a->in, &wch)) != ERR) {
		keys++;
		/* resizeterm queues KEY_RESIZE itself; SIGWINCH already handled it */
		if (r == KEY_CODE_YES && wch == KEY_RESIZE)
			continue;
		on_key(a, r == KEY_CODE_YES ? KEYS_FN((int)wch) : (int)wch);
	}
	/* readable with nothing to read, again and again: the terminal hung up */
	a->idle_errs = keys ? 0 : a->idle_errs + 1;
	if ((events & LOOP_ERROR) || a->idle_errs > 100)
		a->quit = true;
}

static void on_signal(struct loop *l, int signo, void *ud)
{
	(void)l;
	struct app *a = ud;
	if (signo == SIGWINCH)
		on_resize(a);
	else
		a->quit = true;
}

/* ---- store callbacks ---- */

/* A drill database, or a drill running: 'drill.running' holds its id
 * while drill_run.status is 'running' (012_drill_score.sql). */
static bool drill_active(const struct dc_model *m)
{
	const char *env = model_setting(m, "environment");
	const char *run = model_setting(m, "drill.running");
	return (env && strcmp(env, "drill") == 0) || (run && *run);
}

/* Incidents changed at site s: the header's count, and news of a SEV-1/2
 * at a site not on screen (the footer says it; the bell rings if the
 * config asks). The site on screen has seen its own. */
static void sites_incidents(struct app *a, struct site *s)
{
	int n = sites_sev12(a);
	if (n != a->sev12)
		a->dirty = true;
	a->sev12 = n;
	if (!site_alert_scan(s))
		return;
	if (s == a->s) {
		site_alert_seen(s);
		return;
	}
	a->dirty = true;
	if (a->o->cfg && a->o->cfg->bell)
		beep();
}

static void store_changed(void *ud, unsigned mask)
{
	struct site *s = ud;
	struct app *a = s->owner;
	if (mask & (DC_MASK(DC_T_INCIDENT) | DC_MASK(DC_T_SETTING)))
		s->drill = drill_active(s->m);
	ops_on_change(s->ops, mask);
	if (mask & DC_MASK(DC_T_INCIDENT))
		sites_incidents(a, s);
	/* another site: only the Sites view shows its rows */
	if (s != a->s) {
		if (a->cur == VIEW_SITES)
			a->dirty = true;
		return;
	}
	for (int i = 0; i < NVIEWS; i++)
		a->pending[i] |= mask;
	/* Telemetry the screen does not show (GPU rows under the incident
	 * board) draws no frame: a change that does show is then drawn at once,
	 * not after the rest of a 30 frames/s budget spent on invisible ones.
	 * The header shows the site, the mode and the data's age (whole
	 * minutes, tick_signature); dialogs may show anything. */
	unsigned shown = views[a->cur]->draws;
	char sig[sizeof a->tick_sig];
	tick_signature(a, sig, sizeof sig);
	if (!shown || (mask & (shown | DC_MASK(DC_T_SITE) | DC_MASK(DC_T_SETTING))) ||
	    dialog_host_active(a->dialogs) || strcmp(sig, a->tick_sig) != 0)
		a->dirty = true;
}

static void store_status_changed(void *ud, const struct store_status *st)
{
	struct site *s = ud;
	struct app *a = s->owner;
	ops_set_user(s->ops, st->user, st->role);
	update_rights(a);
	/* A relay lost or refused is said once on the message line (the header
	 * only turns RELAY into DB); its return clears what was said. */
	if (strcmp(st->relay_error, s->relay_said) != 0) {
		snprintf(s->relay_said, sizeof s->relay_said, "%s", st->relay_error);
		if (st->relay_error[0])
			set_msg(a, true, "%s%s%s", s->name, s->name[0] ? ": " : "", st->relay_error);
	}
	a->dirty = true;
}

static void ssh_changed(void *ud)
{
	struct site *s = ud;
	struct app *a = s->owner;
	update_rights(a);
	a->dirty = true;
}

static void ops_msg(void *ud, bool err, const char *msg)
{
	struct site *s = ud;
	set_msg(s->owner, err, "%s", msg);
}

/* ---- setup ---- */

static bool utf8_locale(void)
{
	if (strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
		return true;
	return setlocale(LC_CTYPE, "C.UTF-8") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

/* Config: key overrides ("nodes.map": "x") and defaults for the options. */
static void apply_config(struct app *a, const struct config *cfg, struct dc_opts *eff)
{
	struct dc_err err;
	for (size_t i = 0; i < cfg->nkeys; i++) {
		const char *dot = strchr(cfg->keys[i].action, '.');
		char table[32];
		snprintf(table, sizeof table, "%.*s", dot ? (int)(dot - cfg->keys[i].action) : 0,
		         cfg->keys[i].action);
		if (!dot || keys_override(table, cfg->keys[i].key, dot + 1, &err) == -1)
			set_msg(a, true, "%s: keys.%s: %s", cfg->path ? cfg->path : "config",
			        cfg->keys[i].action, dot ? err.msg : "expected VIEW.ACTION");
	}
	if (!eff->theme)
		eff->theme = cfg->theme;
	/* each site's profile (db, mode) is applied by site_new */
}

static int screen_start(struct app *a)
{
	if (!newterm(NULL, stdout, stdin)) {
		text_putline(stderr, "dcops: cannot open the terminal (TERM=%s)",
		             getenv("TERM") ? getenv("TERM") : "unset");
		return -1;
	}
	atexit(restore_terminal);
	cbreak();
	noecho();
	nonl();
	set_escdelay(25);
	curs_set(0);
	a->in = newwin(1, 1, 0, 0);
	keypad(a->in, TRUE);
	nodelay(a->in, TRUE);
	wnoutrefresh(a->in);  /* never drawn again, so reading keys never repaints it */
	return 0;
}

/* The current site's parts, as the rest of the app reads them. */
static void site_alias(struct app *a)
{
	a->s = a->sites.v[a->sites.cur];
	a->m = a->s->m;
	a->store = a->s->store;
	a->writer = a->s->writer;
	a->ops = a->s->ops;
	a->ssh = a->s->ssh;
}

static void sites_free(struct app *a)
{
	for (size_t i = 0; i < a->sites.n; i++)
		site_free(a->sites.v[i]);
	free(a->sites.v);
	a->sites = (struct site_set){ 0 };
}

/* --sites (or the config's "sites", unless --db or --profile names one
 * database): one site per profile; else the one site of --db/--profile.
 * -1 after a message on stderr: nothing is started. */
static int sites_open(struct app *a, const struct dc_opts *eff)
{
	const struct config *cfg = eff->cfg;
	const char *list = eff->sites ? eff->sites : !eff->db && !eff->profile ? cfg->sites : NULL;
	char names[CONFIG_MAX_SITES][64];
	size_t n = 0;
	struct dc_err err, warn;
	if (list && site_names(list, names, &n, &err) == -1) {
		text_putline(stderr, "dcops: %s; nothing was started", err.msg);
		return -1;
	}
	if (n && eff->db && !eff->site_db) {
		fprintf(stderr, "dcops: --db names one database; with --sites each site's is its profile's "
		        "\"db\"; nothing was started\n");
		return -1;
	}
	struct site_hooks h = { store_changed, store_status_changed, ssh_changed, ops_msg };
	a->sites.v = xcalloc(n ? n : 1, sizeof *a->sites.v);
	for (size_t i = 0; i < (n ? n : 1); i++) {
		struct site *s = site_new(a->loop, a->dialogs, eff, n ? names[i] : NULL,
		                          eff->site_db ? eff->site_db[i] : NULL, &h, a, &warn, &err);
		if (!s) {
			text_putline(stderr, "dcops: %s; nothing was started", err.msg);
			sites_free(a);
			return -1;
		}
		a->sites.v[a->sites.n++] = s;
		if (warn.msg[0])
			set_msg(a, true, "%s%s%s", s->name, s->name[0] ? ": " : "", warn.msg);
	}
	site_alias(a);
	return 0;
}

/* 0, or the exit status after a message: the console needs both. */
static int terminal_check(void)
{
	if (!utf8_locale()) {
		fprintf(stderr, "dcops: the console needs a UTF-8 locale (try LANG=C.UTF-8)\n");
		return 1;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "dcops: the console needs a terminal (for scripts, see dcops --help)\n");
		return 2;
	}
	return 0;
}

int app_run(const struct dc_opts *o)
{
	struct app a = { .o = o };
	struct dc_opts eff = *o;
	/* main read the config, and stopped on one it could not read */
	const struct config *cfg = o->cfg;
	struct dc_err err;
	apply_config(&a, cfg, &eff);
	a.loop = loop_new();
	a.dialogs = dialog_host_new();
	/* the sites' profiles are checked first: a console that cannot keep
	 * its options stops before the terminal, as script commands do */
	int rc = sites_open(&a, &eff) == -1 ? 1 : terminal_check();
	if (rc) {
		sites_free(&a);
		dialog_host_free(a.dialogs);
		loop_free(a.loop);
		return rc;
	}
	if (screen_start(&a) == -1) {
		sites_free(&a);
		dialog_host_free(a.dialogs);
		loop_free(a.loop);
		return 1;
	}
	if (colors_init(eff.theme, &err) == -1)
		set_msg(&a, true, "%s (using the default theme)", err.msg);

	struct view_ctx c = ctx_of(&a);
	for (int i = 0; i < NVIEWS; i++) {
		a.view[i] = views[i]->init(&c);
		a.pending[i] = ~0u;
	}
	view_sites_bind(a.view[VIEW_SITES], &a.sites);
	layout(&a);
	static const int sigs[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT };
	for (size_t i = 0; i < DC_ARRAY_LEN(sigs); i++)
		loop_signal_add(a.loop, sigs[i], on_signal, &a);
	loop_fd_add(a.loop, STDIN_FILENO, LOOP_READ, on_stdin, &a);
	update_rights(&a);
	for (size_t i = 0; i < a.sites.n; i++)
		site_start(a.sites.v[i]);
	loop_timer_add(a.loop, 1000, tick, &a);

	while (!a.quit) {
		app_frame(&a);
		if (loop_run_once(a.loop, -1) < 0 && !a.quit) {
			set_msg(&a, true, "poll failed; retrying");
			napms(100);
		}
	}

	restore_terminal();
	stats_write(&a);
	sites_free(&a);          /* before the dialogs their SSH borrows */
	dialog_host_free(a.dialogs);
	for (int i = 0; i < NVIEWS; i++)
		views[i]->free(a.view[i]);
	del_windows(&a);
	delwin(a.in);
	loop_free(a.loop);
	free(a.help_text);
	return 0;
}
