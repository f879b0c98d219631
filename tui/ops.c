/* ops.c — operator action dialogs and their sending (see ops.h). */
#include "ops.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drain-preview.h"
#include "draw.h"
#include "drill-list.h"

#define MAX_FOLLOW 256
#define LIST_MAX 6      /* names shown before "and N more" */

/* The dialog being filled: what the operator saw when it opened. */
struct op {
	enum key_action act;
	int64_t *nodes;            /* node ids */
	char **names;              /* their names */
	int64_t *versions;         /* their admin_version */
	size_t n;
	int64_t tenant, incident, version, job;
	char scope[96];
	/* field indexes (-1 when absent) */
	int f_reason, f_incident, f_resume, f_gpus, f_hours, f_storage, f_expires;
	int f_sev, f_title, f_impact, f_nodes, f_tenants, f_owner, f_text, f_override;
	int f_resolve;             /* resume: also resolve the node's open incident */
	/* handover and drills */
	int64_t shift, drill, seed;
	bool shift_open;           /* shift: the operator is on shift (so it ends) */
	char *scenario, *spec;
	double speed;
	/* drain: the incident's proposed drain being accepted (061_remedy.sql):
	 * its reason and policy fill the dialog; NULL for other drains */
	char *proposal, *policy;
};

struct ops {
	const struct dc_model *m;
	struct dialog_host *host;
	struct writer *w;
	ops_msg_fn msg;
	void *ud;
	char user[64];
	char site[64];             /* "" in a console of one site */
	bool admin;
	int64_t now;
	struct op *open;           /* the dialog on screen */
	char sending[256];         /* what the call in flight does, for its message */
	int64_t follow[MAX_FOLLOW]; /* action ids requested here, until applied or failed */
	size_t nfollow;
	/* a resume that also resolves its incident: sent once the adapter has
	 * applied the resume (then_action), so the node is back first and the
	 * incident's timeline hears it before the incident closes */
	int64_t then_resolve, then_version, then_action;
	char then_summary[512];
};

static void say(struct ops *o, bool err, const char *fmt, ...) DC_PRINTF(3, 4);
static void say(struct ops *o, bool err, const char *fmt, ...)
{
	char buf[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (!o->msg)
		return;
	/* with several sites, every outcome names the site it happened at */
	size_t sl = strlen(o->site);
	if (sl && !(strncmp(buf, o->site, sl) == 0 && buf[sl] == ':')) {
		char named[sizeof buf + 80];
		snprintf(named, sizeof named, "%s: %s", o->site, buf);
		o->msg(o->ud, err, named);
		return;
	}
	o->msg(o->ud, err, buf);
}

static void op_free(struct op *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->names[i]);
	free(p->names);
	free(p->nodes);
	free(p->versions);
	free(p->scenario);
	free(p->spec);
	free(p->proposal);
	free(p->policy);
	free(p);
}

struct ops *ops_new(const struct dc_model *m, struct dialog_host *h, struct writer *w,
                    ops_msg_fn msg, void *ud)
{
	struct ops *o = xcalloc(1, sizeof *o);
	o->m = m;
	o->host = h;
	o->w = w;
	o->msg = msg;
	o->ud = ud;
	return o;
}

void ops_free(struct ops *o)
{
	if (!o)
		return;
	if (o->open)
		dialog_host_drop(o->host, o);
	op_free(o->open);
	free(o);
}

void ops_set_user(struct ops *o, const char *user, const char *role)
{
	snprintf(o->user, sizeof o->user, "%s", user ? user : "");
	o->admin = role && (strcmp(role, "admin") == 0 || strcmp(role, "superuser") == 0);
}

void ops_set_site(struct ops *o, const char *site)
{
	snprintf(o->site, sizeof o->site, "%s", site ? site : "");
}

/* ---- helpers ---- */

/* "gpu-a01, gpu-a02 and 4 more" */
static void names_line(char *const *names, size_t n, char *buf, size_t sz)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n && i < LIST_MAX; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, sz - len, "%s%s", i ? ", " : "", names[i]);
	}
	if (n > LIST_MAX) {
		size_t len = strlen(buf);
		snprintf(buf + len, sz - len, " and %zu more", n - LIST_MAX);
	}
}

static const struct dc_node *node_by_name(const struct dc_model *m, const char *name)
{
	size_t n = model_count(m, DC_T_NODE);
	for (size_t i = 0; i < n; i++) {
		const struct dc_node *nd = model_row(m, DC_T_NODE, i);
		if (strcmp(nd->name, name) == 0)
			return nd;
	}
	return NULL;
}

/* Splits "a b,c" into owned words. */
static size_t split_words(const char *s, char ***out)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	while (s && *s) {
		size_t skip = strspn(s, " ,");
		s += skip;
		size_t len = strcspn(s, " ,");
		if (!len)
			break;
		v = xgrow(v, &cap, n + 1, sizeof *v);
		v[n++] = xstrndup(s, len);
		s += len;
	}
	*out = v;
	return n;
}

/* The longest tenant name s starts with, ending at the end, a space or a
 * comma; 0 when none. */
static size_t known_tenant(const struct dc_model *m, const char *s)
{
	size_t best = 0;
	for (size_t i = 0; i < model_count(m, DC_T_TENANT); i++) {
		const char *name = ((const struct dc_tenant *)model_row(m, DC_T_TENANT, i))->name;
		size_t l = strlen(name);
		if (l > best && strncmp(s, name, l) == 0 && (!s[l] || s[l] == ' ' || s[l] == ','))
			best = l;
	}
	return best;
}

/* Splits typed tenant names into owned words. Names have spaces and commas
 * ("Acme Research", "(주)딥 비전"): a known name is taken whole where it
 * starts; anything else is a word up to a space or comma, for the server
 * to refuse by name. " · ", how the console joins them, separates too. */
static size_t split_tenants(const struct dc_model *m, const char *s, char ***out)
{
	static const char dot[] = "\u00b7";
	size_t n = 0, cap = 0;
	char **v = NULL;
	while (s && *s) {
		s += strspn(s, " ,");
		if (strncmp(s, dot, sizeof dot - 1) == 0) {
			s += sizeof dot - 1;
			continue;
		}
		size_t len = known_tenant(m, s);
		if (!len)
			len = strcspn(s, " ,");
		if (!len)
			break;
		v = xgrow(v, &cap, n + 1, sizeof *v);
		v[n++] = xstrndup(s, len);
		s += len;
	}
	*out = v;
	return n;
}

static void words_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void op_set_nodes(struct op *p, const struct dc_model *m, const int64_t *ids, size_t n)
{
	p->nodes = xcalloc(n ? n : 1, sizeof *p->nodes);
	p->names = xcalloc(n ? n : 1, sizeof *p->names);
	p->versions = xcalloc(n ? n : 1, sizeof *p->versions);
	for (size_t i = 0; i < n; i++) {
		const struct dc_node *nd = model_node(m, ids[i]);
		if (!nd)
			continue;
		p->nodes[p->n] = nd->id;
		p->names[p->n] = xstrdup(nd->name);
		p->versions[p->n] = nd->admin_version;
		p->n++;
	}
}

static struct op *op_new(enum key_action a, const struct view_target *t)
{
	struct op *p = xcalloc(1, sizeof *p);
	p->act = a;
	p->tenant = t->tenant;
	p->incident = t->incident;
	p->job = t->job;
	p->shift = t->shift;
	p->drill = t->drill;
	snprintf(p->scope, sizeof p->scope, "%s", t->scope);
	int *f[] = { &p->f_reason, &p->f_incident, &p->f_resume, &p->f_gpus, &p->f_hours,
		&p->f_storage, &p->f_expires, &p->f_sev, &p->f_title, &p->f_impact, &p->f_nodes,
		&p->f_tenants, &p->f_owner, &p->f_text, &p->f_override, &p->f_resolve };
	for (size_t i = 0; i < DC_ARRAY_LEN(f); i++)
		*f[i] = -1;
	return p;
}

static const char *tenant_name(const struct dc_model *m, int64_t id)
{
	const struct dc_tenant *t = model_tenant(m, id);
	return t ? t->name : "?";
}

/* ---- sending ---- */

static void sent(void *ud, const struct writer_result *r)
{
	struct ops *o = ud;
	if (r->refusal != WRITER_OK) {
		const char *hint = r->refusal == WRITER_E_LOST ? " (the server replays it if it did apply)"
		                   : r->refusal == WRITER_E_BUSY ? " — try again" : "";
		say(o, true, "%s refused: %s%s%s%s%s%s", o->sending, r->msg, r->guard[0] ? " [" : "",
		    r->guard, r->guard[0] ? "]" : "", hint,
		    o->then_resolve ? "; the incident was not resolved" : "");
		o->then_resolve = 0;
		return;
	}
	for (size_t i = 0; i < r->n_action_ids && o->nfollow < MAX_FOLLOW; i++)
		o->follow[o->nfollow++] = r->action_ids[i];
	if (o->then_resolve)
		o->then_action = r->n_action_ids ? r->action_ids[r->n_action_ids - 1] : 0;
	if (r->n_action_ids == 1)
		say(o, false, "%s: requested (action #%lld), pending until the adapter applies it%s",
		    o->sending, (long long)r->action_ids[0], r->replayed ? " (replayed)" : "");
	else if (r->n_action_ids > 1)
		say(o, false, "%s: requested (actions #%lld-#%lld), pending until the adapter applies them%s",
		    o->sending, (long long)r->action_ids[0],
		    (long long)r->action_ids[r->n_action_ids - 1], r->replayed ? " (replayed)" : "");
	else
		say(o, false, "%s: done (audit #%lld)%s", o->sending, (long long)r->audit_id,
		    r->replayed ? " (replayed)" : "");
}

static void send(struct ops *o, const struct writer_req *r, const char *what)
{
	struct dc_err err;
	snprintf(o->sending, sizeof o->sending, "%s", what);
	if (writer_send(o->w, r, sent, o, &err) == -1)
		say(o, true, "%s: %s", what, err.msg);
	else
		say(o, false, "%s: sending…", what);
}

/* The resume is applied: now the incident it was asked to resolve. */
static void send_resolve(struct ops *o)
{
	struct writer_req r = { .verb = WRITER_INC_RESOLVE, .id = o->then_resolve, .text = o->then_summary,
		.version = o->then_version };
	char what[64];
	snprintf(what, sizeof what, "resolve incident #%lld", (long long)o->then_resolve);
	o->then_resolve = 0;
	send(o, &r, what);
}

void ops_on_change(struct ops *o, unsigned mask)
{
	if (!(mask & DC_MASK(DC_T_ACTION)) || !o->nfollow)
		return;
	size_t keep = 0;
	for (size_t i = 0; i < o->nfollow; i++) {
		const struct dc_action *a = model_get(o->m, DC_T_ACTION, o->follow[i]);
		if (!a || a->status == DC_ACT_PENDING) {
			o->follow[keep++] = o->follow[i];
			continue;
		}
		bool then = o->then_resolve && a->id == o->then_action;
		if (a->status == DC_ACT_FAILED) {
			say(o, true, "%s %s failed: %s%s", a->kind, a->target, a->error,
			    then ? "; the incident was not resolved" : "");
			if (then)
				o->then_resolve = 0;
		} else {
			say(o, false, "%s %s %s by the adapter", a->kind, a->target,
			    dc_action_status_name(a->status));
			if (then && writer_busy(o->w)) {
				say(o, true, "%s is in flight: incident #%lld not resolved (x resolves it)", o->sending,
				    (long long)o->then_resolve);
				o->then_resolve = 0;
			} else if (then) {
				send_resolve(o);
			}
		}
	}
	o->nfollow = keep;
}

/* ---- the dialogs' done and check callbacks ---- */

static int parse_duration_field(const struct dialog *d, int f, int64_t *secs, struct dc_err *err)
{
	*secs = 0;
	if (f < 0 || !dialog_value(d, f)[0])
		return 0;
	struct dc_err e;
	if (writer_duration_parse(dialog_value(d, f), secs, &e) == -1)
		return dc_err_set(err, "%s", e.msg);
	return 0;
}

/* What the server refuses as "no change": assigning the incident to its
 * owner, a severity it already has. Said in the dialog, before sending. */
static int incident_unchanged(struct ops *o, struct op *p, const struct dialog *d, int *field,
                              struct dc_err *err)
{
	const struct dc_incident *inc = model_get(o->m, DC_T_INCIDENT, p->incident);
	if (!inc)
		return 0;
	if (p->act == KA_INC_ASSIGN && inc->owner && strcmp(dialog_value(d, p->f_owner), inc->owner) == 0) {
		*field = p->f_owner;
		return dc_err_set(err, "%s owns it already: name another operator", inc->owner);
	}
	if (p->act == KA_INC_SEV && (int)dialog_choice(d, p->f_sev) + 1 == inc->sev) {
		*field = p->f_sev;
		return dc_err_set(err, "sev %d already: pick another severity", inc->sev);
	}
	return 0;
}

/* The server's guard.reason_min_words / _chars, counted as
 * dcops.act_reason_check counts them: spaces trimmed, pieces between runs
 * of white space, characters not bytes. */
static bool reason_short(const struct dc_model *m, const char *s, int *min_words, int *min_chars)
{
	const char *w = model_setting(m, "guard.reason_min_words");
	const char *c = model_setting(m, "guard.reason_min_chars");
	*min_words = w ? atoi(w) : 0;
	*min_chars = c ? atoi(c) : 0;
	size_t len = strlen(s);
	while (*s == ' ')
		s++, len--;
	while (len && s[len - 1] == ' ')
		len--;
	int words = len ? 1 : 0, chars = 0;
	for (size_t i = 0; i < len; i++) {
		bool ws = strchr(" \t\n\r\f\v", s[i]) != NULL;
		words += ws && (i == 0 || !strchr(" \t\n\r\f\v", s[i - 1]));
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	}
	return words < *min_words || chars < *min_chars;
}

/* The field holding a reason the server measures, or -1. */
static int reason_field(const struct op *p)
{
	if (p->f_reason >= 0)
		return p->f_reason;
	return p->act == KA_INC_SEV || p->act == KA_INC_RESOLVE ? p->f_text : -1;
}

static int op_check(void *ud, const struct dialog *d, int *field, struct dc_err *err)
{
	struct ops *o = ud;
	struct op *p = o->open;
	int rf = reason_field(p), min_words, min_chars;
	if (rf >= 0 && reason_short(o->m, dialog_value(d, rf), &min_words, &min_chars)) {
		*field = rf;
		return dc_err_set(err, "too short: %d words and %d characters at least", min_words, min_chars);
	}
	int64_t secs;
	int fs[] = { p->f_resume, p->f_expires };
	for (size_t i = 0; i < DC_ARRAY_LEN(fs); i++) {
		if (parse_duration_field(d, fs[i], &secs, err) == -1) {
			*field = fs[i];
			return -1;
		}
	}
	double inc;
	if (p->f_incident >= 0 && dialog_number(d, p->f_incident, &inc) &&
	    !model_get(o->m, DC_T_INCIDENT, (int64_t)inc)) {
		*field = p->f_incident;
		return dc_err_set(err, "no incident #%lld", (long long)inc);
	}
	if (p->act == KA_QUOTA) {
		const struct dc_quota *q = model_quota_of(o->m, p->tenant);
		double g = 0, h = 0, s = 0;
		bool hg = dialog_number(d, p->f_gpus, &g), hh = dialog_number(d, p->f_hours, &h),
		     hs = dialog_number(d, p->f_storage, &s);
		if (q && (!hg || (int)g == q->gpu_limit) && (!hh || fabs(h - q->gpu_hours_budget) < 0.05) &&
		    (!hs || fabs(s - q->storage_tb) < 0.005)) {
			*field = p->f_gpus;
			return dc_err_set(err, "nothing changes: edit a limit first");
		}
	}
	if (incident_unchanged(o, p, d, field, err) == -1)
		return -1;
	if (p->act == KA_INC_LINK && !dialog_value(d, p->f_nodes)[0] &&
	    !dialog_value(d, p->f_tenants)[0]) {
		*field = p->f_nodes;
		return dc_err_set(err, "give nodes or tenants to link");
	}
	return 0;
}

static void done_nodes(struct ops *o, struct op *p, const struct dialog *d)
{
	int64_t resume = 0;
	parse_duration_field(d, p->f_resume, &resume, NULL);
	double inc = 0;
	if (p->f_incident >= 0)
		dialog_number(d, p->f_incident, &inc);
	struct writer_req r = { .verb = p->act == KA_DRAIN ? WRITER_DRAIN : WRITER_RESUME,
		.nodes = (const char *const *)p->names, .n_nodes = p->n, .expected = p->versions,
		.reason = dialog_value(d, p->f_reason), .incident_id = (int64_t)inc,
		.resume_after = resume ? o->now + resume : 0,
		.override = p->f_override >= 0 && dialog_choice(d, p->f_override) == 1 };
	char names[200], what[256];
	names_line(p->names, p->n, names, sizeof names);
	snprintf(what, sizeof what, "%s %s", p->act == KA_DRAIN ? "drain" : "resume", names);
	const struct dc_incident *inc_row = model_get(o->m, DC_T_INCIDENT, p->incident);
	if (p->f_resolve >= 0 && dialog_choice(d, p->f_resolve) == 1 && inc_row) {
		o->then_resolve = inc_row->id;
		o->then_version = inc_row->op_version;
		snprintf(o->then_summary, sizeof o->then_summary, "%s", r.reason);
	}
	send(o, &r, what);
}

static void done_quota(struct ops *o, struct op *p, const struct dialog *d)
{
	const struct dc_quota *q = model_quota_of(o->m, p->tenant);
	double g = 0, h = 0, s = 0;
	bool hg = dialog_number(d, p->f_gpus, &g), hh = dialog_number(d, p->f_hours, &h),
	     hs = dialog_number(d, p->f_storage, &s);
	int64_t exp = 0;
	parse_duration_field(d, p->f_expires, &exp, NULL);
	struct writer_req r = { .verb = WRITER_QUOTA, .tenant = tenant_name(o->m, p->tenant),
		.gpu_limit = hg && !(q && (int)g == q->gpu_limit) ? (int64_t)g : WRITER_UNCHANGED,
		.gpu_hours = hh && !(q && fabs(h - q->gpu_hours_budget) < 0.05) ? h : WRITER_UNCHANGED,
		.storage_tb = hs && !(q && fabs(s - q->storage_tb) < 0.005) ? s : WRITER_UNCHANGED,
		.reason = dialog_value(d, p->f_reason), .expires_at = exp ? o->now + exp : 0,
		.version = p->version };
	char what[256];
	snprintf(what, sizeof what, "quota of %s", r.tenant);
	send(o, &r, what);
}

static void done_incident(struct ops *o, struct op *p, const struct dialog *d)
{
	static const enum writer_verb verbs[] = {
		[KA_INC_OPEN] = WRITER_INC_OPEN, [KA_INC_ACK] = WRITER_INC_ACK,
		[KA_INC_ASSIGN] = WRITER_INC_ASSIGN, [KA_INC_SEV] = WRITER_INC_SEV,
		[KA_INC_NOTE] = WRITER_INC_NOTE, [KA_INC_LINK] = WRITER_INC_LINK,
		[KA_INC_RESOLVE] = WRITER_INC_RESOLVE,
	};
	char **nodes = NULL, **tenants = NULL;
	size_t nn = p->f_nodes >= 0 ? split_words(dialog_value(d, p->f_nodes), &nodes) : 0;
	size_t nt = p->f_tenants >= 0 ? split_tenants(o->m, dialog_value(d, p->f_tenants), &tenants) : 0;
	struct writer_req r = { .verb = verbs[p->act], .id = p->incident, .version = p->version,
		.nodes = (const char *const *)nodes, .n_nodes = nn,
		.tenants = (const char *const *)tenants, .n_tenants = nt,
		.owner = p->f_owner >= 0 ? dialog_value(d, p->f_owner) : NULL,
		.impact = p->f_impact >= 0 ? dialog_value(d, p->f_impact) : "" };
	if (p->f_sev >= 0)
		r.sev = (int)dialog_choice(d, p->f_sev) + 1;
	if (p->f_title >= 0)
		r.text = dialog_value(d, p->f_title);
	if (p->f_text >= 0)
		r.text = dialog_value(d, p->f_text);
	char what[128];
	if (p->act == KA_INC_OPEN)
		snprintf(what, sizeof what, "open incident");
	else
		snprintf(what, sizeof what, "%s incident #%lld", keys_action_name(p->act) + 9,
		         (long long)p->incident);
	send(o, &r, what);
	words_free(nodes, nn);
	words_free(tenants, nt);
}

static bool is_job_act(enum key_action a)
{
	return a == KA_JOB_CANCEL || a == KA_JOB_HOLD || a == KA_JOB_RELEASE;
}

static void done_job(struct ops *o, struct op *p, const struct dialog *d)
{
	struct writer_req r = { .id = p->job, .reason = dialog_value(d, p->f_reason),
		.verb = p->act == KA_JOB_CANCEL ? WRITER_JOB_CANCEL
		        : p->act == KA_JOB_HOLD ? WRITER_JOB_HOLD : WRITER_JOB_RELEASE };
	char what[96];
	snprintf(what, sizeof what, "%s job %lld", keys_action_name(p->act) + strlen("job."),
	         (long long)p->job);
	send(o, &r, what);
}

static void done_shift_drill(struct ops *o, struct op *p, const struct dialog *d)
{
	struct writer_req r = { .id = p->act == KA_DRILL_STOP ? p->drill : p->shift };
	char what[160];
	switch (p->act) {
	case KA_SHIFT:
		r.verb = p->shift_open ? WRITER_SHIFT_END : WRITER_SHIFT_START;
		snprintf(what, sizeof what, "%s shift", p->shift_open ? "end of" : "start of");
		break;
	case KA_HANDOVER_NOTE:
		r.verb = WRITER_NOTE_SET;
		r.text = dialog_value(d, p->f_text);
		snprintf(what, sizeof what, "handover note");
		break;
	case KA_SIGN_OFF:
		r.verb = WRITER_SIGN_OFF;
		snprintf(what, sizeof what, "sign-off of shift %lld", (long long)p->shift);
		break;
	case KA_DRILL_START:
		r.verb = WRITER_DRILL_START;
		r.text = p->scenario;
		r.spec = p->spec;
		r.seed = p->seed;
		r.speed = p->speed;
		snprintf(what, sizeof what, "drill %s", p->scenario);
		break;
	default:
		r.verb = WRITER_DRILL_STOP;
		snprintf(what, sizeof what, "stop of drill %lld", (long long)p->drill);
		break;
	}
	send(o, &r, what);
}

static void op_done(void *ud, const struct dialog *d, enum dialog_answer ans)
{
	struct ops *o = ud;
	struct op *p = o->open;
	o->open = NULL;
	if (ans == DIALOG_YES) {
		if (p->act == KA_DRAIN || p->act == KA_RESUME)
			done_nodes(o, p, d);
		else if (p->act == KA_QUOTA)
			done_quota(o, p, d);
		else if (is_job_act(p->act))
			done_job(o, p, d);
		else if (p->act >= KA_SHIFT && p->act <= KA_DRILL_STOP)
			done_shift_drill(o, p, d);
		else
			done_incident(o, p, d);
	} else {
		say(o, false, "%s: cancelled, nothing sent", dialog_title(d));
	}
	op_free(p);
}

static struct dialog *op_dialog(struct ops *o, struct op *p, const char *title)
{
	char named[320];
	snprintf(named, sizeof named, "%s%s%s", o->site, o->site[0] ? ": " : "", title);
	struct dialog *d = dialog_new(named);
	o->open = p;
	dialog_on_done(d, op_done, o);
	dialog_on_check(d, op_check);
	return d;
}

/* ---- drain and resume ---- */

/* What the drain takes out of service and whose running jobs are there:
 * a drain lets them finish but stops them from being replaced. A job
 * spanning nodes counts its GPUs on these nodes, and says what it holds
 * elsewhere, so the tenants' figures add up to the GPUs out of service. */
static void blast_radius(struct ops *o, struct op *p, struct dialog *d)
{
	const struct dc_model *m = o->m;
	struct drain_preview dp;
	drain_preview_build(m, p->nodes, p->n, &dp);
	char busy[48] = "";
	if (dp.gpus_busy)
		snprintf(busy, sizeof busy, ", %d of them in use", dp.gpus_busy);
	dialog_body_addf(d, THEME_TEXT, "GPUs out of service: %d%s%s", dp.gpus_out, busy,
	                 dp.already ? " (some nodes already drained or draining)" : "");
	if (dp.jobs == 0) {
		dialog_body_add(d, THEME_OK, "No running jobs: the node goes DRAINED at once.");
	} else {
		dialog_body_addf(d, THEME_WARN, "%zu running %s running (DRAINING until %s); tenants:", dp.jobs,
		                 text_plural((long)dp.jobs, "job keeps", "jobs keep"),
		                 text_plural((long)dp.jobs, "it ends", "they end"));
		for (size_t i = 0; i < dp.ntenants && i < LIST_MAX; i++) {
			const struct drain_tenant *t = &dp.tenants[i];
			char more[64] = "";
			if (t->gpus_elsewhere)
				snprintf(more, sizeof more, " (and %d on other nodes)", t->gpus_elsewhere);
			dialog_body_addf(d, THEME_TEXT, "  %s: %d %s, %d %s here%s", tenant_name(m, t->tenant), t->jobs,
			                 text_plural(t->jobs, "job", "jobs"), t->gpus_here,
			                 text_plural(t->gpus_here, "GPU", "GPUs"), more);
		}
		if (dp.ntenants > LIST_MAX)
			dialog_body_addf(d, THEME_DIM, "  and %zu more tenants", dp.ntenants - LIST_MAX);
	}
	drain_preview_free(&dp);
}

/* The share of each partition touched that is drained or draining, now
 * and after this drain, against the guard rail. */
static void partition_share(struct ops *o, struct op *p, struct dialog *d)
{
	const char *g = model_setting(o->m, "guard.drain_pct");
	double guard = g ? atof(g) : 10;
	size_t np = model_count(o->m, DC_T_PARTITION);
	for (size_t i = 0; i < np; i++) {
		const struct dc_partition *part = model_row(o->m, DC_T_PARTITION, i);
		int adding = 0;
		bool touched = false;
		for (size_t k = 0; k < p->n; k++) {
			const struct dc_node *nd = model_node(o->m, p->nodes[k]);
			if (nd && nd->partition_id == part->id) {
				touched = true;
				adding += nd->admin == DC_ADMIN_ACTIVE;
			}
		}
		if (!touched || part->nodes <= 0)
			continue;
		int now = part->nodes_draining + part->nodes_drained;
		double before = 100.0 * now / part->nodes, after = 100.0 * (now + adding) / part->nodes;
		dialog_body_addf(d, after > guard ? THEME_WARN : THEME_TEXT,
		                 "Partition %s: %d of %d nodes drained/draining (%.0f%%) → %d (%.0f%%)%s",
		                 part->name, now, part->nodes, before, now + adding, after,
		                 after > guard ? ": past the guard rail, needs dcops_admin" : "");
	}
}

/* The newest open incident linked to one of the op's nodes, or NULL. */
static const struct dc_incident *node_incident(const struct dc_model *m, const struct op *p)
{
	const struct dc_incident *best = NULL;
	size_t n = model_count(m, DC_T_INCIDENT);
	for (size_t k = 0; k < n; k++) {
		const struct dc_incident *i = model_row(m, DC_T_INCIDENT, k);
		if (i->state == DC_INC_RESOLVED || (best && best->opened_at >= i->opened_at))
			continue;
		for (const char *w = i->nodes ? i->nodes : ""; *w;) {
			size_t len = strcspn(w, " ");
			for (size_t j = 0; j < p->n; j++)
				if (strlen(p->names[j]) == len && memcmp(p->names[j], w, len) == 0)
					best = i;
			w += len + (w[len] == ' ');
		}
	}
	return best;
}

/* Draining fills in the node's open incident (the drain goes on its
 * timeline); resuming shows it and offers to resolve it (default no). */
static void drain_incident(struct ops *o, struct op *p, struct dialog *d)
{
	const struct dc_incident *inc = p->incident ? model_get(o->m, DC_T_INCIDENT, p->incident)
	                                            : node_incident(o->m, p);
	if (!inc || inc->state == DC_INC_RESOLVED)
		return;
	p->incident = inc->id;
	dialog_body_addf(d, THEME_WARN, "Open incident #%lld: %s", (long long)inc->id, inc->title);
}

static int open_drain(struct ops *o, struct op *p, struct dc_err *err)
{
	bool drain = p->act == KA_DRAIN;
	size_t eligible = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct dc_node *nd = model_node(o->m, p->nodes[i]);
		eligible += nd && (drain ? nd->admin == DC_ADMIN_ACTIVE : nd->admin != DC_ADMIN_ACTIVE);
	}
	if (!eligible)
		return dc_err_set(err, p->n == 1 ? "%s is %s already" : "%s: all %s already",
		                  p->n == 1 ? p->names[0] : p->scope,
		                  drain ? "drained or draining" : "active");
	char title[160], names[200];
	names_line(p->names, p->n, names, sizeof names);
	if (p->n == 1)
		snprintf(title, sizeof title, "%s %s", drain ? "Drain" : "Resume", p->names[0]);
	else
		snprintf(title, sizeof title, "%s %zu nodes (%s)", drain ? "Drain" : "Resume", p->n,
		         p->scope);
	struct dialog *d = op_dialog(o, p, title);
	if (p->n > 1)
		dialog_body_addf(d, THEME_TEXT, "Nodes: %s", names);
	if (drain) {
		blast_radius(o, p, d);
		partition_share(o, p, d);
		dialog_buttons(d, "Drain", "No");
	} else {
		dialog_body_add(d, THEME_TEXT, "Returns the nodes to service: the scheduler may start jobs on them.");
		dialog_buttons(d, "Resume", "No");
	}
	drain_incident(o, p, d);
	if (p->proposal)
		dialog_body_addf(d, THEME_WARN, "Proposed by the adapter (policy %s): %s", p->policy, p->proposal);
	p->f_reason = dialog_add_text(d, "Reason", p->proposal ? p->proposal : "", DIALOG_REQUIRED,
	                              "a few words: why");
	if (!drain && p->incident) {
		char label[48];
		snprintf(label, sizeof label, "Resolve #%lld", (long long)p->incident);
		static const char *const yn[] = { "no", "yes, the reason is its summary" };
		p->f_resolve = dialog_add_choice(d, label, yn, 2, 0);
	}
	if (drain) {
		char inc[32] = "";
		if (p->incident)
			snprintf(inc, sizeof inc, "%lld", (long long)p->incident);
		p->f_incident = dialog_add_number(d, "Incident #", inc, 0, "optional");
		p->f_resume = dialog_add_text(d, "Resume after", "", 0, "optional, e.g. 4h, 1d");
		static const char *const yn[] = { "no", "yes (admin: past the partition guard rail)" };
		if (o->admin)
			p->f_override = dialog_add_choice(d, "Override", yn, 2, 0);
	}
	if (p->n > 1) {
		char count[32], prompt[64];
		snprintf(count, sizeof count, "%zu", p->n);
		snprintf(prompt, sizeof prompt, "Type %zu to confirm", p->n);
		dialog_require_typed(d, prompt, count);
	}
	dialog_host_push(o->host, d);
	return 0;
}

/* ---- quota ---- */

static void fmt_num(double v, char *buf, size_t n)
{
	if (fabs(v - round(v)) < 0.005)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.2f", v);
}

static int by_submit(const void *pa, const void *pb)
{
	const struct dc_job *a = *(const struct dc_job *const *)pa, *b = *(const struct dc_job *const *)pb;
	if (a->submit_at != b->submit_at)
		return a->submit_at < b->submit_at ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* Which of the tenant's pending jobs the new limit would let start: in
 * submit order, each that fits in the limit minus the GPUs running (and
 * those taken before it). Held jobs and a spent budget start nothing. The
 * quota is not the only gate: placement needs free GPUs, so the free GPUs
 * of their partitions are said beside them. */
static void quota_starts(struct ops *o, const struct dc_tenant *t, const struct dc_quota *q, double g,
                         double h, struct dialog *d)
{
	if (!t->jobs_pending)
		return;
	size_t nj = model_count(o->m, DC_T_JOB), n = 0, held = 0;
	const struct dc_job **pend = xcalloc((size_t)t->jobs_pending + 1, sizeof *pend);
	for (size_t i = 0; i < nj && n < (size_t)t->jobs_pending; i++) {
		const struct dc_job *j = model_row(o->m, DC_T_JOB, i);
		if (j->tenant_id != t->id || j->state != DC_JOB_PENDING)
			continue;
		if (dc_job_held(j))
			held++;
		else
			pend[n++] = j;
	}
	qsort(pend, n, sizeof *pend, by_submit);
	int limit = g > 0 ? (int)g : 0, room = limit - t->gpus_running, gpus = 0;
	size_t fit = 0;
	char list[256] = "", parts[160] = "";
	int64_t seen_part[LIST_MAX] = { 0 };
	size_t nparts = 0;
	bool spent = h > 0 && q->gpu_hours_used >= h; /* 0: no budget, as the scheduler reads it */
	for (size_t i = 0; i < n && !spent; i++) {
		if (pend[i]->gpus > room)
			continue;
		room -= pend[i]->gpus;
		gpus += pend[i]->gpus;
		if (fit++ < LIST_MAX) {
			size_t len = strlen(list);
			snprintf(list + len, sizeof list - len, "%s#%lld %d GPU%s", len ? ", " : "",
			         (long long)pend[i]->id, pend[i]->gpus, pend[i]->gpus == 1 ? "" : "s");
		}
		size_t k = 0;
		while (k < nparts && seen_part[k] != pend[i]->partition_id)
			k++;
		const struct dc_partition *pt = model_partition(o->m, pend[i]->partition_id);
		if (k == nparts && nparts < LIST_MAX && pt) {
			seen_part[nparts++] = pt->id;
			size_t len = strlen(parts);
			snprintf(parts + len, sizeof parts - len, "%s%s %d", len ? ", " : "", pt->name, pt->gpus_free);
		}
	}
	free(pend);
	char heldw[80] = "";
	if (held)
		snprintf(heldw, sizeof heldw, "; %zu held, waiting for a release", held);
	if (spent || !n) {
		dialog_body_addf(d, spent ? THEME_WARN : THEME_DIM, "At %d GPUs: no pending job starts%s%s", limit,
		                 spent ? ": the GPU-hour budget is spent" : "", heldw);
		return;
	}
	if (!fit) {
		dialog_body_addf(d, THEME_DIM, "At %d GPUs: none of %zu pending job%s fits (%d GPU%s running)%s",
		                 limit, n, n == 1 ? "" : "s", t->gpus_running, t->gpus_running == 1 ? "" : "s",
		                 heldw);
		return;
	}
	dialog_body_addf(d, THEME_OK, "At %d GPUs: %zu pending job%s (%d GPU%s) could start: %s%s", limit, fit,
	                 fit == 1 ? "" : "s", gpus, gpus == 1 ? "" : "s", list,
	                 fit > LIST_MAX ? " …" : "");
	dialog_body_addf(d, THEME_DIM, "if the scheduler finds free GPUs for them (free now: %s)%s", parts, heldw);
}

static void quota_body(void *ud, struct dialog *d)
{
	struct ops *o = ud;
	struct op *p = o->open;
	const struct dc_quota *q = model_quota_of(o->m, p->tenant);
	const struct dc_tenant *t = model_tenant(o->m, p->tenant);
	if (!q || !t)
		return;
	dialog_body_clear(d);
	double g = q->gpu_limit, h = q->gpu_hours_budget, s = q->storage_tb;
	dialog_number(d, p->f_gpus, &g);
	dialog_number(d, p->f_hours, &h);
	dialog_number(d, p->f_storage, &s);
	dialog_body_addf(d, THEME_TEXT, "GPUs       %d → %.0f   running %d (%d %s), pending %d %s",
	                 q->gpu_limit, g, t->gpus_running, t->jobs_running,
	                 text_plural(t->jobs_running, "job", "jobs"), t->jobs_pending,
	                 text_plural(t->jobs_pending, "job", "jobs"));
	double left = h - q->gpu_hours_used;
	char burn[80] = "no use in 24 h";
	if (q->burn_gpu_h_day > 0) /* the Tenants view's rate: the mean of the last 24 h */
		snprintf(burn, sizeof burn, "burn %.0f GPU-h/day over 24 h: %.1f days left",
		         q->burn_gpu_h_day, left > 0 ? left / q->burn_gpu_h_day : 0);
	char oh[32], nh[32];
	fmt_num(q->gpu_hours_budget, oh, sizeof oh);
	fmt_num(h, nh, sizeof nh);
	dialog_body_addf(d, THEME_TEXT, "GPU-hours  %s → %s   used %.0f (%s)", oh, nh,
	                 q->gpu_hours_used, burn);
	char os[32], ns[32];
	fmt_num(q->storage_tb, os, sizeof os);
	fmt_num(s, ns, sizeof ns);
	dialog_body_addf(d, THEME_TEXT, "Storage    %s → %s TB   used %.1f TB", os, ns,
	                 q->storage_used_tb);
	if (q->expires_at)
		dialog_body_addf(d, THEME_DIM, "The current limits are time-boxed: they revert in %lld min",
		                 (long long)((q->expires_at - o->now) / 60));
	quota_starts(o, t, q, g, h, d);
	if ((int)g < t->gpus_running)
		dialog_body_addf(d, THEME_QUOTA_OVER,
		                 "Below current use (%d %s running): running jobs keep running; new"
		                 " ones wait with QuotaExceeded", t->gpus_running,
		                 text_plural(t->gpus_running, "GPU", "GPUs"));
	if (h < q->gpu_hours_used)
		dialog_body_add(d, THEME_QUOTA_OVER,
		                "Budget below GPU-hours already used: pending jobs wait with QuotaExceeded");
	const char *pct = model_setting(o->m, "guard.quota_change_pct");
	double lim = pct ? atof(pct) : 50;
	double olds[] = { q->gpu_limit, q->gpu_hours_budget, q->storage_tb }, news[] = { g, h, s };
	for (size_t i = 0; i < 3; i++) {
		if (olds[i] > 0 && fabs(news[i] - olds[i]) / olds[i] * 100 > lim) {
			dialog_body_addf(d, THEME_WARN, "A change of more than %.0f%% needs dcops_admin", lim);
			break;
		}
	}
}

static int open_quota(struct ops *o, struct op *p, struct dc_err *err)
{
	const struct dc_quota *q = model_quota_of(o->m, p->tenant);
	const struct dc_tenant *t = model_tenant(o->m, p->tenant);
	if (!t)
		return dc_err_set(err, "no tenant under the cursor");
	if (!q)
		return dc_err_set(err, "%s has no quota row to adjust", t->name);
	p->version = q->limits_version;
	char title[200];
	snprintf(title, sizeof title, "Adjust quota of %s", t->name);
	struct dialog *d = op_dialog(o, p, title);
	char gl[32], gh[32], st[32];
	snprintf(gl, sizeof gl, "%d", q->gpu_limit);
	fmt_num(q->gpu_hours_budget, gh, sizeof gh);
	fmt_num(q->storage_tb, st, sizeof st);
	p->f_gpus = dialog_add_number(d, "GPU limit", gl, DIALOG_REQUIRED, NULL);
	p->f_hours = dialog_add_number(d, "GPU-hour budget", gh, DIALOG_REQUIRED | DIALOG_DECIMAL, NULL);
	p->f_storage = dialog_add_number(d, "Storage TB", st, DIALOG_REQUIRED | DIALOG_DECIMAL, NULL);
	p->f_reason = dialog_add_text(d, "Reason", "", DIALOG_REQUIRED, "a few words: why");
	p->f_expires = dialog_add_text(d, "Expires after", "", 0, "optional, e.g. 7d: then reverts");
	dialog_buttons(d, "Apply", "No");
	dialog_on_update(d, quota_body);
	quota_body(o, d);
	dialog_host_push(o->host, d);
	return 0;
}

/* ---- jobs ---- */

/* What the server would refuse, said before the dialog opens: an ended
 * job, holding a running or held job, releasing one that is not held, a
 * big running job cancelled without dcops_admin (guard.job_cancel_gpus). */
static int job_refusal(struct ops *o, const struct op *p, const struct dc_job *j, struct dc_err *err)
{
	long long id = (long long)j->id;
	if (j->state != DC_JOB_PENDING && j->state != DC_JOB_RUNNING)
		return dc_err_set(err, "job %lld has ended (%s): nothing to %s", id, dc_job_state_name(j->state),
		                  keys_action_name(p->act) + strlen("job."));
	if (p->act == KA_JOB_HOLD && j->state == DC_JOB_RUNNING)
		return dc_err_set(err, "job %lld is running: only a pending job can be held (C cancels it)", id);
	if (p->act == KA_JOB_HOLD && dc_job_held(j))
		return dc_err_set(err, "job %lld is already held (U releases it)", id);
	if (p->act == KA_JOB_RELEASE && !dc_job_held(j))
		return dc_err_set(err, "job %lld is not held: nothing to release", id);
	const char *g = model_setting(o->m, "guard.job_cancel_gpus");
	int big = g ? atoi(g) : 64;
	if (p->act == KA_JOB_CANCEL && j->state == DC_JOB_RUNNING && j->gpus >= big && !o->admin)
		return dc_err_set(err, "job %lld runs on %d GPUs: cancelling a running job of %d or more needs "
		                  "dcops_admin", id, j->gpus, big);
	return 0;
}

static int open_job(struct ops *o, struct op *p, struct dc_err *err)
{
	const struct dc_job *j = p->job ? model_get(o->m, DC_T_JOB, p->job) : NULL;
	if (!j)
		return dc_err_set(err, "no job under the cursor");
	if (job_refusal(o, p, j, err) == -1)
		return -1;
	static const char *const verbs[] = { [KA_JOB_CANCEL] = "Cancel", [KA_JOB_HOLD] = "Hold",
	                                     [KA_JOB_RELEASE] = "Release" };
	char title[96], dur[16];
	snprintf(title, sizeof title, "%s job %lld", verbs[p->act], (long long)j->id);
	struct dialog *d = op_dialog(o, p, title);
	dialog_body_addf(d, THEME_TEXT, "%s  tenant %s  user %s", j->name ? j->name : "",
	                 tenant_name(o->m, j->tenant_id), j->user_name ? j->user_name : "");
	bool running = j->state == DC_JOB_RUNNING;
	fmt_dur(o->now - (running ? j->start_at : j->submit_at), dur, sizeof dur);
	dialog_body_addf(d, THEME_TEXT, "%d GPU%s, %s for %s%s%s", j->gpus, j->gpus == 1 ? "" : "s",
	                 running ? "running" : dc_job_held(j) ? "held" : "pending", dur,
	                 running ? " on " : j->reason && j->reason[0] ? ", reason " : "",
	                 running ? j->node_list : j->reason ? j->reason : "");
	switch (p->act) {
	case KA_JOB_CANCEL:
		dialog_body_add(d, THEME_WARN, running ? "Ends the job now and frees its GPUs; work since its last "
		                "checkpoint is lost." : "Removes the job from the queue: it never starts.");
		dialog_buttons(d, "Cancel job", "No");
		break;
	case KA_JOB_HOLD:
		dialog_body_add(d, THEME_TEXT, "The job stays pending (JobHeldAdmin) and does not start until released.");
		dialog_buttons(d, "Hold", "No");
		break;
	default:
		dialog_body_add(d, THEME_TEXT, "The job may start again when GPUs and its tenant's quota allow.");
		dialog_buttons(d, "Release", "No");
		break;
	}
	p->f_reason = dialog_add_text(d, "Reason", "", DIALOG_REQUIRED, "a few words: why");
	dialog_host_push(o->host, d);
	return 0;
}

/* ---- incidents ---- */

static const char *const sevs[] = { "1 critical", "2 major", "3 minor", "4 low", "5 info" };

static int open_incident(struct ops *o, struct op *p, struct dc_err *err)
{
	const struct dc_incident *inc = model_get(o->m, DC_T_INCIDENT, p->incident);
	if (p->act != KA_INC_OPEN && !inc)
		return dc_err_set(err, "no incident under the cursor");
	if (inc && inc->state == DC_INC_RESOLVED && p->act != KA_INC_NOTE)
		return dc_err_set(err, "incident #%lld is resolved", (long long)inc->id);
	if (inc && p->act == KA_INC_ACK && inc->state != DC_INC_TRIGGERED)
		return dc_err_set(err, "incident #%lld is %s already (owner %s): A assigns it", (long long)inc->id,
		                  dc_inc_state_name(inc->state), inc->owner && inc->owner[0] ? inc->owner : "nobody");
	if (inc)
		p->version = inc->op_version;
	char title[200];
	if (p->act == KA_INC_OPEN)
		snprintf(title, sizeof title, "Open an incident%s%s", p->n ? " for " : "",
		         p->n ? p->scope : "");
	else
		snprintf(title, sizeof title, "%s incident #%lld",
		         p->act == KA_INC_ACK ? "Acknowledge" : p->act == KA_INC_ASSIGN ? "Assign"
		         : p->act == KA_INC_SEV ? "Change severity of" : p->act == KA_INC_NOTE ? "Note on"
		         : p->act == KA_INC_LINK ? "Link to" : "Resolve", (long long)inc->id);
	struct dialog *d = op_dialog(o, p, title);
	if (inc) {
		dialog_body_addf(d, THEME_TEXT, "sev %d  %s  %s", inc->sev, dc_inc_state_name(inc->state),
		                 inc->title);
		dialog_body_addf(d, THEME_DIM, "owner %s", inc->owner && inc->owner[0] ? inc->owner : "nobody");
	}
	char names[200];
	names_line(p->names, p->n, names, sizeof names);
	switch (p->act) {
	case KA_INC_OPEN:
		p->f_sev = dialog_add_choice(d, "Severity", sevs, DC_ARRAY_LEN(sevs), 2);
		p->f_title = dialog_add_text(d, "Title", p->n == 1 ? p->names[0] : "", DIALOG_REQUIRED,
		                             "what is wrong");
		p->f_impact = dialog_add_text(d, "Impact", "", 0, "optional");
		p->f_nodes = dialog_add_text(d, "Nodes", names, 0, "optional, space-separated");
		p->f_tenants = dialog_add_text(d, "Tenants", "", 0, "optional, names as they are");
		dialog_buttons(d, "Open", "No");
		break;
	case KA_INC_ACK:
		dialog_body_addf(d, THEME_WARN, "You (%s) become the owner.", o->user[0] ? o->user : "?");
		dialog_buttons(d, "Acknowledge", "No");
		break;
	case KA_INC_ASSIGN: {
		/* never offer the owner it has: the server refuses that */
		bool mine = inc->owner && strcmp(inc->owner, o->user) == 0;
		p->f_owner = dialog_add_text(d, "Owner", mine ? "" : o->user, DIALOG_REQUIRED,
		                             inc->owner && inc->owner[0] ? "another operator's role" : "a database role");
		dialog_buttons(d, "Assign", "No");
		break;
	}
	case KA_INC_SEV:
		p->f_sev = dialog_add_choice(d, "Severity", sevs, DC_ARRAY_LEN(sevs),
		                             inc->sev >= 1 && inc->sev <= 5 ? (size_t)inc->sev - 1 : 2);
		p->f_text = dialog_add_text(d, "Reason", "", DIALOG_REQUIRED, "why");
		dialog_buttons(d, "Change", "No");
		break;
	case KA_INC_NOTE:
		p->f_text = dialog_add_text(d, "Note", "", DIALOG_REQUIRED, NULL);
		dialog_buttons(d, "Add", "No");
		break;
	case KA_INC_LINK:
		p->f_nodes = dialog_add_text(d, "Nodes", names, 0, "space-separated");
		p->f_tenants = dialog_add_text(d, "Tenants", "", 0, "names as they are, e.g. Acme Research");
		dialog_buttons(d, "Link", "No");
		break;
	default:
		p->f_text = dialog_add_text(d, "Summary", "", DIALOG_REQUIRED, "what happened, what fixed it");
		dialog_buttons(d, "Resolve", "No");
		break;
	}
	dialog_host_push(o->host, d);
	return 0;
}

/* Drain or resume from an incident: its linked nodes. */
#define PROPOSAL_MAX 64

/* Draining from an incident that proposes a drain accepts the proposal:
 * its nodes still active, its reason (naming the Xid) filled in. */
static bool incident_proposal(struct ops *o, struct op *p, const struct dc_incident *inc)
{
	int64_t ids[PROPOSAL_MAX];
	size_t k = p->act == KA_DRAIN ? model_incident_proposal(o->m, inc, ids, PROPOSAL_MAX) : 0;
	if (!k)
		return false;
	op_set_nodes(p, o->m, ids, k);
	p->proposal = xstrdup(inc->proposed_reason ? inc->proposed_reason : "");
	p->policy = xstrdup(inc->proposed_policy ? inc->proposed_policy : "");
	snprintf(p->scope, sizeof p->scope, "proposed by incident #%lld", (long long)inc->id);
	return true;
}

static int incident_nodes(struct ops *o, struct op *p, struct dc_err *err)
{
	const struct dc_incident *inc = model_get(o->m, DC_T_INCIDENT, p->incident);
	if (!inc)
		return dc_err_set(err, "no incident under the cursor");
	if (incident_proposal(o, p, inc))
		return 0;
	char **words;
	size_t n = split_words(inc->nodes, &words);
	int64_t *ids = xcalloc(n ? n : 1, sizeof *ids);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct dc_node *nd = node_by_name(o->m, words[i]);
		if (nd)
			ids[k++] = nd->id;
	}
	words_free(words, n);
	if (!k) {
		free(ids);
		return dc_err_set(err, "incident #%lld names no node: link one first", (long long)inc->id);
	}
	op_set_nodes(p, o->m, ids, k);
	free(ids);
	snprintf(p->scope, sizeof p->scope, "incident #%lld", (long long)inc->id);
	return 0;
}

/* ---- shifts, handover and drills ---- */

static const struct dc_shift *open_shift_of(const struct dc_model *m, const char *user)
{
	for (size_t i = 0; i < model_count(m, DC_T_SHIFT); i++) {
		const struct dc_shift *s = model_row(m, DC_T_SHIFT, i);
		if (!s->ended_at && strcmp(s->operator_, user) == 0)
			return s;
	}
	return NULL;
}

static const struct dc_handover_note *note_of(const struct dc_model *m, int64_t shift)
{
	for (size_t i = 0; i < model_count(m, DC_T_HANDOVER_NOTE); i++) {
		const struct dc_handover_note *n = model_row(m, DC_T_HANDOVER_NOTE, i);
		if (n->shift_id == shift)
			return n;
	}
	return NULL;
}

/* What the end-of-shift dialog says about the note: ask for one only when
 * there is none. */
static void shift_note_line(struct ops *o, struct dialog *d, const struct dc_shift *mine)
{
	const struct dc_handover_note *n = note_of(o->m, mine->id);
	char when[32];
	if (!n) {
		dialog_body_add(d, THEME_WARN, "No handover note yet: write it (n) before you go.");
	} else if (n->signed_off_at) {
		dialog_body_addf(d, THEME_OK, "Your handover note is signed off by %s.", n->signed_off_by);
	} else {
		fmt_time(n->updated_at, when, sizeof when);
		dialog_body_addf(d, THEME_OK, "Your handover note is written (%s); n edits it.", when);
	}
}

static int open_handover(struct ops *o, struct op *p, struct dc_err *err)
{
	const struct dc_shift *mine = open_shift_of(o->m, o->user);
	struct dialog *d;
	char when[32];
	if (p->act == KA_SHIFT) {
		p->shift_open = mine != NULL;
		d = op_dialog(o, p, mine ? "End your shift" : "Start a shift");
		if (mine) {
			fmt_time(mine->started_at, when, sizeof when);
			dialog_body_addf(d, THEME_TEXT, "Shift %lld of %s, since %s.", (long long)mine->id,
			                 mine->operator_, when);
			shift_note_line(o, d, mine);
			dialog_buttons(d, "End shift", "No");
		} else {
			dialog_body_addf(d, THEME_TEXT, "You (%s) go on call from now.", o->user[0] ? o->user : "?");
			dialog_body_add(d, THEME_DIM, "ECC counters are marked now: the report shows what rises.");
			dialog_buttons(d, "Start shift", "No");
		}
	} else if (p->act == KA_HANDOVER_NOTE) {
		p->shift = mine ? mine->id : 0;
		const struct dc_handover_note *n = mine ? note_of(o->m, mine->id) : NULL;
		if (n && n->signed_off_at)
			return dc_err_set(err, "%s signed off the handover of shift %lld: its note is final",
			                  n->signed_off_by, (long long)mine->id);
		d = op_dialog(o, p, "Handover note");
		if (mine)
			dialog_body_addf(d, THEME_TEXT, "For the incoming operator: shift %lld of %s.",
			                 (long long)mine->id, mine->operator_);
		else
			dialog_body_add(d, THEME_WARN, "You have no open shift: the rota's slot becomes yours.");
		/* several lines: Enter starts a new one, Tab goes to Save */
		p->f_text = dialog_add_textarea(d, "Note", n ? n->body : "", DIALOG_REQUIRED,
		                                "open work, risks, what to watch (Enter: new line)", 6, 8000);
		dialog_buttons(d, "Save", "No");
	} else {
		const struct dc_handover_note *n = note_of(o->m, p->shift);
		if (!p->shift || !n)
			return dc_err_set(err, "no handover note to sign off yet");
		if (n->signed_off_at)
			return dc_err_set(err, "already signed off by %s", n->signed_off_by);
		const struct dc_shift *s = model_get(o->m, DC_T_SHIFT, p->shift);
		if (strcmp(n->author, o->user) == 0 || (s && strcmp(s->operator_, o->user) == 0))
			return dc_err_set(err, "you handed shift %lld over: the incoming operator signs it off",
			                  (long long)p->shift);
		d = op_dialog(o, p, "Sign off the handover");
		dialog_body_addf(d, THEME_TEXT, "Shift %lld, note by %s:", (long long)p->shift, n->author);
		for (const char *b = n->body; b;) {
			const char *nl = strchr(b, '\n');
			char *line = nl ? xstrndup(b, (size_t)(nl - b)) : xstrdup(b);
			dialog_body_add(d, THEME_DIM, line);
			free(line);
			b = nl ? nl + 1 : NULL;
		}
		dialog_body_addf(d, THEME_WARN, "You (%s) take over the open work.", o->user[0] ? o->user : "?");
		dialog_buttons(d, "Sign off", "No");
	}
	dialog_host_push(o->host, d);
	return 0;
}

static int open_drill(struct ops *o, struct op *p, const struct view_target *t, struct dc_err *err)
{
	struct dialog *d;
	if (p->act == KA_DRILL_STOP) {
		const struct dc_drill_run *r = model_get(o->m, DC_T_DRILL_RUN, p->drill);
		if (!r || strcmp(r->status, "running") != 0)
			return dc_err_set(err, "no drill is running");
		d = op_dialog(o, p, "Stop the drill");
		dialog_body_addf(d, THEME_TEXT, "Drill %lld: %s (%s), started by %s.", (long long)r->id,
		                 r->title, r->scenario, r->started_by);
		dialog_body_add(d, THEME_WARN, "Expectations not decided yet count as missed.");
		dialog_buttons(d, "Stop", "No");
		dialog_host_push(o->host, d);
		return 0;
	}
	const struct drill_entry *e = t->scenario;
	if (!e)
		return dc_err_set(err, "no scenario under the cursor");
	if (e->error)
		return dc_err_set(err, "%s", e->error);
	if (p->drill)
		return dc_err_set(err, "drill %lld is running: stop it first (X)", (long long)p->drill);
	p->scenario = xstrdup(e->name);
	p->spec = xstrdup(e->spec);
	p->seed = e->seed;
	p->speed = e->speed;
	char title[160];
	snprintf(title, sizeof title, "Start drill %s", e->name);
	d = op_dialog(o, p, title);
	dialog_body_add(d, THEME_TITLE, e->title);
	dialog_body_add(d, THEME_TEXT, e->briefing);
	dialog_body_addf(d, THEME_DIM, "%d %s, %d %s, speed %g (seed %lld).", e->events,
	                 text_plural(e->events, "event", "events"), e->expectations,
	                 text_plural(e->expectations, "expectation", "expectations"), e->speed,
	                 (long long)e->seed);
	dialog_body_add(d, THEME_WARN, "Drill incidents and actions are tagged; production databases refuse.");
	dialog_buttons(d, "Start", "No");
	dialog_host_push(o->host, d);
	return 0;
}

int ops_start(struct ops *o, enum key_action a, const struct view_target *t, int64_t now,
              struct dc_err *err)
{
	if (o->open)
		return dc_err_set(err, "a dialog is already open");
	if (writer_busy(o->w))
		return dc_err_set(err, "%s is still in flight; wait for its answer", o->sending);
	o->now = now;
	struct op *p = op_new(a, t);
	op_set_nodes(p, o->m, t->nodes, t->n_nodes);
	int rc;
	if (a == KA_DRAIN || a == KA_RESUME) {
		rc = p->n || !p->incident ? 0 : incident_nodes(o, p, err);
		if (rc == 0 && !p->n)
			rc = dc_err_set(err, "no node selected");
		if (rc == 0)
			rc = open_drain(o, p, err);
	} else if (a == KA_QUOTA) {
		rc = open_quota(o, p, err);
	} else if (is_job_act(a)) {
		rc = open_job(o, p, err);
	} else if (a == KA_SHIFT || a == KA_HANDOVER_NOTE || a == KA_SIGN_OFF) {
		rc = open_handover(o, p, err);
	} else if (a == KA_DRILL_START || a == KA_DRILL_STOP) {
		rc = open_drill(o, p, t, err);
	} else {
		rc = open_incident(o, p, err);
	}
	if (rc == -1) {
		o->open = NULL;
		op_free(p);
	}
	return rc;
}
