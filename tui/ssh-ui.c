/* ssh-ui.c — see ssh-ui.h. */
#include "ssh-ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag-audit.h"
#include "link.h"
#include "nvsmi.h"
#include "pager.h"
#include "store.h"
#include "text.h"

#define RAW_KEEP (1u << 20) /* output kept for parsing: the run's own cap */

struct ssh_ui {
	struct loop *loop;
	struct dialog_host *dh;
	struct link *link;
	void (*dirty)(void *ud);
	void *ud;
	const void *asked;          /* the session whose question is on screen */
	enum link_ask asked_kind;
	/* the diagnostics menu and its run */
	char menu_node[64];
	int menu_tag;               /* the menu dialog's done ud */
	struct pager *pager;
	struct link_run *run;
	bool running;
	struct sb raw;              /* output of a run whose format is known */
	uint64_t t_tick;
	int64_t started_ms;
	struct diag_audit *audit;
	char problem[640];
	char status[96];            /* how the run ended, for the pager's status */
	enum theme_el status_el;
};

static void dirty(struct ssh_ui *ui)
{
	if (ui->dirty)
		ui->dirty(ui->ud);
}

/* ---- questions ---- */

static void hostkey_done(void *ud, const struct dialog *d, enum dialog_answer ans)
{
	(void)d;
	struct ssh_ui *ui = ud;
	const void *id = ui->asked;
	ui->asked = NULL;
	link_answer_hostkey(ui->link, id, ans == DIALOG_YES);
}

static void secret_done(void *ud, const struct dialog *d, enum dialog_answer ans)
{
	struct ssh_ui *ui = ud;
	const void *id = ui->asked;
	ui->asked = NULL;
	link_give_secret(ui->link, id, ans == DIALOG_YES ? dialog_value(d, 0) : NULL);
}

static void ask(struct ssh_ui *ui, const struct link_question *q)
{
	struct dialog *d;
	if (q->kind == LINK_ASK_HOSTKEY) {
		d = dialog_new("Unknown SSH host key");
		dialog_body_addf(d, THEME_TEXT, "%s offers a host key that is not in", q->who);
		dialog_body_addf(d, THEME_TEXT, "%s.", q->file);
		dialog_body_add(d, THEME_TEXT, "");
		dialog_body_addf(d, THEME_TEXT, "  host         %s", q->host);
		dialog_body_addf(d, THEME_TEXT, "  key          %s", q->type);
		dialog_body_addf(d, THEME_WARN, "  fingerprint  %s", q->fingerprint);
		if (q->note[0]) {
			dialog_body_add(d, THEME_TEXT, "");
			dialog_body_addf(d, THEME_WARN, "%s.", q->note);
		}
		dialog_body_add(d, THEME_TEXT, "");
		dialog_body_add(d, THEME_TEXT, "Compare the fingerprint with the one your site publishes.");
		dialog_body_add(d, THEME_TEXT, "Yes records the key and connects; No leaves the file unchanged.");
		dialog_buttons(d, "Yes, record it", "No");
		dialog_on_done(d, hostkey_done, ui);
	} else {
		d = dialog_new("SSH passphrase");
		dialog_body_addf(d, THEME_TEXT, "%s", q->who);
		dialog_body_addf(d, THEME_TEXT, "%s", q->prompt[0] ? q->prompt : "Passphrase:");
		dialog_add_secret(d, "Passphrase", 0);
		dialog_buttons(d, "Unlock", "Skip");
		dialog_on_done(d, secret_done, ui);
	}
	ui->asked = q->id;
	ui->asked_kind = q->kind;
	dialog_host_push(ui->dh, d);
}

static void on_link(void *ud)
{
	struct ssh_ui *ui = ud;
	struct link_question q;
	link_question(ui->link, &q);
	if (ui->asked && (q.id != ui->asked || q.kind != ui->asked_kind)) {
		/* the question went away (answered elsewhere, link dropped) */
		dialog_host_drop(ui->dh, ui);
		ui->asked = NULL;
	}
	if (q.kind != LINK_ASK_NONE && !ui->asked)
		ask(ui, &q);
	dirty(ui);
}

/* ---- setup ---- */

struct ssh_ui *ssh_ui_new(struct loop *l, struct dialog_host *dh, const struct dc_opts *o,
			  const struct config *cfg, const char *conninfo, void (*dirty_fn)(void *ud), void *ud,
			  struct dc_err *err)
{
	err->msg[0] = '\0';
	const struct config_profile *p = config_profile(cfg, o->profile);
	const struct config_ssh *ps = p && p->has_ssh ? &p->ssh : NULL;
	if (!o->ssh && !(ps && ps->host))
		return NULL;
	struct ssh_ui *ui = xcalloc(1, sizeof *ui);
	ui->loop = l;
	ui->dh = dh;
	ui->dirty = dirty_fn;
	ui->ud = ud;
	struct link_opts lo = {
		.ssh = o->ssh,
		.prof = ps,
		.conninfo = conninfo,
		.diags = cfg->ndiags ? cfg->diags : NULL,
		.ndiags = cfg->ndiags,
		.accept_new = o->ssh_accept_new,
		.no_agent = getenv("DCOPS_SSH_NO_AGENT") != NULL,
	};
	const char *dl = getenv("DCOPS_DIAG_DEADLINE_MS");
	if (dl)
		lo.diag_deadline_ms = atoi(dl);
	ui->link = link_new(l, &lo, on_link, ui, err);
	if (!ui->link) {
		free(ui);
		return NULL;
	}
	if (o->ssh_accept_new)
		text_putline(stderr, "dcops: --ssh-accept-new: unknown host keys of %s and its nodes will be recorded "
				     "without asking", link_target(ui->link));
	return ui;
}

void ssh_ui_free(struct ssh_ui *ui)
{
	if (!ui)
		return;
	dialog_host_drop(ui->dh, ui);
	dialog_host_drop(ui->dh, &ui->menu_tag);
	loop_timer_cancel(ui->loop, ui->t_tick);
	diag_audit_cancel(ui->audit);
	link_run_free(ui->run);
	pager_free(ui->pager);
	sb_free(&ui->raw);
	link_free(ui->link);
	free(ui);
}

void ssh_ui_start(struct ssh_ui *ui)
{
	link_start(ui->link);
}

const char *ssh_ui_conninfo(const struct ssh_ui *ui)
{
	return link_conninfo(ui->link);
}

void ssh_ui_set_store(struct ssh_ui *ui, struct store *s)
{
	link_set_store(ui->link, s);
}

bool ssh_ui_writable(const struct ssh_ui *ui)
{
	return !ui || link_writable(ui->link);
}

const char *ssh_ui_header(const struct ssh_ui *ui, enum theme_el *el)
{
	if (!ui) {
		*el = THEME_HEADER;
		return "-";
	}
	enum link_state st = link_state(ui->link);
	*el = st == LINK_UP ? THEME_LINK_UP : st == LINK_NEEDS_HOSTKEY || st == LINK_NEEDS_SECRET ? THEME_WARN
	                                                                                          : THEME_LINK_DOWN;
	return link_state_name(st);
}

void ssh_ui_route(const struct ssh_ui *ui, char *buf, size_t n)
{
	snprintf(buf, n, "SSH %s to %s", link_target(ui->link), link_db_target(ui->link));
}

const char *ssh_ui_problem(const struct ssh_ui *ui)
{
	if (!ui)
		return NULL;
	struct ssh_ui *m = (struct ssh_ui *)ui;
	enum link_state st = link_state(ui->link);
	if (st == LINK_UP) {
		if (!link_error(ui->link)[0])
			return NULL;
		snprintf(m->problem, sizeof m->problem, "ssh: %s", link_error(ui->link));
		return m->problem;
	}
	if (st == LINK_CONNECTING || st == LINK_AUTHENTICATING || st == LINK_OFF)
		return NULL;
	snprintf(m->problem, sizeof m->problem, "ssh: %s", link_message(ui->link));
	return m->problem;
}

/* ---- diagnostics ---- */

static void tick(struct loop *l, void *ud)
{
	struct ssh_ui *ui = ud;
	ui->t_tick = 0;
	if (!ui->running || !ui->pager)
		return;
	pager_set_status(ui->pager, THEME_DIM, "running %lld s", (long long)((dc_mono_ms() - ui->started_ms) / 1000));
	ui->t_tick = loop_timer_add(l, 1000, tick, ui);
	dirty(ui);
}

static void run_state(void *ud, const char *msg)
{
	struct ssh_ui *ui = ud;
	if (ui->pager && msg[0])
		pager_set_status(ui->pager, THEME_DIM, "%s", msg);
	dirty(ui);
}

static void run_output(void *ud, const char *data, size_t len, bool is_stderr)
{
	struct ssh_ui *ui = ud;
	if (ui->pager)
		pager_append(ui->pager, data, len, is_stderr);
	if (!is_stderr && ui->run && link_run_diag(ui->run)->nvsmi_csv && ui->raw.len + len <= RAW_KEEP)
		sb_appendn(&ui->raw, data, len);
	dirty(ui);
}

static void audit_done(void *ud, bool ok, const char *msg)
{
	struct ssh_ui *ui = ud;
	ui->audit = NULL;
	if (ui->pager) {
		pager_note(ui->pager, ok ? THEME_DIM : THEME_ERROR, "-- %s%s --",
			   ok ? "recorded in the audit: " : "NOT recorded in the audit: ", msg);
		pager_set_status(ui->pager, ok ? ui->status_el : THEME_ERROR, "%s, %s", ui->status,
				 ok ? msg : "not in the audit");
	}
	dirty(ui);
}

static void show_table(struct ssh_ui *ui)
{
	struct nvsmi_gpu *g;
	size_t n;
	struct dc_err err;
	if (nvsmi_parse(ui->raw.buf ? ui->raw.buf : "", ui->raw.len, &g, &n, &err) < 0) {
		pager_note(ui->pager, THEME_WARN, "-- not shown as a table: %s --", err.msg);
		return;
	}
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += g[i].problems != 0;
	pager_set_gpus(ui->pager, g, n);
	pager_note(ui->pager, bad ? THEME_WARN : THEME_DIM, "-- %zu %s, %zu with problems (t: table/raw) --", n,
		   text_plural((long)n, "GPU", "GPUs"), bad);
	free(g);
}

static void run_done(void *ud, const struct link_run_result *r)
{
	struct ssh_ui *ui = ud;
	loop_timer_cancel(ui->loop, ui->t_tick);
	ui->t_tick = 0;
	ui->running = false;
	struct link_run *run = ui->run;
	const struct link_diag *d = link_run_diag(run);
	if (ui->pager) {
		double secs = (double)r->ms / 1000.0;
		if (r->timed_out)
			pager_note(ui->pager, THEME_ERROR, "-- %s --", r->error ? r->error : "cut at its deadline");
		else if (r->error)
			pager_note(ui->pager, THEME_ERROR, "-- %s --", r->error);
		if (r->truncated)
			pager_note(ui->pager, THEME_WARN, "-- output cut at %zu bytes --", r->bytes);
		if (r->exit_signal[0]) {
			ui->status_el = THEME_ERROR;
			snprintf(ui->status, sizeof ui->status, "killed by SIG%s, %zu bytes, %.1f s", r->exit_signal,
				 r->bytes, secs);
		} else if (r->exit_status >= 0) {
			ui->status_el = r->exit_status ? THEME_WARN : THEME_OK;
			snprintf(ui->status, sizeof ui->status, "exit %d, %zu bytes, %.1f s", r->exit_status, r->bytes,
				 secs);
		} else {
			ui->status_el = THEME_ERROR;
			snprintf(ui->status, sizeof ui->status, "no exit status, %zu bytes, %.1f s", r->bytes, secs);
		}
		pager_set_status(ui->pager, ui->status_el, "%s", ui->status);
		if (d->nvsmi_csv && r->exit_status == 0 && !r->truncated)
			show_table(ui);
	}
	struct diag_audit_rec rec = {
		.node = link_run_node(run),
		.diag = d->name,
		.exit_status = r->exit_status,
		.bytes = (int64_t)r->bytes,
		.truncated = r->truncated,
	};
	diag_audit_cancel(ui->audit);
	ui->audit = diag_audit_record(ui->loop, link_conninfo(ui->link), &rec, audit_done, ui);
	sb_clear(&ui->raw);
	dirty(ui);
}

static void run_start(struct ssh_ui *ui, const char *node, const struct link_diag *d)
{
	struct dc_err err;
	if (ui->run) {
		link_run_free(ui->run);
		ui->run = NULL;
	}
	diag_audit_cancel(ui->audit);
	ui->audit = NULL;
	pager_free(ui->pager);
	sb_clear(&ui->raw);
	char title[160];
	snprintf(title, sizeof title, "%s on %s — %s", d->name, node, d->label);
	ui->pager = pager_new(title);
	static const struct link_run_cbs cbs = { run_state, run_output, run_done };
	ui->run = link_run_start(ui->link, node, d->name, &cbs, ui, &err);
	if (!ui->run) {
		pager_note(ui->pager, THEME_ERROR, "-- not run: %s --", err.msg);
		pager_set_status(ui->pager, THEME_ERROR, "refused");
		dirty(ui);
		return;
	}
	ui->running = true;
	ui->started_ms = dc_mono_ms();
	pager_set_status(ui->pager, THEME_DIM, "connecting to %s", node);
	loop_timer_cancel(ui->loop, ui->t_tick);
	ui->t_tick = loop_timer_add(ui->loop, 1000, tick, ui);
	dirty(ui);
}

static void menu_done(void *ud, const struct dialog *d, enum dialog_answer ans)
{
	struct ssh_ui *ui = (struct ssh_ui *)((char *)ud - offsetof(struct ssh_ui, menu_tag));
	if (ans != DIALOG_YES)
		return;
	const struct link_diag *diag = link_diag_at(ui->link, dialog_choice(d, 0));
	if (diag)
		run_start(ui, ui->menu_node, diag);
}

int ssh_ui_diag_menu(struct ssh_ui *ui, const char *node, const char *role, struct dc_err *err)
{
	if (!ui)
		return dc_err_set(err, "diagnostics run through the SSH bastion: start dcops with --ssh "
				  "user@bastion or a profile with an ssh host");
	if (role && strcmp(role, "viewer") == 0)
		return dc_err_set(err, "diagnostics are an operator privilege; you are a viewer");
	if (!node || !*node)
		return dc_err_set(err, "no node to run diagnostics on");
	if (link_node_check(ui->link, node, err) < 0)
		return -1;
	if (link_state(ui->link) != LINK_UP)
		return dc_err_set(err, "SSH to %s is %s: diagnostics need the link UP", link_target(ui->link),
				  link_state_name(link_state(ui->link)));
	size_t n = link_diag_count(ui->link);
	const char *labels[32];
	if (n > DC_ARRAY_LEN(labels))
		n = DC_ARRAY_LEN(labels);
	for (size_t i = 0; i < n; i++)
		labels[i] = link_diag_at(ui->link, i)->label;
	snprintf(ui->menu_node, sizeof ui->menu_node, "%s", node);
	struct dialog *d = dialog_new("Diagnostics");
	dialog_body_addf(d, THEME_TEXT, "on node %s, through %s", node, link_target(ui->link));
	dialog_body_add(d, THEME_DIM, "Only these commands run; each run is recorded in the audit.");
	dialog_add_choice(d, "Diagnostic", labels, n, 0);
	dialog_buttons(d, "Run", "Cancel");
	dialog_on_done(d, menu_done, &ui->menu_tag);
	dialog_host_push(ui->dh, d);
	dirty(ui);
	return 0;
}

bool ssh_ui_pager_open(const struct ssh_ui *ui)
{
	return ui && ui->pager;
}

unsigned ssh_ui_key(struct ssh_ui *ui, int key)
{
	if (!ui->pager)
		return 0;
	unsigned r = pager_key(ui->pager, key);
	if (r & PAGER_CLOSED) {
		if (ui->running)
			link_run_cancel(ui->run); /* done still records the run */
		pager_free(ui->pager);
		ui->pager = NULL;
		r |= PAGER_DIRTY;
	}
	return r;
}

bool ssh_ui_draw(struct ssh_ui *ui, WINDOW *w)
{
	return ui->pager ? pager_draw(ui->pager, w) : false;
}
