/* tel.c — see tel.h. State per GPU: this cycle's samples (cur, got), the
 * values last written (w) and the counters' baselines; a cycle's diff is
 * a list of changes applied to that state only once its transaction has
 * committed, so a rolled-back cycle yields the same events again. */
#include "adapter/telemetry/tel.h"

#include <curl/curl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adapter/adapter-status.h"
#include "adapter/telemetry/prom-parse.h"
#include "db.h"
#include "text.h"

#define EVERY_MS 10000
#define TIMEOUT_MS 5000
#define CONNECT_MS 3000
#define MAX_PROM_BYTES ((size_t)512 << 20)   /* one metric for 25,000 nodes is ~40 MiB */
#define MAX_EXPORTER_BYTES ((size_t)8 << 20)
#define STALE_CYCLES 3
#define LOG_UNKNOWN_MAX 64
#define LOG_EVENTS_MAX 20
/* The simulator's deadbands (sim-faults.c): smaller moves are not written. */
#define DB_UTIL 8
#define DB_TEMP 3
#define DB_MEM_PCT 5
#define DB_POWER_PCT 8

/* ---------------------------------------------------------------- metrics */

enum metric { M_UTIL, M_TEMP, M_POWER, M_FB_USED, M_FB_FREE, M_XID, M_ECC_DBE, M_REMAP_FAIL,
	      M_REMAP_PENDING, M_NVLINK, M_N };
enum kind { K_GAUGE, K_XID, K_COUNTER };

/* Sorted by name (bsearch). The NVLink error counters add up to one. */
static const struct metric_name {
	const char *name;
	enum metric m;
} metric_names[] = {
	{ "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", M_ECC_DBE },
	{ "DCGM_FI_DEV_FB_FREE", M_FB_FREE },
	{ "DCGM_FI_DEV_FB_USED", M_FB_USED },
	{ "DCGM_FI_DEV_GPU_TEMP", M_TEMP },
	{ "DCGM_FI_DEV_GPU_UTIL", M_UTIL },
	{ "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL", M_NVLINK },
	{ "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", M_NVLINK },
	{ "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL", M_NVLINK },
	{ "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL", M_NVLINK },
	{ "DCGM_FI_DEV_POWER_USAGE", M_POWER },
	{ "DCGM_FI_DEV_ROW_REMAP_FAILURE", M_REMAP_FAIL },
	{ "DCGM_FI_DEV_ROW_REMAP_PENDING", M_REMAP_PENDING },
	{ "DCGM_FI_DEV_XID_ERRORS", M_XID },
};
#define N_NAMES (sizeof metric_names / sizeof *metric_names)

static const struct {
	enum kind kind;
	enum tel_event_kind ev;
} metric_kind[M_N] = {
	[M_UTIL] = { K_GAUGE, 0 }, [M_TEMP] = { K_GAUGE, 0 }, [M_POWER] = { K_GAUGE, 0 },
	[M_FB_USED] = { K_GAUGE, 0 }, [M_FB_FREE] = { K_GAUGE, 0 }, [M_XID] = { K_XID, TEL_XID },
	[M_ECC_DBE] = { K_COUNTER, TEL_ECC_DBE }, [M_REMAP_FAIL] = { K_COUNTER, TEL_REMAP_FAILURE },
	[M_REMAP_PENDING] = { K_COUNTER, TEL_REMAP_PENDING }, [M_NVLINK] = { K_COUNTER, TEL_NVLINK },
};

/* Every name starts "DCGM_FI_DEV_": compared past it. */
static int cmp_name(const void *k, const void *e)
{
	return strcmp(k, ((const struct metric_name *)e)->name + 12);
}

static const struct metric_name *metric_find(const char *name)
{
	if (strncmp(name, "DCGM_FI_DEV_", 12) != 0)
		return NULL;
	return bsearch(name + 12, metric_names, N_NAMES, sizeof *metric_names, cmp_name);
}

/* From the Prometheus API the NVLink counters come added up by one query
 * (a quarter fewer answers to parse: BENCHMARKS.md), asked and fed under
 * the first NVLink name; the others are not queried. */
static bool nvlink_folded(size_t i)
{
	return metric_names[i].m == M_NVLINK && i > 0 && metric_names[i - 1].m == M_NVLINK;
}

static const char NVLINK_SUM[] =
	"sum by (Hostname, gpu, UUID) (max by (__name__, Hostname, gpu, UUID) "
	"({__name__=~\"DCGM_FI_DEV_NVLINK_(CRC_DATA|CRC_FLIT|RECOVERY|REPLAY)_ERROR_COUNT_TOTAL\"}))";

/* What each source is: one transfer per metric (the fleet's in one
 * answer) or per node, in the text format or JSON, and its size cap. */
static const struct mode_row {
	const char *name;
	bool per_metric, text;
	size_t cap;
} modes[] = {
	[TEL_OFF] = { "off", false, false, 0 },
	[TEL_PROMETHEUS] = { "prometheus", true, false, MAX_PROM_BYTES },
	[TEL_FEDERATE] = { "prometheus federate", true, true, MAX_PROM_BYTES },
	[TEL_EXPORTERS] = { "exporters", false, true, MAX_EXPORTER_BYTES },
};

/* ---------------------------------------------------------------- state */

struct gpu {
	int64_t id;
	uint32_t node;
	int idx, mem_total;
	uint32_t got;            /* this cycle: which metrics arrived */
	double cur[M_N];
	int64_t xid_ts_ms;
	struct tel_row w;        /* as last written (or read from the database) */
	double base[M_N];        /* counters and the Xid: the last value seen */
	uint32_t based;
	int64_t seen_ms;         /* monotonic: last cycle with any metric, 0 never */
	char uuid[48];
};

struct node {
	char *name;
	uint32_t first, n;
	bool failing;            /* its exporter's last scrape failed (logged) */
};

struct pend {
	uint32_t gi;
	uint8_t m;
	double v;
	int64_t ts_ms;
	char uuid[48];
};

struct change {
	uint32_t gi;
	bool write;
	struct tel_row row;
	double base[M_N];
	uint32_t based;
};

struct xfer {
	CURL *h;
	size_t slot;
	struct tel *t;
	const char *what;
	struct sb body;
	size_t cap;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
};

enum phase { P_IDLE, P_BUSY, P_READY };

struct tel {
	struct tel_cfg cfg;
	FILE *log;
	CURLM *multi;
	enum phase phase;
	bool reload, down, reported;
	int64_t due;
	/* index */
	struct gpu *gpus;
	size_t n_gpus;
	struct node *nodes;
	size_t n_nodes;
	uint32_t *slot;          /* node hash: index + 1, 0 empty */
	size_t mask;
	/* this cycle */
	struct pend *pend;
	size_t n_pend, cap_pend;
	size_t targets, next, inflight, failed, answered;
	size_t logged_now;       /* exporter state changes logged this cycle */
	long samples, unknown;
	char cycle_err[400];
	bool poisoned;           /* a per-metric answer was refused: the cycle keeps nothing */
	struct xfer *act[TEL_INFLIGHT];  /* in flight, by slot */
	struct change *chg;
	size_t n_chg, cap_chg;
	struct tel_row *rows;
	size_t n_rows, cap_rows;
	struct tel_event *ev;
	size_t n_ev, cap_ev;
	/* unknown hosts already logged */
	char *logged[LOG_UNKNOWN_MAX];
	size_t n_logged;
	tel_consume_fn consume;
	void *consume_ud;
};

/* ---------------------------------------------------------------- config */

void tel_cfg_init(struct tel_cfg *c)
{
	*c = (struct tel_cfg){ .mode = TEL_OFF, .every_ms = EVERY_MS, .timeout_ms = TIMEOUT_MS };
}

void tel_cfg_free(struct tel_cfg *c)
{
	free(c->url);
	c->url = NULL;
}

static int cfg_seconds(const char *opt, const char *v, double lo, double hi, int *ms)
{
	char *end;
	double d = strtod(v, &end);
	if (*end || !*v || !(d >= lo && d <= hi)) {
		text_putline(stderr, "dcopsd: --%s wants seconds in [%g, %g], not '%s'", opt, lo, hi, v);
		return -1;
	}
	*ms = (int)(d * 1000);
	return 0;
}

static bool url_ok(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

static int cfg_source(struct tel_cfg *c, const char *val)
{
	const char *eq = strchr(val, '=');
	bool fed = eq && strncmp(val, "federate=", 9) == 0;
	if (eq && (fed || strncmp(val, "prometheus=", 11) == 0) && url_ok(eq + 1)) {
		size_t n = strlen(eq + 1);
		while (n > 0 && eq[n] == '/')
			n--;
		c->mode = fed ? TEL_FEDERATE : TEL_PROMETHEUS;
		free(c->url);
		c->url = xstrndup(eq + 1, n);
		return 0;
	}
	if (eq && strncmp(val, "exporters=", 10) == 0) {
		const char *v = eq + 1;
		char *end;
		long port = strtol(v, &end, 10);
		free(c->url);
		c->url = NULL;
		if (*v && !*end && port > 0 && port < 65536)
			c->url = xasprintf("http://{node}:%ld/metrics", port);
		else if (url_ok(v) && strstr(v, "{node}"))
			c->url = xstrdup(v);
		if (c->url) {
			c->mode = TEL_EXPORTERS;
			return 0;
		}
	}
	fprintf(stderr, "dcopsd: --telemetry wants prometheus=http(s)://HOST:PORT, federate=URL, exporters=PORT or "
	                "exporters=http(s)://...{node}..., not '%s'\n", val);
	return -1;
}

int tel_cfg_parse(struct tel_cfg *c, const char *opt, const char *val)
{
	if (strcmp(opt, "telemetry") == 0)
		return cfg_source(c, val);
	if (strcmp(opt, "telemetry-every") == 0)
		return cfg_seconds(opt, val, 1, 3600, &c->every_ms);
	if (strcmp(opt, "telemetry-timeout") == 0)
		return cfg_seconds(opt, val, 0.5, 600, &c->timeout_ms);
	if (strcmp(opt, "telemetry-ca") == 0) {
		c->ca_file = val;
		return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- index */

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static int node_find_n(const struct tel *t, const char *name, size_t len)
{
	if (!t->slot)
		return -1;
	for (size_t i = fnv(name, len) & t->mask;; i = (i + 1) & t->mask) {
		uint32_t s = t->slot[i];
		if (!s)
			return -1;
		const char *nm = t->nodes[s - 1].name;
		if (strncmp(nm, name, len) == 0 && nm[len] == '\0')
			return (int)(s - 1);
	}
}

/* The name as given, or its host part (before the first '.'). */
static int node_find(const struct tel *t, const char *name)
{
	int ni = node_find_n(t, name, strlen(name));
	const char *dot = strchr(name, '.');
	return ni >= 0 || !dot ? ni : node_find_n(t, name, (size_t)(dot - name));
}

static int gpu_find(const struct tel *t, int ni, int idx)
{
	const struct node *n = &t->nodes[ni];
	for (uint32_t k = 0; k < n->n; k++)
		if (t->gpus[n->first + k].idx == idx)
			return (int)(n->first + k);
	return -1;
}

static int cmp_gpu_id(const void *x, const void *y)
{
	int64_t a = (*(const struct gpu *const *)x)->id, b = (*(const struct gpu *const *)y)->id;
	return (a > b) - (a < b);
}

static void index_free(struct tel *t)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		free(t->nodes[i].name);
	free(t->nodes);
	free(t->gpus);
	free(t->slot);
	t->nodes = NULL, t->gpus = NULL, t->slot = NULL;
	t->n_nodes = t->n_gpus = 0;
}

/* What the reader keeps of a GPU across a reload: baselines, when it was
 * last seen, its UUID. */
static void gpu_keep(struct gpu *g, struct gpu *const *old, size_t n_old)
{
	struct gpu key = { .id = g->id }, *kp = &key;
	struct gpu *const *o = n_old ? bsearch(&kp, old, n_old, sizeof *old, cmp_gpu_id) : NULL;
	if (!o)
		return;
	memcpy(g->base, (*o)->base, sizeof g->base);
	g->based = (*o)->based;
	g->seen_ms = (*o)->seen_ms;
	memcpy(g->uuid, (*o)->uuid, sizeof g->uuid);
}

void tel_index_set(struct tel *t, const struct tel_gpu_row *rows, size_t n)
{
	struct gpu *old_gpus = t->gpus;
	struct node *old_nodes = t->nodes;
	size_t n_old = t->n_gpus, n_old_nodes = t->n_nodes;
	struct gpu **old = xcalloc(n_old + 1, sizeof *old);
	for (size_t i = 0; i < n_old; i++)
		old[i] = &old_gpus[i];
	qsort(old, n_old, sizeof *old, cmp_gpu_id);
	free(t->slot);
	t->gpus = xcalloc(n + 1, sizeof *t->gpus);
	t->nodes = xcalloc(n + 1, sizeof *t->nodes);
	t->n_gpus = n, t->n_nodes = 0;
	int64_t now = dc_mono_ms();
	for (size_t i = 0; i < n; i++) {
		const struct tel_gpu_row *r = &rows[i];
		if (!t->n_nodes || strcmp(t->nodes[t->n_nodes - 1].name, r->node) != 0)
			t->nodes[t->n_nodes++] = (struct node){ xstrdup(r->node), (uint32_t)i, 0, false };
		t->nodes[t->n_nodes - 1].n++;
		struct gpu *g = &t->gpus[i];
		*g = (struct gpu){ .id = r->id, .node = (uint32_t)(t->n_nodes - 1), .idx = r->idx,
			.mem_total = r->mem_total, .seen_ms = r->seen ? now : 0,
			.w = { r->id, r->util, r->temp, r->power, r->mem_used, r->xid, r->ecc_dbe, r->xid_at,
			       r->remap, r->stale } };
		g->base[M_XID] = r->xid;
		g->based = 1u << M_XID;
		gpu_keep(g, old, n_old);
	}
	free(old);
	free(old_gpus);
	for (size_t i = 0; i < n_old_nodes; i++)
		free(old_nodes[i].name);
	free(old_nodes);
	size_t cap = 16;
	while (cap < 2 * t->n_nodes)
		cap *= 2;
	t->slot = xcalloc(cap, sizeof *t->slot);
	t->mask = cap - 1;
	for (size_t k = 0; k < t->n_nodes; k++) {
		size_t i = fnv(t->nodes[k].name, strlen(t->nodes[k].name)) & t->mask;
		while (t->slot[i])
			i = (i + 1) & t->mask;
		t->slot[i] = (uint32_t)(k + 1);
	}
}

/* ---------------------------------------------------------------- samples */

struct feed {
	struct tel *t;
	const struct metric_name *want;   /* text: the line's metric, from on_name */
	const struct metric_name *query;  /* prometheus: the metric asked for */
	int node;                         /* exporters: the node scraped */
	/* an answer repeats one metric name and one host line after line:
	 * the last lookup of each is reused while its key repeats */
	const struct metric_name *mn;
	char name[64], host[128];
	bool name_ok, host_ok;
	int host_node;
};

static const struct metric_name *feed_metric(struct feed *f, const char *name)
{
	if (f->name_ok && strcmp(name, f->name) == 0)
		return f->mn;
	f->mn = metric_find(name);
	size_t n = strlen(name);
	if ((f->name_ok = n < sizeof f->name))
		memcpy(f->name, name, n + 1);
	return f->mn;
}

static int feed_node(struct feed *f, const char *host)
{
	if (f->host_ok && strcmp(host, f->host) == 0)
		return f->host_node;
	f->host_node = node_find(f->t, host);
	size_t n = strlen(host);
	if ((f->host_ok = n < sizeof f->host))
		memcpy(f->host, host, n + 1);
	return f->host_node;
}

static void unknown_host(struct tel *t, const char *host)
{
	t->unknown++;
	if (!host)
		host = "(no Hostname label)";
	for (size_t i = 0; i < t->n_logged; i++)
		if (strcmp(t->logged[i], host) == 0)
			return;
	if (t->n_logged == LOG_UNKNOWN_MAX)
		return;
	t->logged[t->n_logged++] = xstrdup(host);
	text_putline(t->log, "dcopsd: telemetry: host '%.200s' is not a dcops node; its samples are skipped%s", host,
	             t->n_logged == LOG_UNKNOWN_MAX ? " (further unknown hosts are counted, not named)" : "");
}

static int parse_idx(const char *s)
{
	if (s[0] >= '0' && s[0] <= '9' && !s[1])   /* "0".."7", every sample */
		return s[0] - '0';
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 && v < 1024 ? (int)v : -1;
}

static bool on_name(const char *name, void *ud)
{
	struct feed *f = ud;
	return (f->want = feed_metric(f, name)) != NULL;
}

static void pend_one(struct tel *t, const struct pend *p)
{
	struct gpu *g = &t->gpus[p->gi];
	uint32_t bit = 1u << p->m;
	if (p->m == M_NVLINK && (g->got & bit))
		g->cur[p->m] += p->v;
	else
		g->cur[p->m] = p->v;
	g->got |= bit;
	if (p->m == M_XID)
		g->xid_ts_ms = p->ts_ms;
	if (p->uuid[0])
		memcpy(g->uuid, p->uuid, sizeof g->uuid);
}

/* Hostname, gpu and UUID in one pass over the labels (the first of
 * each, as prom_label finds it). */
enum { L_HOST, L_GPU, L_UUID, L_N };

static void sample_labels(const struct prom_sample *s, const char *v[L_N])
{
	static const char *const names[L_N] = { "Hostname", "gpu", "UUID" };
	v[L_HOST] = v[L_GPU] = v[L_UUID] = NULL;
	for (size_t i = 0; i < s->n_labels; i++) {
		const char *n = s->labels[i].name;
		int k = n[0] == 'H' ? L_HOST : n[0] == 'g' ? L_GPU : n[0] == 'U' ? L_UUID : L_N;
		if (k < L_N && !v[k] && strcmp(n, names[k]) == 0)
			v[k] = s->labels[i].value;
	}
}

static int on_sample(const struct prom_sample *s, void *ud)
{
	struct feed *f = ud;
	struct tel *t = f->t;
	const struct metric_name *mn = f->want ? f->want : feed_metric(f, s->name);
	if (!mn || isnan(s->value))
		return 0;
	t->samples++;
	const char *lab[L_N];
	sample_labels(s, lab);
	int ni = f->node;
	if (ni < 0) {
		const char *host = lab[L_HOST];
		if (!host || (ni = feed_node(f, host)) < 0) {
			unknown_host(t, host);
			return 0;
		}
	}
	const char *gl = lab[L_GPU];
	int idx = gl ? parse_idx(gl) : -1;
	int gi = idx >= 0 ? gpu_find(t, ni, idx) : -1;
	if (gi < 0) {
		t->unknown++;
		return 0;
	}
	t->pend = xgrow(t->pend, &t->cap_pend, t->n_pend + 1, sizeof *t->pend);
	struct pend *p = &t->pend[t->n_pend++];
	p->gi = (uint32_t)gi, p->m = (uint8_t)mn->m, p->v = s->value, p->ts_ms = s->has_ts ? s->ts_ms : 0;
	p->uuid[0] = '\0';
	const char *uuid = metric_kind[mn->m].kind != K_GAUGE ? lab[L_UUID] : NULL;
	if (uuid) {
		size_t n = strnlen(uuid, sizeof p->uuid - 1);
		memcpy(p->uuid, uuid, n);
		p->uuid[n] = '\0';
	}
	/* per metric, a refused answer fails the whole cycle (t->poisoned):
	 * nothing to hold back, and the fleet-wide answers stay cache-warm */
	if (modes[t->cfg.mode].per_metric)
		pend_one(t, &t->pend[--t->n_pend]);
	return 0;
}

static void pend_apply(struct tel *t)
{
	for (size_t i = 0; i < t->n_pend; i++)
		pend_one(t, &t->pend[i]);
	t->n_pend = 0;
}

int tel_feed(struct tel *t, const char *what, const char *body, size_t len, struct dc_err *err)
{
	struct feed f = { .t = t, .node = -1 };
	int rc;
	t->n_pend = 0;
	const struct mode_row *m = &modes[t->cfg.mode];
	if (!m->per_metric && (f.node = node_find_n(t, what, strlen(what))) < 0)
		return dc_err_set(err, "telemetry: scraped node is not in the index");
	if (m->text) {
		rc = prom_text_each(body, len, on_name, on_sample, &f, err);
	} else {
		rc = prom_json_each(body, len, what, on_sample, &f, err);
	}
	if (rc != 0) {
		t->n_pend = 0;
		t->poisoned |= m->per_metric;
		return -1;
	}
	pend_apply(t);
	return 0;
}

void tel_cycle_begin(struct tel *t)
{
	for (size_t i = 0; i < t->n_gpus; i++)
		t->gpus[i].got = 0;
	t->n_pend = t->n_chg = t->n_rows = t->n_ev = 0;
	t->samples = t->unknown = 0;
	t->failed = t->answered = t->next = t->inflight = 0;
	t->cycle_err[0] = '\0';
	t->poisoned = false;
	t->logged_now = 0;
}

/* ---------------------------------------------------------------- diff */

static int clampi(double v, int lo, int hi)
{
	return !(v >= lo) ? lo : v > hi ? hi : (int)lrint(v);
}

/* A counter's value as an integer (the schema's bigint), whatever it was. */
static long long count_of(double v)
{
	return !(v > 0) ? 0 : v >= 9e18 ? 9000000000000000000LL : (long long)v;
}

static void add_event(struct tel *t, const struct gpu *g, enum tel_event_kind k, double code, double rise,
                      int64_t ts_ms)
{
	t->ev = xgrow(t->ev, &t->cap_ev, t->n_ev + 1, sizeof *t->ev);
	t->ev[t->n_ev++] = (struct tel_event){ .kind = k, .node = t->nodes[g->node].name, .gpu = g->idx,
		.uuid = g->uuid, .code = count_of(code), .rise = count_of(rise),
		.at = ts_ms > 0 ? (time_t)(ts_ms / 1000) : time(NULL) };
}

/* Gauges: a move past the deadband is written. */
static bool diff_gauges(const struct gpu *g, struct tel_row *n)
{
	bool w = false;
	uint32_t got = g->got;
	int v;
	if ((got & 1u << M_UTIL) && abs((v = clampi(g->cur[M_UTIL], 0, 100)) - n->util) >= DB_UTIL)
		n->util = v, w = true;
	if ((got & 1u << M_TEMP) && abs((v = clampi(g->cur[M_TEMP], -50, 250)) - n->temp) >= DB_TEMP)
		n->temp = v, w = true;
	if ((got & 1u << M_POWER) && (v = clampi(g->cur[M_POWER], 0, 1000000)) != n->power &&
	    (long)abs(v - n->power) * 100 >= (long)DB_POWER_PCT * (n->power > 50 ? n->power : 50))
		n->power = v, w = true;
	if (got & 1u << M_FB_USED) {
		long total = (got & 1u << M_FB_FREE) ? lrint(g->cur[M_FB_USED] + g->cur[M_FB_FREE]) : g->mem_total;
		v = clampi(g->cur[M_FB_USED], 0, INT_MAX / 2);
		if (v != n->mem && (long)abs(v - n->mem) * 100 >= (long)DB_MEM_PCT * (total > 0 ? total : 1))
			n->mem = v, w = true;
	}
	return w;
}

/* The Xid and the counters: events, never levels. */
static bool diff_events(struct tel *t, const struct gpu *g, struct change *c)
{
	bool w = false;
	for (int m = M_XID; m < M_N; m++) {
		uint32_t bit = 1u << m;
		if (!(g->got & bit) || !isfinite(g->cur[m]))
			continue;
		double v = g->cur[m] < 0 ? 0 : g->cur[m];
		bool had = c->based & bit;
		double was = c->base[m];
		c->base[m] = v;
		c->based |= bit;
		if (m == M_XID) {
			int x = clampi(v, 0, INT_MAX);
			if (had && v == was)
				continue;
			if (x != 0) {
				add_event(t, g, TEL_XID, x, 1, g->xid_ts_ms);
				c->row.xid = x;
				c->row.xid_at = g->xid_ts_ms > 0 ? (double)g->xid_ts_ms / 1000.0 : (double)time(NULL);
				w = true;
			}
			continue;
		}
		if (had && v > was)   /* a fall is the exporter or driver restarting: a new baseline */
			add_event(t, g, metric_kind[m].ev, v, v - was, 0);
		if (m == M_ECC_DBE && count_of(v) != c->row.dbe)
			c->row.dbe = count_of(v), w = true;
		if (m == M_REMAP_PENDING && (v > 0) != c->row.remap)
			c->row.remap = v > 0, w = true;
	}
	return w;
}

size_t tel_diff(struct tel *t, int64_t now_ms)
{
	t->n_chg = t->n_rows = t->n_ev = 0;
	if (t->poisoned)
		return 0;
	int64_t stale_ms = (int64_t)STALE_CYCLES * t->cfg.every_ms;
	for (size_t i = 0; i < t->n_gpus; i++) {
		struct gpu *g = &t->gpus[i];
		struct change c = { .gi = (uint32_t)i, .row = g->w, .based = g->based };
		memcpy(c.base, g->base, sizeof c.base);
		if (!g->got) {
			if (!g->seen_ms || g->w.stale || now_ms - g->seen_ms < stale_ms)
				continue;
			c.row.stale = c.write = true;
		} else {
			g->seen_ms = now_ms;
			c.write = g->w.stale;
			c.row.stale = false;
			c.write |= diff_gauges(g, &c.row);
			c.write |= diff_events(t, g, &c);
			if (!c.write && c.based == g->based && memcmp(c.base, g->base, sizeof c.base) == 0)
				continue;
		}
		t->chg = xgrow(t->chg, &t->cap_chg, t->n_chg + 1, sizeof *t->chg);
		t->chg[t->n_chg++] = c;
		if (c.write) {
			t->rows = xgrow(t->rows, &t->cap_rows, t->n_rows + 1, sizeof *t->rows);
			t->rows[t->n_rows++] = c.row;
		}
	}
	return t->n_rows;
}

const struct tel_row *tel_diff_rows(const struct tel *t, size_t *n)
{
	*n = t->n_rows;
	return t->rows;
}

void tel_diff_commit(struct tel *t)
{
	for (size_t i = 0; i < t->n_chg; i++) {
		const struct change *c = &t->chg[i];
		struct gpu *g = &t->gpus[c->gi];
		g->w = c->row;
		memcpy(g->base, c->base, sizeof g->base);
		g->based = c->based;
	}
	t->n_chg = 0;
}

const struct tel_event *tel_events(const struct tel *t, size_t *n)
{
	*n = t->n_ev;
	return t->ev;
}

/* ---------------------------------------------------------------- transfers */

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	if (x->body.len + n > x->cap) {
		x->too_big = true;
		return 0;
	}
	sb_appendn(&x->body, p, n);
	return n;
}

static char *target_url(const struct tel *t, const char *what, CURL *h)
{
	if (t->cfg.mode == TEL_FEDERATE) {
		char *q = curl_easy_escape(h, what, 0);
		char *u = xasprintf("%s/federate?match%%5B%%5D=%s", t->cfg.url, q ? q : what);
		curl_free(q);
		return u;
	}
	if (t->cfg.mode == TEL_PROMETHEUS) {
		/* only the labels dcops matches on: a third of the bytes to parse,
		 * and one series per GPU even when two jobs scrape an exporter */
		const struct metric_name *mn = metric_find(what);
		char *expr = mn && mn->m == M_NVLINK ? xstrdup(NVLINK_SUM)
		                                     : xasprintf("max by (Hostname, gpu, UUID) (%s)", what);
		char *q = curl_easy_escape(h, expr, 0);
		char *u = xasprintf("%s/api/v1/query?query=%s", t->cfg.url, q ? q : what);
		curl_free(q);
		free(expr);
		return u;
	}
	char *esc = curl_easy_escape(h, what, 0);
	const char *at = strstr(t->cfg.url, "{node}");
	char *u = xasprintf("%.*s%s%s", (int)(at - t->cfg.url), t->cfg.url, esc ? esc : "", at + 6);
	curl_free(esc);
	return u;
}

static void xfer_start(struct tel *t, const char *what)
{
	struct xfer *x = xcalloc(1, sizeof *x);
	x->t = t, x->what = what;
	x->cap = modes[t->cfg.mode].cap;
	CURL *h = x->h = curl_easy_init();
	if (!h)
		abort();
	char *url = target_url(t, what, h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->cfg.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, t->cfg.ca_file);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(t->cfg.timeout_ms < CONNECT_MS ? t->cfg.timeout_ms : CONNECT_MS));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)t->cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->cap);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dcopsd-telemetry");
	curl_multi_add_handle(t->multi, h);
	for (x->slot = 0; t->act[x->slot]; x->slot++)
		;
	t->act[x->slot] = x;
	t->inflight++;
}

static const char *target_name(const struct tel *t, size_t i)
{
	if (!modes[t->cfg.mode].per_metric)
		return t->nodes[i].name;
	for (size_t j = 0; j < N_NAMES; j++)
		if (!(t->cfg.mode == TEL_PROMETHEUS && nvlink_folded(j)) && i-- == 0)
			return metric_names[j].name;
	abort();
}

/* Transfers a cycle makes: one per metric query, or per node. */
static size_t target_count(const struct tel *t)
{
	if (!modes[t->cfg.mode].per_metric)
		return t->n_nodes;
	size_t n = 0;
	for (size_t j = 0; j < N_NAMES; j++)
		n += !(t->cfg.mode == TEL_PROMETHEUS && nvlink_folded(j));
	return n;
}

static void xfers_top_up(struct tel *t)
{
	while (t->inflight < TEL_INFLIGHT && t->next < t->targets)
		xfer_start(t, target_name(t, t->next++));
}

/* An exporter that starts or stops failing is logged once, with why (at
 * most LOG_EVENTS_MAX a cycle: a row losing power is not 400 lines). */
static void exporter_state(struct tel *t, const char *node, bool failing, const char *why)
{
	int ni = modes[t->cfg.mode].per_metric ? -1 : node_find_n(t, node, strlen(node));
	if (ni < 0 || t->nodes[ni].failing == failing)
		return;
	t->nodes[ni].failing = failing;
	if (t->logged_now++ < LOG_EVENTS_MAX)
		text_putline(t->log, "dcopsd: telemetry: exporter of %s %s%s", node, failing ? "failed: " : "answers again",
		             failing ? why : "");
	else if (t->logged_now == LOG_EVENTS_MAX + 1)
		fprintf(t->log, "dcopsd: telemetry: more exporters changed state this cycle\n");
}

static void xfer_failed(struct tel *t, const struct xfer *x, const char *why)
{
	t->failed++;
	char w[120], y[200];
	text_escape_buf(x->what, w, sizeof w);
	text_escape_buf(why, y, sizeof y);
	exporter_state(t, x->what, true, y);
	if (!t->cycle_err[0])
		snprintf(t->cycle_err, sizeof t->cycle_err, "%s %s: %s",
		         modes[t->cfg.mode].per_metric ? "query" : "exporter of", w, y);
}

static void xfer_done(struct tel *t, struct xfer *x, CURLcode rc)
{
	long http = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &http);
	struct dc_err err = { 0 };
	char why[80];
	if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, sizeof why, "answer larger than %zu bytes", x->cap);
		xfer_failed(t, x, why);
	} else if (rc != CURLE_OK) {
		xfer_failed(t, x, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	} else if (http != 200) {
		snprintf(why, sizeof why, "HTTP status %ld", http);
		xfer_failed(t, x, why);
	} else if (tel_feed(t, x->what, x->body.buf ? x->body.buf : "", x->body.len, &err) < 0) {
		xfer_failed(t, x, err.msg);
	} else {
		t->answered++;
		exporter_state(t, x->what, false, NULL);
	}
	curl_multi_remove_handle(t->multi, x->h);
	curl_easy_cleanup(x->h);
	t->act[x->slot] = NULL;
	sb_free(&x->body);
	free(x);
	t->inflight--;
}

void tel_pump(struct tel *t, int max_ms)
{
	if (t->phase != P_BUSY)
		return;
	if (max_ms > 0)
		curl_multi_poll(t->multi, NULL, 0, max_ms, NULL);
	int running = 0;
	curl_multi_perform(t->multi, &running);
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(t->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct xfer *x;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		xfer_done(t, x, msg->data.result);
		xfers_top_up(t);
	}
	if (!t->inflight && t->next == t->targets)
		t->phase = P_READY;
}

bool tel_busy(const struct tel *t) { return t->phase == P_BUSY; }
bool tel_ready(const struct tel *t) { return t->phase == P_READY; }

/* ---------------------------------------------------------------- database */

static const char *const sql_index =
	"SELECT g.id, n.name, g.idx, g.util_pct, g.temp_c, g.power_w, g.mem_used_mib, g.mem_total_mib, "
	"       coalesce(g.last_xid, 0), g.ecc_dbe, g.remap_pending, g.metrics_stale, "
	"       g.metrics_at IS NOT NULL, coalesce(extract(epoch FROM g.last_xid_at), 0) "
	"FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id ORDER BY g.node_id, g.idx";

static const char *const sql_write =
	"UPDATE dcops.gpu g SET util_pct = u.u, temp_c = u.t, power_w = u.p, mem_used_mib = u.m, "
	"       ecc_dbe = u.d, remap_pending = u.r, last_xid = u.x, last_xid_at = to_timestamp(u.xa), "
	"       metrics_stale = u.s, metrics_at = CASE WHEN u.s THEN g.metrics_at ELSE now() END "
	"FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], $6::bigint[], $7::bool[], "
	"            $8::int[], $9::float8[], $10::bool[]) AS u(id, u, t, p, m, d, r, x, xa, s) "
	"WHERE g.id = u.id";

static int load_index(struct tel *t, PGconn *c, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, sql_index, 0, NULL);
	if (!r)
		return -1;
	int n = PQntuples(r);
	struct tel_gpu_row *rows = xcalloc((size_t)n + 1, sizeof *rows);
	for (int i = 0; i < n; i++) {
		struct tel_gpu_row *g = &rows[i];
		g->id = atoll(PQgetvalue(r, i, 0));
		g->node = PQgetvalue(r, i, 1);
		g->idx = atoi(PQgetvalue(r, i, 2)), g->util = atoi(PQgetvalue(r, i, 3));
		g->temp = atoi(PQgetvalue(r, i, 4)), g->power = atoi(PQgetvalue(r, i, 5));
		g->mem_used = atoi(PQgetvalue(r, i, 6)), g->mem_total = atoi(PQgetvalue(r, i, 7));
		g->xid = atoi(PQgetvalue(r, i, 8)), g->ecc_dbe = atoll(PQgetvalue(r, i, 9));
		g->remap = PQgetvalue(r, i, 10)[0] == 't', g->stale = PQgetvalue(r, i, 11)[0] == 't';
		g->seen = PQgetvalue(r, i, 12)[0] == 't' && !g->stale;
		g->xid_at = atof(PQgetvalue(r, i, 13));
	}
	tel_index_set(t, rows, (size_t)n);
	free(rows);
	PQclear(r);
	t->reload = false;
	return 0;
}

static void arr_int(struct sb *a, long long v, bool null)
{
	sb_append(a, a->len ? "," : "{");
	if (null)
		sb_append(a, "NULL");
	else
		sb_appendf(a, "%lld", v);
}

static int write_rows(struct tel *t, PGconn *c, struct dc_err *err)
{
	if (!t->n_rows)
		return 0;
	struct sb a[10] = { 0 };
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct tel_row *r = &t->rows[i];
		arr_int(&a[0], r->id, false), arr_int(&a[1], r->util, false), arr_int(&a[2], r->temp, false);
		arr_int(&a[3], r->power, false), arr_int(&a[4], r->mem, false), arr_int(&a[5], r->dbe, false);
		sb_append(&a[6], a[6].len ? (r->remap ? ",t" : ",f") : (r->remap ? "{t" : "{f"));
		arr_int(&a[7], r->xid, r->xid == 0);
		sb_append(&a[8], a[8].len ? "," : "{");
		if (r->xid_at > 0)
			sb_appendf(&a[8], "%.3f", r->xid_at);
		else
			sb_append(&a[8], "NULL");
		sb_append(&a[9], a[9].len ? (r->stale ? ",t" : ",f") : (r->stale ? "{t" : "{f"));
	}
	const char *p[10];
	for (int k = 0; k < 10; k++) {
		sb_append(&a[k], "}");
		p[k] = a[k].buf;
	}
	PGresult *r = db_exec(c, err, sql_write, 10, p);
	for (int k = 0; k < 10; k++)
		sb_free(&a[k]);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static int exec_simple(PGconn *c, const char *sql, struct dc_err *err)
{
	PGresult *r = db_exec(c, err, sql, 0, NULL);
	if (!r)
		return -1;
	PQclear(r);
	return 0;
}

static int report(struct tel *t, PGconn *c, bool down, struct dc_err *err)
{
	int iv = (t->cfg.every_ms + 999) / 1000;
	if (t->down != down || !t->reported) {
		text_putline(t->log, "dcopsd: telemetry: source %s%s%s%s%s", down ? "down: " : "up", down ? t->cycle_err : "",
		             down ? "" : " (", down ? "" : modes[t->cfg.mode].name, down ? "" : ")");
		fflush(t->log);
	}
	t->down = down, t->reported = true;
	return adapter_report(c, "telemetry", down ? ADAPTER_DOWN : ADAPTER_UP, down ? t->cycle_err : NULL,
	                      iv < 1 ? 1 : iv, err);
}

static void log_events(struct tel *t)
{
	static const char *const kind[] = { [TEL_XID] = "Xid", [TEL_ECC_DBE] = "ECC double-bit errors",
		[TEL_REMAP_FAILURE] = "row-remap failures", [TEL_REMAP_PENDING] = "row remap pending",
		[TEL_NVLINK] = "NVLink errors" };
	for (size_t i = 0; i < t->n_ev && i < LOG_EVENTS_MAX; i++) {
		const struct tel_event *e = &t->ev[i];
		if (e->kind == TEL_XID)
			text_putline(t->log, "dcopsd: telemetry event: Xid %lld on %s GPU %d%s%s", e->code, e->node, e->gpu,
			             e->uuid[0] ? " " : "", e->uuid);
		else
			text_putline(t->log, "dcopsd: telemetry event: %s +%lld (total %lld) on %s GPU %d", kind[e->kind],
			             e->rise, e->code, e->node, e->gpu);
	}
	if (t->n_ev > LOG_EVENTS_MAX)
		fprintf(t->log, "dcopsd: telemetry: %zu more events this cycle\n", t->n_ev - LOG_EVENTS_MAX);
	fflush(t->log);
}

/* The consumer refused the cycle (a deadlock, a lock timeout, a bad
 * event): the cycle is rolled back, so its baselines stay and its events
 * come again next cycle; the reader reports itself down with why. Only a
 * connection gone is the adapter's failure. */
static int consume_failed(struct tel *t, PGconn *c, struct dc_err *err)
{
	PQclear(PQexec(c, "ROLLBACK"));
	t->n_ev = 0;
	if (PQstatus(c) != CONNECTION_OK)
		return -1;
	snprintf(t->cycle_err, sizeof t->cycle_err, "remediation failed, its events are retried: %.340s", err->msg);
	return report(t, c, true, err);
}

static int finish_cycle(struct tel *t, PGconn *c, struct tel_stats *st, struct dc_err *err)
{
	t->phase = P_IDLE;
	st->cycled = true;
	st->failed = (long)t->failed, st->samples = t->samples, st->unknown = t->unknown;
	/* a query missing is a metric missing for the whole fleet: down; an
	 * exporter missing is its node's GPUs going stale */
	bool down = modes[t->cfg.mode].per_metric ? t->failed > 0 : (t->targets > 0 && !t->answered);
	if (down) {
		t->n_ev = 0;
		return report(t, c, true, err);
	}
	tel_diff(t, dc_mono_ms());
	int rc = exec_simple(c, "BEGIN", err);
	if (rc == 0)
		rc = write_rows(t, c, err);
	/* The remediation hook: the cycle's events, inside its transaction. */
	if (rc == 0 && t->n_ev && t->consume && t->consume(t->consume_ud, c, t->ev, t->n_ev, err) < 0)
		return consume_failed(t, c, err);
	if (rc == 0)
		rc = exec_simple(c, "COMMIT", err);
	if (rc < 0) {
		PQclear(PQexec(c, "ROLLBACK"));
		t->n_ev = 0;
		return -1;
	}
	tel_diff_commit(t);
	st->rows = (long)t->n_rows, st->events = (long)t->n_ev;
	log_events(t);
	return report(t, c, false, err);
}

static int start_cycle(struct tel *t, PGconn *c, struct dc_err *err)
{
	if (t->reload && load_index(t, c, err) < 0)
		return -1;
	tel_cycle_begin(t);
	t->due = dc_mono_ms() + t->cfg.every_ms;
	if (!t->n_gpus)   /* Slurm has not written the GPUs yet: every host would read as unknown */
		return 0;
	t->targets = target_count(t);
	t->phase = P_BUSY;
	xfers_top_up(t);
	tel_pump(t, 0);
	return 0;
}

int tel_poll(struct tel *t, PGconn *c, struct tel_stats *st, struct dc_err *err)
{
	tel_pump(t, 0);
	if (t->phase == P_READY && finish_cycle(t, c, st, err) < 0)
		return -1;
	if (t->phase == P_IDLE && dc_mono_ms() >= t->due && start_cycle(t, c, err) < 0)
		return -1;
	if (t->phase == P_READY)
		return 0;
	if (t->phase == P_BUSY)
		return 100;
	int64_t left = t->due - dc_mono_ms();
	return left > 0 ? (int)left : 0;
}

/* ---------------------------------------------------------------- lifecycle */

struct tel *tel_new(const struct tel_cfg *cfg, FILE *log, struct dc_err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dc_err_set(err, "telemetry: libcurl did not initialise");
		return NULL;
	}
	struct tel *t = xcalloc(1, sizeof *t);
	t->cfg = *cfg;
	t->cfg.url = cfg->url ? xstrdup(cfg->url) : NULL;
	t->log = log;
	t->reload = true;
	if (!(t->multi = curl_multi_init()))
		abort();
	curl_multi_setopt(t->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
	return t;
}

void tel_free(struct tel *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < TEL_INFLIGHT; i++)
		if (t->act[i])
			xfer_done(t, t->act[i], CURLE_ABORTED_BY_CALLBACK);
	curl_multi_cleanup(t->multi);
	curl_global_cleanup();
	index_free(t);
	for (size_t i = 0; i < t->n_logged; i++)
		free(t->logged[i]);
	free(t->pend), free(t->chg), free(t->rows), free(t->ev), free(t->cfg.url);
	free(t);
}

void tel_set_consumer(struct tel *t, tel_consume_fn fn, void *ud)
{
	t->consume = fn, t->consume_ud = ud;
}

void tel_reload(struct tel *t)
{
	t->reload = true;
}
