/* link.c — see link.h. */
#include "link.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh/ssh-exec.h"
#include "ssh/ssh-session.h"
#include "ssh/ssh-tunnel.h"
#include "ssh/ssh-validate.h"
#include "store.h"
#include "text.h"

#define NODE_TEMPLATE "{node}"

struct link_run {
	struct link *k;
	struct ssh_exec *x;
	struct link_run_cbs cbs;
	void *ud;
	char node[SSH_HOST_MAX + 1];
	const struct link_diag *diag;
	int64_t started_ms;
};

struct link {
	struct loop *loop;
	struct ssh_conn *conn;
	struct ssh_tunnel *tunnel;
	struct store *store;
	link_changed_fn cb;
	void *ud;
	char *conninfo;
	char db_target[128];
	char error[512];
	bool accepted_new;
	/* for the node sessions of diagnostics */
	char user[SSH_USER_MAX + 1];
	char *node_host;
	int node_port;
	const char *ids[2];
	char *identity, *known_hosts;
	bool accept_new, no_agent;
	int diag_deadline_ms;
	struct ssh_diag *table;
	struct link_diag *diags;
	size_t ndiags;
	struct link_run *run;     /* the run whose questions are asked (the latest) */
};

static void changed(struct link *k)
{
	if (k->cb)
		k->cb(k->ud);
}

/* ---- states ---- */

static enum link_state map_state(enum ssh_conn_state st)
{
	switch (st) {
	case SSH_CONN_IDLE: return LINK_OFF;
	case SSH_CONN_CONNECTING: return LINK_CONNECTING;
	case SSH_CONN_NEEDS_HOSTKEY: return LINK_NEEDS_HOSTKEY;
	case SSH_CONN_AUTHENTICATING: return LINK_AUTHENTICATING;
	case SSH_CONN_NEEDS_PASSPHRASE: return LINK_NEEDS_SECRET;
	case SSH_CONN_UP: return LINK_UP;
	case SSH_CONN_DOWN: return LINK_DOWN;
	case SSH_CONN_FAILED: return LINK_FAILED;
	}
	return LINK_OFF;
}

const char *link_state_name(enum link_state st)
{
	static const char *const names[] = {
		[LINK_OFF] = "OFF", [LINK_CONNECTING] = "CONNECTING",
		[LINK_NEEDS_HOSTKEY] = "needs host key", [LINK_AUTHENTICATING] = "AUTH",
		[LINK_NEEDS_SECRET] = "needs passphrase", [LINK_UP] = "UP", [LINK_DOWN] = "DOWN",
		[LINK_FAILED] = "FAILED",
	};
	return (unsigned)st < DC_ARRAY_LEN(names) ? names[st] : "?";
}

static void on_state(struct ssh_conn *c, enum ssh_conn_state st, const char *msg, void *ud)
{
	(void)c;
	struct link *k = ud;
	if (strstr(msg, "(--ssh-accept-new)")) {
		k->accepted_new = true;
		text_putline(stderr, "dcops: %s", msg);
	}
	if (st == SSH_CONN_UP) {
		k->error[0] = '\0';
		if (k->store)
			store_retry(k->store);
	}
	changed(k);
}

static void on_tunnel_error(struct ssh_tunnel *t, const char *msg, void *ud)
{
	(void)t;
	struct link *k = ud;
	/* a forward cut because the link went down says nothing new */
	if (ssh_conn_state(k->conn) != SSH_CONN_UP)
		return;
	snprintf(k->error, sizeof k->error, "%s", msg);
	changed(k);
}

/* ---- composing the settings ---- */

/* The conninfo's keywords minus where the server is (host and port go to
 * dbhost and *dbport unless already set; hostaddr is dropped). */
static char *conninfo_rest(const char *conninfo, char *dbhost, size_t dbhost_n, int *dbport,
			   struct dc_err *err)
{
	struct sb sb = { 0 };
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo && *conninfo ? conninfo : "", &perr);
	if (!opts) {
		dc_err_set(err, "database connection string: %s", perr ? perr : "out of memory");
		PQfreemem(perr);
		return NULL;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (strcmp(o->keyword, "host") == 0) {
			if (!dbhost[0])
				snprintf(dbhost, dbhost_n, "%s", o->val);
			continue;
		}
		if (strcmp(o->keyword, "port") == 0) {
			if (!*dbport)
				*dbport = atoi(o->val);
			continue;
		}
		if (strcmp(o->keyword, "hostaddr") == 0)
			continue;
		sb_appendf(&sb, "%s='", o->keyword);
		for (const char *p = o->val; *p; p++) {
			if (*p == '\'' || *p == '\\')
				sb_append(&sb, "\\");
			sb_appendn(&sb, p, 1);
		}
		sb_append(&sb, "' ");
	}
	PQconninfoFree(opts);
	return sb_take(&sb);
}

/* The database as the bastion sees it: a TCP host, or a socket path. */
static int db_target(const char *host, int port, char *out, size_t n, struct dc_err *err)
{
	if (!host[0])
		host = "127.0.0.1";
	if (strchr(host, ','))
		return dc_err_set(err, "--ssh carries one database server; \"%s\" names several (set db_host "
				  "in the profile's ssh object)", host);
	int len = host[0] == '/' && !strstr(host, "/.s.PGSQL.")
	        ? snprintf(out, n, "%s/.s.PGSQL.%d", host, port)
	        : snprintf(out, n, "%s", host);
	if (len < 0 || (size_t)len >= n)
		return dc_err_set(err, "database host \"%.40s...\" is longer than %zu characters", host,
		                  n - 1);
	return 0;
}

static int diag_table(struct link *k, const struct link_opts *o, struct dc_err *err)
{
	size_t n = o->diags ? o->ndiags : ssh_diag_ndefaults;
	k->table = xcalloc(n ? n : 1, sizeof *k->table);
	k->diags = xcalloc(n ? n : 1, sizeof *k->diags);
	k->ndiags = n;
	for (size_t i = 0; i < n; i++) {
		if (o->diags) {
			const struct config_diag *d = &o->diags[i];
			k->table[i] = (struct ssh_diag){ d->name, d->label ? d->label : d->name, d->command,
				d->nvsmi_csv };
		} else {
			k->table[i] = ssh_diag_defaults[i];
		}
		k->diags[i] = (struct link_diag){ k->table[i].name, k->table[i].label, k->table[i].nvsmi_csv };
	}
	return ssh_diag_check(k->table, n, err);
}

struct link *link_new(struct loop *l, const struct link_opts *o, link_changed_fn cb, void *ud,
		      struct dc_err *err)
{
	const struct config_ssh *p = o->prof;
	struct ssh_target t = { .port = 22 };
	if (o->ssh) {
		if (ssh_target_parse(o->ssh, &t, err) < 0)
			return NULL;
	} else if (p && p->host) {
		if (ssh_validate_host(p->host, err) < 0)
			return NULL;
		snprintf(t.host, sizeof t.host, "%s", p->host);
		t.port = p->port ? p->port : 22;
	} else {
		dc_err_set(err, "no bastion: give --ssh user@host[:port] or an ssh host in the profile");
		return NULL;
	}
	if (!t.user[0] && p && p->user) {
		if (ssh_validate_user(p->user, err) < 0)
			return NULL;
		snprintf(t.user, sizeof t.user, "%s", p->user);
	}
	struct link *k = xcalloc(1, sizeof *k);
	k->loop = l;
	k->cb = cb;
	k->ud = ud;
	k->accept_new = o->accept_new;
	k->no_agent = o->no_agent;
	k->diag_deadline_ms = o->diag_deadline_ms;
	snprintf(k->user, sizeof k->user, "%s", t.user);
	k->node_host = xstrdup(p && p->node_host ? p->node_host : NODE_TEMPLATE);
	k->node_port = p && p->node_port ? p->node_port : 22;
	if (p && p->identity_file) {
		k->identity = xstrdup(p->identity_file);
		k->ids[0] = k->identity;
	}
	k->known_hosts = p && p->known_hosts ? xstrdup(p->known_hosts) : NULL;
	if (diag_table(k, o, err) < 0)
		goto fail;

	struct ssh_conn_opts co = {
		.host = t.host,
		.port = t.port,
		.user = t.user[0] ? t.user : NULL,
		.identities = k->identity ? k->ids : NULL,
		.known_hosts = k->known_hosts,
		.password_auth = p && p->password_auth,
		.process_config = p && p->read_ssh_config,
		.accept_new = o->accept_new,
		.no_agent = o->no_agent,
		.reconnect = !o->once,
		.keepalive_ms = o->keepalive_ms ? o->keepalive_ms : 2000,
		.dead_ms = o->dead_ms ? o->dead_ms : 6000,
	};
	k->conn = ssh_conn_new(l, &co, on_state, k, err);
	if (!k->conn)
		goto fail;

	/* the profile's db_host and db_port win over the conninfo's */
	char host[512] = "";
	int port = p && p->db_port ? p->db_port : 0;
	if (p && p->db_host)
		snprintf(host, sizeof host, "%s", p->db_host);
	char *rest = conninfo_rest(o->conninfo, host, sizeof host, &port, err);
	if (!rest)
		goto fail;
	if (!port)
		port = 5432;
	if (db_target(host, port, k->db_target, sizeof k->db_target, err) < 0) {
		free(rest);
		goto fail;
	}
	k->tunnel = ssh_tunnel_open(k->conn, k->db_target, port, 0, on_tunnel_error, k, err);
	if (k->tunnel)
		k->conninfo = xasprintf("%shost='%s' port=%d", rest, ssh_tunnel_dir(k->tunnel),
					ssh_tunnel_port(k->tunnel));
	free(rest);
	if (!k->tunnel)
		goto fail;
	if (k->db_target[0] != '/') {
		size_t len = strlen(k->db_target);
		snprintf(k->db_target + len, sizeof k->db_target - len, ":%d", port);
	}
	return k;
fail:
	link_free(k);
	return NULL;
}

void link_free(struct link *k)
{
	if (!k)
		return;
	if (k->run) {
		struct link_run *r = k->run;
		ssh_exec_free(r->x);
		r->x = NULL;
		r->k = NULL;
	}
	ssh_tunnel_close(k->tunnel);
	ssh_conn_free(k->conn);
	free(k->conninfo);
	free(k->node_host);
	free(k->identity);
	free(k->known_hosts);
	free(k->table);
	free(k->diags);
	free(k);
}

void link_start(struct link *k)
{
	ssh_conn_start(k->conn);
}

void link_retry(struct link *k)
{
	if (ssh_conn_state(k->conn) == SSH_CONN_FAILED || ssh_conn_state(k->conn) == SSH_CONN_DOWN)
		ssh_conn_start(k->conn);
}

void link_set_store(struct link *k, struct store *s)
{
	k->store = s;
}

const char *link_conninfo(const struct link *k)
{
	return k->conninfo;
}

enum link_state link_state(const struct link *k)
{
	return map_state(ssh_conn_state(k->conn));
}

const char *link_target(const struct link *k)
{
	return ssh_conn_target(k->conn);
}

const char *link_message(const struct link *k)
{
	return ssh_conn_message(k->conn);
}

const char *link_error(const struct link *k)
{
	return k->error;
}

const char *link_db_target(const struct link *k)
{
	return k->db_target;
}

bool link_writable(const struct link *k)
{
	return !k || ssh_conn_state(k->conn) == SSH_CONN_UP;
}

bool link_accepted_new(const struct link *k)
{
	return k->accepted_new;
}

size_t link_forwards(const struct link *k)
{
	return ssh_tunnel_active(k->tunnel);
}

/* ---- questions ---- */

static void question_of(struct ssh_conn *c, const char *who, struct link_question *q)
{
	enum ssh_conn_state st = ssh_conn_state(c);
	if (st != SSH_CONN_NEEDS_HOSTKEY && st != SSH_CONN_NEEDS_PASSPHRASE)
		return;
	q->kind = st == SSH_CONN_NEEDS_HOSTKEY ? LINK_ASK_HOSTKEY : LINK_ASK_SECRET;
	q->id = c;
	snprintf(q->who, sizeof q->who, "%s", who);
	const struct ssh_conn_hostkey *hk = ssh_conn_hostkey(c);
	snprintf(q->host, sizeof q->host, "%s", hk->host);
	snprintf(q->type, sizeof q->type, "%s", hk->type);
	snprintf(q->fingerprint, sizeof q->fingerprint, "%s", hk->fingerprint);
	snprintf(q->file, sizeof q->file, "%s", hk->file);
	snprintf(q->note, sizeof q->note, "%s", hk->note);
	const char *pr = ssh_conn_prompt(c);
	snprintf(q->prompt, sizeof q->prompt, "%s", pr ? pr : "");
}

void link_question(const struct link *k, struct link_question *q)
{
	memset(q, 0, sizeof *q);
	char who[96];
	snprintf(who, sizeof who, "bastion %s", ssh_conn_target(k->conn));
	question_of(k->conn, who, q);
	if (q->kind == LINK_ASK_NONE && k->run && k->run->x) {
		snprintf(who, sizeof who, "node %s", k->run->node);
		question_of(ssh_exec_conn(k->run->x), who, q);
	}
}

/* The session id names, if it is still there. */
static struct ssh_conn *asker(struct link *k, const void *id)
{
	if (id == k->conn)
		return k->conn;
	if (k->run && k->run->x && id == ssh_exec_conn(k->run->x))
		return ssh_exec_conn(k->run->x);
	return NULL;
}

void link_answer_hostkey(struct link *k, const void *id, bool yes)
{
	struct ssh_conn *c = asker(k, id);
	if (c)
		ssh_conn_answer_hostkey(c, yes);
}

void link_give_secret(struct link *k, const void *id, const char *secret)
{
	struct ssh_conn *c = asker(k, id);
	if (c)
		ssh_conn_give_secret(c, secret);
}

/* ---- diagnostics ---- */

size_t link_diag_count(const struct link *k)
{
	return k->ndiags;
}

const struct link_diag *link_diag_at(const struct link *k, size_t i)
{
	return i < k->ndiags ? &k->diags[i] : NULL;
}

static void x_state(struct ssh_exec *x, enum ssh_conn_state st, const char *msg, void *ud)
{
	(void)x, (void)st;
	struct link_run *r = ud;
	if (r->cbs.state)
		r->cbs.state(r->ud, msg);
	if (r->k)
		changed(r->k);
}

static void x_output(struct ssh_exec *x, const char *data, size_t len, bool is_stderr, void *ud)
{
	(void)x;
	struct link_run *r = ud;
	if (r->cbs.output)
		r->cbs.output(r->ud, data, len, is_stderr);
}

static void x_done(struct ssh_exec *x, const struct ssh_exec_result *res, void *ud)
{
	(void)x;
	struct link_run *r = ud;
	struct link_run_result out = {
		.exit_status = res->exit_status,
		.timed_out = res->timed_out,
		.truncated = res->truncated,
		.bytes = res->bytes,
		.ms = dc_mono_ms() - r->started_ms,
		.error = res->error,
	};
	snprintf(out.exit_signal, sizeof out.exit_signal, "%s", res->exit_signal);
	if (r->k)
		changed(r->k);
	if (r->cbs.done)
		r->cbs.done(r->ud, &out);
}

/* node_host with {node} replaced by the validated node name. */
static int node_address(const struct link *k, const char *node, char *out, size_t n, struct dc_err *err)
{
	if (ssh_validate_host(node, err) < 0)
		return -1;
	const char *at = strstr(k->node_host, NODE_TEMPLATE);
	if (at)
		snprintf(out, n, "%.*s%s%s", (int)(at - k->node_host), k->node_host, node,
			 at + strlen(NODE_TEMPLATE));
	else
		snprintf(out, n, "%s", k->node_host);
	return ssh_validate_host(out, err);
}

int link_node_check(const struct link *k, const char *node, struct dc_err *err)
{
	char addr[256];
	return node_address(k, node, addr, sizeof addr, err);
}

struct link_run *link_run_start(struct link *k, const char *node, const char *diag,
				const struct link_run_cbs *cbs, void *ud, struct dc_err *err)
{
	char addr[256];
	if (node_address(k, node, addr, sizeof addr, err) < 0)
		return NULL;
	if (ssh_conn_state(k->conn) != SSH_CONN_UP) {
		dc_err_set(err, "SSH to %s is %s: diagnostics need the link UP", ssh_conn_target(k->conn),
			   ssh_conn_state_name(ssh_conn_state(k->conn)));
		return NULL;
	}
	const struct ssh_diag *d = ssh_diag_find(k->table, k->ndiags, diag, err);
	if (!d)
		return NULL;
	struct link_run *r = xcalloc(1, sizeof *r);
	r->k = k;
	r->cbs = *cbs;
	r->ud = ud;
	r->diag = &k->diags[d - k->table];
	r->started_ms = dc_mono_ms();
	snprintf(r->node, sizeof r->node, "%s", node);
	struct ssh_exec_opts xo = {
		.bastion = k->conn,
		.node = addr,
		.node_port = k->node_port,
		.user = k->user[0] ? k->user : NULL,
		.identities = k->identity ? k->ids : NULL,
		.known_hosts = k->known_hosts,
		.accept_new = k->accept_new,
		.no_agent = k->no_agent,
		.table = k->table,
		.ntable = k->ndiags,
		.diag = diag,
		.deadline_ms = k->diag_deadline_ms,
	};
	static const struct ssh_exec_cbs xcbs = { x_state, x_output, x_done };
	r->x = ssh_exec_start(k->loop, &xo, &xcbs, r, err);
	if (!r->x) {
		free(r);
		return NULL;
	}
	if (k->run)
		k->run->k = NULL;
	k->run = r;
	return r;
}

const struct link_diag *link_run_diag(const struct link_run *r)
{
	return r->diag;
}

const char *link_run_node(const struct link_run *r)
{
	return r->node;
}

void link_run_cancel(struct link_run *r)
{
	if (r->x)
		ssh_exec_cancel(r->x);
}

void link_run_free(struct link_run *r)
{
	if (!r)
		return;
	if (r->k && r->k->run == r)
		r->k->run = NULL;
	ssh_exec_free(r->x);
	free(r);
}
