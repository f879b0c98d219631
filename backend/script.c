/* script.c — see script.h. */
#include "script.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "conninfo.h"
#include "link.h"
#include "loop.h"
#include "text.h"

struct script {
	struct dc_opts eff;
	char why[200];        /* eff.readonly_why */
	struct loop *loop;    /* with the link; NULL without SSH */
	struct link *link;
	char *db;             /* eff.db through the tunnel */
	char *via, *via_db;   /* eff.via_ssh, eff.via_ssh_db */
	pthread_t pump;
	bool pumping;
	int wake[2];          /* script_close → the pump thread */
	atomic_bool stop;
};

/* The profile under the command line, as the console applies it
 * (tui/app.c apply_config), except that a script has no W key: --write
 * stands for it. */
static void profile_apply(struct script *s, const struct config_profile *p)
{
	struct dc_opts *e = &s->eff;
	if (e->readonly) {
		e->readonly_why = "--readonly is set";
		return;
	}
	if (!p)
		return;
	if (p->readonly && !p->production) {
		snprintf(s->why, sizeof s->why, "profile '%s' is read-only", p->name);
	} else if (p->production && !e->write) {
		snprintf(s->why, sizeof s->why,
		         "profile '%s' is production: add --write to arm writes for this command "
		         "(W in the console)", p->name);
	} else {
		return;
	}
	e->readonly = true;
	e->readonly_why = s->why;
}

/* ---- the bastion ---- */

static bool settled(enum link_state st)
{
	return st == LINK_UP || st == LINK_NEEDS_HOSTKEY || st == LINK_NEEDS_SECRET || st == LINK_DOWN ||
	       st == LINK_FAILED;
}

/* Why the link is not UP, as one line: a script cannot answer questions. */
static int refusal(const struct link *k, struct dc_err *err)
{
	struct link_question q;
	link_question(k, &q);
	switch (link_state(k)) {
	case LINK_NEEDS_HOSTKEY:
		return dc_err_set(err, "ssh: %s: unknown host key %s %s (not in %s); compare the fingerprint "
		                  "with the one your site publishes, then run again with --ssh-accept-new "
		                  "or accept it in the console%s%s", link_target(k), q.type, q.fingerprint,
		                  q.file, q.note[0] ? "; " : "", q.note);
	case LINK_NEEDS_SECRET:
		return dc_err_set(err, "ssh: %s: %s: a script command cannot ask; load the key into "
		                  "ssh-agent", link_target(k), q.prompt);
	default:
		return dc_err_set(err, "ssh: %s", link_message(k));
	}
}

static void on_wake(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)fd;
	(void)events;
	struct script *s = ud;
	atomic_store(&s->stop, true);
}

static void *pump(void *ud)
{
	struct script *s = ud;
	/* A forward writing to a socket libpq has just closed must see EPIPE,
	 * not kill the command. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!atomic_load(&s->stop))
		loop_run_once(s->loop, -1);
	return NULL;
}

static int tunnel_open(struct script *s, const struct config_profile *p, struct dc_err *err)
{
	const struct config_ssh *ps = p && p->has_ssh ? &p->ssh : NULL;
	char *conninfo = db_resolve(&s->eff, NULL);
	struct link_opts lo = {
		.ssh = s->eff.ssh,
		.prof = ps,
		.conninfo = conninfo,
		.accept_new = s->eff.ssh_accept_new,
		.no_agent = getenv("DCOPS_SSH_NO_AGENT") != NULL,
		.once = true,
	};
	s->loop = loop_new();
	s->link = link_new(s->loop, &lo, NULL, NULL, err);
	free(conninfo);
	if (!s->link) {
		struct dc_err e = *err;
		return dc_err_set(err, "ssh: %s", e.msg);
	}
	if (s->eff.ssh_accept_new)
		text_putline(stderr, "dcops: --ssh-accept-new: an unknown host key of %s will be recorded "
		                     "without asking", link_target(s->link));
	link_start(s->link);
	while (!settled(link_state(s->link)))
		if (loop_run_once(s->loop, -1) < 0)
			return dc_err_set(err, "ssh: poll failed");
	if (link_state(s->link) != LINK_UP)
		return refusal(s->link, err);
	s->db = xstrdup(link_conninfo(s->link));
	s->eff.db = s->db;
	s->eff.via_ssh = s->via = xstrdup(link_target(s->link));
	s->eff.via_ssh_db = s->via_db = xstrdup(link_db_target(s->link));
	s->eff.write_db = NULL; /* the tunnel carries one server: writes go there too */
	if (pipe(s->wake) < 0)
		return dc_err_set(err, "ssh: cannot make a pipe");
	loop_fd_add(s->loop, s->wake[0], LOOP_READ, on_wake, s);
	if (pthread_create(&s->pump, NULL, pump, s) != 0)
		return dc_err_set(err, "ssh: cannot start the tunnel's thread");
	s->pumping = true;
	return 0;
}

struct script *script_open(const struct dc_opts *o, struct dc_err *err)
{
	struct script *s = xcalloc(1, sizeof *s);
	s->eff = *o;
	s->wake[0] = s->wake[1] = -1;
	const struct config_profile *p = o->cfg ? config_profile(o->cfg, o->profile) : NULL;
	profile_apply(s, p);
	if (p && !s->eff.db)
		s->eff.db = p->db;
	const char *both = config_write_ssh_conflict(p, s->eff.ssh, s->eff.write_db);
	if (both) {
		dc_err_set(err, "%s cannot be used with SSH: the tunnel reaches one database server; name the "
		           "primary as the database the bastion forwards to", both);
		script_close(s);
		return NULL;
	}
	if (p && !s->eff.write_db)
		s->eff.write_db = p->write_db;
	if (p && !s->eff.relay)
		s->eff.relay = p->relay;
	if ((s->eff.ssh || (p && p->has_ssh && p->ssh.host)) && tunnel_open(s, p, err) < 0) {
		script_close(s);
		return NULL;
	}
	return s;
}

const struct dc_opts *script_opts(const struct script *s)
{
	return &s->eff;
}

void script_close(struct script *s)
{
	if (!s)
		return;
	if (s->pumping) {
		char b = 1;
		if (write(s->wake[1], &b, 1) != 1)
			abort(); /* an empty pipe of our own: cannot fail, and a thread left pumping would */
		pthread_join(s->pump, NULL);
	}
	if (s->wake[0] >= 0) {
		loop_fd_del(s->loop, s->wake[0]);
		close(s->wake[0]);
		close(s->wake[1]);
	}
	link_free(s->link);
	loop_free(s->loop);
	free(s->db);
	free(s->via);
	free(s->via_db);
	free(s);
}
