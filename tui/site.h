/* site.h — one site the console holds: its profile (database, SSH bastion
 * and host-key file, read-only or production mode), its live link (store),
 * its model, its write path (writer, ops) and its write mode.
 *
 * A console of one site holds one (name "" without --sites), built from
 * --db/--profile as before. `--sites a,b` or the config's "sites" hold one
 * per profile; each is a separate set of connections on the one loop, so a
 * site whose database or bastion is down backs off on its own and never
 * stalls the others. Which site is on screen is the app's business
 * (struct site_set.cur); the rest of this module never draws.
 *
 * Alerts: a SEV-1/SEV-2 that arrives after the site's first load is
 * announced (site_alert_scan) until it is acknowledged or the site is made
 * current (site_alert_seen).
 *
 * Ownership: site_new returns a site the caller frees with site_free; it
 * borrows the loop, the dialog host, the config and the options (which must
 * outlive it) and owns everything else named here. Strings in a
 * site_summary point into the site's model or static text: valid until the
 * next loop turn. */
#ifndef DCOPS_SITE_H
#define DCOPS_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dialog.h"
#include "loop.h"
#include "model.h"
#include "opts.h"
#include "store.h"
#include "util.h"

struct site {
	char name[64];           /* the profile's name; "" for a lone site without --sites */
	struct dc_opts opts;     /* the console's options with this site's profile and db */
	char *conninfo;          /* where reads go (through SSH: the tunnel's end) */
	char *write_conninfo;    /* where the writer connects (the same string when writes_here) */
	struct dc_model *m;
	struct store *store;
	struct writer *writer;
	struct ops *ops;
	struct ssh_ui *ssh;      /* NULL without SSH */
	bool readonly;           /* --readonly or a readonly profile: no writes at all */
	bool writes_here;        /* writes go where reads come from (no --write-db, one host) */
	bool production;         /* read-only until W arms write mode */
	bool drill;
	int write_minutes;
	int64_t write_until;     /* wall seconds; 0 disarmed */
	int64_t alert_id;        /* the SEV-1/2 announced and not yet seen; 0 none */
	int64_t alert_max;       /* the highest incident id already considered */
	bool alert_ready;        /* the first load is seen: later incidents are news */
	char relay_said[160];    /* the store's relay_error last put on the message line */
	void *owner;             /* the app's, for its callbacks */
};

struct site_set {
	struct site **v;
	size_t n, cur;
};

/* The app's callbacks; ud is the site. */
struct site_hooks {
	void (*changed)(void *site, unsigned mask);
	void (*status)(void *site, const struct store_status *st);
	void (*ssh_changed)(void *site);
	void (*msg)(void *site, bool err, const char *msg);
};

/* Builds site name (NULL: the one site of --db/--profile) with the
 * profile's settings over base, db (NULL: the profile's) and starts
 * nothing; NULL with err when the profile cannot be used. A non-fatal
 * problem (SSH refused) comes back in *warn ("" when none). */
struct site *site_new(struct loop *l, struct dialog_host *dh, const struct dc_opts *base,
                      const char *name, const char *db, const struct site_hooks *h, void *owner,
                      struct dc_err *warn, struct dc_err *err);
void site_start(struct site *s);
void site_free(struct site *s);

/* Splits "a,b" (--sites, config "sites") into names; -1 with err naming
 * the bad one (empty, too long, repeated, more than CONFIG_MAX_SITES). */
int site_names(const char *list, char names[][64], size_t *n, struct dc_err *err);

/* What the adapter last said of its source (034_adapter_status.sql):
 * "STOPPED" or "DOWN", or NULL while it is up or has never reported. */
const char *site_adapter_trouble(const struct dc_model *m, int64_t now);
/* Slurm accounting unreadable while the adapter runs on its last limits
 * and usage (084: accounting.*): since when (wall seconds) and why (model
 * text, raw: sanitise to show); 0 while quotas are current. */
int64_t site_quotas_stale(const struct dc_model *m, const char **why);
/* When the data on screen was last known fresh (wall seconds, 0 never):
 * the newest node report, the last good read, or the adapter's last
 * report while it is up (a quiet cluster moves no row). */
int64_t site_data_at(const struct dc_model *m, const struct store_status *st, int64_t now);

struct site_summary {
	const char *link;        /* "UP", "DOWN", "CONNECTING", "SSH ..." */
	bool down;               /* the database cannot be read now */
	const char *adapter;     /* NULL, "DOWN", "STOPPED" */
	bool quotas_stale;       /* Slurm accounting unreadable (site_quotas_stale) */
	int64_t data_at;         /* newest report, else the last good read; 0 none */
	int nodes, nodes_down, nodes_drained, nodes_draining;
	int gpus_used, gpus_total, jobs_pending;
	int sev[6];              /* open (not resolved) incidents by severity 1..5 */
	int unacked;
	const struct dc_incident *oldest;  /* the oldest unacknowledged open incident */
};
void site_summarize(const struct site *s, int64_t now, struct site_summary *out);
/* Open SEV-1 and SEV-2 incidents at s. */
int site_sev12(const struct site *s);
/* Orders summaries by what needs attention first (<0: a first). */
int site_attention_cmp(const struct site_summary *a, const struct site_summary *b);

/* After incident changes: true when a new SEV-1/2 is announced. */
bool site_alert_scan(struct site *s);
/* The announced incident while it is still unacknowledged, else NULL. */
const struct dc_incident *site_alert(const struct site *s);
void site_alert_seen(struct site *s);

#endif
