/* site.c — one site the console holds (site.h): setting it up from its
 * profile, and what the Sites view and the header read of it. */
#include "site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conninfo.h"
#include "ops.h"
#include "ssh-ui.h"
#include "writer.h"

int site_names(const char *list, char names[][64], size_t *n, struct dc_err *err)
{
	*n = 0;
	for (const char *p = list;; p++) {
		size_t len = strcspn(p, ",");
		if (len == 0)
			return dc_err_set(err, "--sites %s: an empty site name (expected NAME,NAME,...)", list);
		if (len >= 64)
			return dc_err_set(err, "--sites: the name '%.20s...' is longer than 63 bytes", p);
		if (*n == CONFIG_MAX_SITES)
			return dc_err_set(err, "--sites: more than %d sites", CONFIG_MAX_SITES);
		snprintf(names[*n], 64, "%.*s", (int)len, p);
		for (size_t i = 0; i < *n; i++)
			if (strcmp(names[i], names[*n]) == 0)
				return dc_err_set(err, "--sites: '%s' is named twice", names[i]);
		(*n)++;
		p += len;
		if (!*p)
			return 0;
	}
}

/* The profile's settings: its database, and where its mode starts. */
static int site_profile(struct site *s, const char *name, const char *db, struct dc_err *err)
{
	const struct config *cfg = s->opts.cfg;
	if (name)
		s->opts.profile = name;
	const struct config_profile *p = config_profile(cfg, s->opts.profile);
	if (name && !p && !db)
		return dc_err_set(err, "site %s: no such profile in %s", name,
		                  cfg->path ? cfg->path : "the config");
	if (db)
		s->opts.db = db;
	else if (p && (name || !s->opts.db))
		s->opts.db = p->db;
	if (name && !s->opts.db)
		return dc_err_set(err, "site %s: profiles.%s has no \"db\"", name, name);
	const char *both = config_write_ssh_conflict(p, s->opts.ssh, s->opts.write_db);
	if (both)
		return dc_err_set(err, "%s%s%s%s cannot be used with SSH: the tunnel reaches one database server",
		                  name ? "site " : "", name ? name : "", name ? ": " : "", both);
	if (!p)
		return 0;
	if (!s->opts.write_db)
		s->opts.write_db = p->write_db;
	/* a relay serves one database: a named site takes only its own */
	if (name || !s->opts.relay)
		s->opts.relay = p->relay;
	/* a production profile's "readonly" is where it starts: W arms writes */
	s->opts.readonly = s->opts.readonly || (p->readonly && !p->production);
	s->production = p->production;
	if (p->write_window_minutes > 0)
		s->write_minutes = p->write_window_minutes;
	return 0;
}

struct site *site_new(struct loop *l, struct dialog_host *dh, const struct dc_opts *base,
                      const char *name, const char *db, const struct site_hooks *h, void *owner,
                      struct dc_err *warn, struct dc_err *err)
{
	struct site *s = xcalloc(1, sizeof *s);
	s->opts = *base;
	s->owner = owner;
	s->write_minutes = 15;
	warn->msg[0] = '\0';
	snprintf(s->name, sizeof s->name, "%s", name ? name : "");
	if (site_profile(s, name ? s->name : NULL, db, err) == -1) {
		free(s);
		return NULL;
	}
	s->readonly = s->opts.readonly;
	s->conninfo = db_resolve(&s->opts, NULL);
	s->m = model_new();
	/* with SSH, the database (store and writer) is reached through its tunnel */
	s->ssh = ssh_ui_new(l, dh, &s->opts, s->opts.cfg, s->conninfo, h->ssh_changed, s, warn);
	if (s->ssh) {
		free(s->conninfo);
		s->conninfo = xstrdup(ssh_ui_conninfo(s->ssh));
	} else if (warn->msg[0]) {
		char why[sizeof warn->msg];
		snprintf(why, sizeof why, "%s", warn->msg);
		dc_err_set(warn, "ssh: %s", why);
	}
	/* writes go to the primary; through a bastion, to the tunnel's one server */
	struct dc_err werr;
	char *wconninfo = s->ssh ? xstrdup(s->conninfo) : db_resolve_write(&s->opts, &werr);
	if (!wconninfo) {
		if (!warn->msg[0])
			dc_err_set(warn, "writes: %s", werr.msg);
		wconninfo = xstrdup(s->conninfo);
	}
	s->writes_here = strcmp(wconninfo, s->conninfo) == 0;
	struct writer_opts wo = { .conninfo = wconninfo, .readonly = s->readonly };
	s->writer = writer_new(l, &wo);
	s->write_conninfo = wconninfo;
	s->ops = ops_new(s->m, dh, s->writer, h->msg, s);
	if (name)
		ops_set_site(s->ops, s->name);
	struct store_opts so = { .conninfo = s->conninfo, .readonly = s->readonly, .relay = s->opts.relay };
	struct store_callbacks cb = { h->changed, h->status, s };
	s->store = store_new(l, s->m, &so, &cb);
	if (s->ssh)
		ssh_ui_set_store(s->ssh, s->store);
	return s;
}

void site_start(struct site *s)
{
	if (s->ssh)
		ssh_ui_start(s->ssh);
	store_start(s->store);
}

void site_free(struct site *s)
{
	if (!s)
		return;
	writer_free(s->writer);   /* first: drops a call in flight without calling back */
	ops_free(s->ops);
	ssh_ui_free(s->ssh);      /* before the store it borrows */
	store_free(s->store);
	model_free(s->m);
	free(s->conninfo);
	free(s->write_conninfo);
	free(s);
}

/* An adapter that went quiet for 3 of its report intervals (and 5 s more,
 * for the delivery) is DOWN too: it may have died without a word. */
const char *site_adapter_trouble(const struct dc_model *m, int64_t now)
{
	const char *state = model_setting(m, "adapter.state");
	if (!state)
		return NULL;
	if (strcmp(state, "up") != 0)
		return strcmp(state, "stopped") == 0 ? "STOPPED" : "DOWN";
	const char *hb = model_setting(m, "adapter.heartbeat");
	const char *iv = model_setting(m, "adapter.interval_s");
	if (hb && iv && now - atoll(hb) > 3 * atoll(iv) + 5)
		return "DOWN";
	return NULL;
}

int64_t site_quotas_stale(const struct dc_model *m, const char **why)
{
	const char *state = model_setting(m, "accounting.state"), *since = model_setting(m, "accounting.since");
	const char *adapter = model_setting(m, "adapter.name");
	/* only the Slurm adapter reports accounting: a database that runs the
	 * simulator after a Slurm adapter left "down" behind is current */
	if (!state || strcmp(state, "down") != 0 || !adapter || strcmp(adapter, "slurm") != 0)
		return 0;
	if (why)
		*why = model_setting(m, "accounting.error");
	if (why && !*why)
		*why = "";
	int64_t t = since ? atoll(since) : 0;
	return t > 0 ? t : 1;
}

int64_t site_data_at(const struct dc_model *m, const struct store_status *st, int64_t now)
{
	int64_t newest = model_newest_report(m);
	int64_t t = newest ? newest : st->last_ok_wall;
	/* an adapter that is up reports after a cycle that read its source:
	 * the data is that fresh even when nothing changed (the Slurm adapter
	 * writes no row for a quiet cluster, so no node's last_seen moves) */
	const char *hb = model_setting(m, "adapter.heartbeat");
	if (!site_adapter_trouble(m, now) && hb && model_setting(m, "adapter.state") && atoll(hb) > t)
		t = atoll(hb);
	return t;
}

static bool inc_open(const struct dc_incident *i)
{
	return i->state != DC_INC_RESOLVED && i->sev >= 1 && i->sev <= 5;
}

void site_summarize(const struct site *s, int64_t now, struct site_summary *out)
{
	static const char *const links[] = { [STORE_CONNECTING] = "CONNECTING", [STORE_UP] = "UP",
		[STORE_DOWN] = "DOWN" };
	*out = (struct site_summary){ 0 };
	const struct store_status *st = store_status(s->store);
	out->link = links[st->link];
	out->down = st->link != STORE_UP;
	if (s->ssh && !ssh_ui_writable(s->ssh)) {
		enum theme_el el;
		out->link = ssh_ui_header(s->ssh, &el);
		out->down = true;
	}
	out->adapter = site_adapter_trouble(s->m, now);
	out->quotas_stale = !out->adapter && site_quotas_stale(s->m, NULL);
	out->data_at = site_data_at(s->m, st, now);
	size_t n = model_count(s->m, DC_T_PARTITION);
	for (size_t i = 0; i < n; i++) {
		const struct dc_partition *p = model_row(s->m, DC_T_PARTITION, i);
		out->nodes += p->nodes;
		out->nodes_down += p->nodes_down;
		out->nodes_drained += p->nodes_drained;
		out->nodes_draining += p->nodes_draining;
		out->gpus_used += p->gpus_used;
		out->gpus_total += p->gpus_total;
		out->jobs_pending += p->jobs_pending;
	}
	n = model_count(s->m, DC_T_INCIDENT);
	for (size_t i = 0; i < n; i++) {
		const struct dc_incident *inc = model_row(s->m, DC_T_INCIDENT, i);
		if (!inc_open(inc))
			continue;
		out->sev[inc->sev]++;
		if (inc->state != DC_INC_TRIGGERED)
			continue;
		out->unacked++;
		if (!out->oldest || inc->opened_at < out->oldest->opened_at)
			out->oldest = inc;
	}
}

int site_sev12(const struct site *s)
{
	int n = 0;
	size_t k = model_count(s->m, DC_T_INCIDENT);
	for (size_t i = 0; i < k; i++) {
		const struct dc_incident *inc = model_row(s->m, DC_T_INCIDENT, i);
		n += inc_open(inc) && inc->sev <= 2;
	}
	return n;
}

/* A site that cannot be seen first, then SEV-1s, SEV-2s, unacknowledged
 * incidents, a silent adapter, the rest by how many incidents are open. */
int site_attention_cmp(const struct site_summary *a, const struct site_summary *b)
{
	int ka[] = { a->down, a->sev[1], a->sev[2], a->unacked, a->adapter != NULL,
		a->sev[3] + a->sev[4] + a->sev[5] };
	int kb[] = { b->down, b->sev[1], b->sev[2], b->unacked, b->adapter != NULL,
		b->sev[3] + b->sev[4] + b->sev[5] };
	for (size_t i = 0; i < DC_ARRAY_LEN(ka); i++)
		if (ka[i] != kb[i])
			return ka[i] > kb[i] ? -1 : 1;
	return 0;
}

bool site_alert_scan(struct site *s)
{
	/* the first load shows what was open already: counted, not news */
	bool news = false, first = !s->alert_ready;
	s->alert_ready = true;
	size_t n = model_count(s->m, DC_T_INCIDENT);
	int64_t max = s->alert_max;
	for (size_t i = 0; i < n; i++) {
		const struct dc_incident *inc = model_row(s->m, DC_T_INCIDENT, i);
		if (inc->id <= s->alert_max)
			continue;
		if (inc->id > max)
			max = inc->id;
		if (!first && inc->sev >= 1 && inc->sev <= 2 && inc->state == DC_INC_TRIGGERED &&
		    inc->id > s->alert_id) {
			s->alert_id = inc->id;
			news = true;
		}
	}
	s->alert_max = max;
	return news;
}

const struct dc_incident *site_alert(const struct site *s)
{
	if (!s->alert_id)
		return NULL;
	const struct dc_incident *inc = model_get(s->m, DC_T_INCIDENT, s->alert_id);
	return inc && inc->state == DC_INC_TRIGGERED ? inc : NULL;
}

void site_alert_seen(struct site *s)
{
	s->alert_id = 0;
}
