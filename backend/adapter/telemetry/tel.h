/* tel.h — the telemetry reader: DCGM metrics for every dcops GPU, from a
 * site Prometheus (one instant query per metric for the whole fleet,
 * /api/v1/query, JSON; `max by (Hostname, gpu, UUID) (METRIC)`, so only the
 * labels dcops matches on travel; the four NVLink error counters added up
 * by one `sum by` query) or from each node's dcgm-exporter directly
 * (http://{node}:9400/metrics, text format, up to TEL_INFLIGHT scrapes in
 * flight), through libcurl's multi interface: tel_pump moves the
 * transfers from the adapter's wait, so nothing blocks on the network.
 *
 * A cycle: start every transfer; as each answers, parse it and keep its
 * samples only if the whole answer parsed; when all have answered, diff
 * against what was last written (the simulator's deadbands: utilisation 8
 * points, temperature 3 C, memory 5 % of the GPU's, power 8 %), turn Xid
 * and counter changes into events (tel-event.h), write the changed GPU
 * rows in one transaction of its own (not the Slurm cycle's: a telemetry
 * failure never holds back the scheduler's view), hand the events to the
 * consumer inside that transaction, and report the source as the
 * "telemetry" adapter (034/060: telemetry.* settings; the console shows
 * TELEMETRY STALE when it is down or silent).
 *
 * Matching: the Hostname label (or its part before the first '.') names
 * the dcops node, the gpu label its GPU; in exporters mode the node is the
 * one scraped, whatever its labels say. Samples of unknown hosts or GPUs
 * are counted and each unknown host is logged once; nothing is created.
 * A GPU that had metrics and has none for 3 cycles is written as stale
 * (gpu.metrics_stale); when the whole source is down the GPUs keep their
 * last values and the report says why.
 *
 * Ownership: the reader owns its transfers, index and events; the
 * connection is borrowed per call. Events (tel_events) stay valid until
 * the next cycle starts. */
#ifndef DCOPS_TEL_H
#define DCOPS_TEL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "adapter/telemetry/tel-event.h"
#include "util.h"

#define TEL_INFLIGHT 256

/* prometheus: /api/v1/query, JSON; federate: the same Prometheus's
 * /federate?match[]=METRIC, the text format (no JSON tree to build: the
 * exporters' parse speed, see BENCHMARKS.md); exporters: one page a node. */
enum tel_mode { TEL_OFF, TEL_PROMETHEUS, TEL_FEDERATE, TEL_EXPORTERS };

struct tel_cfg {
	enum tel_mode mode;
	char *url;          /* Prometheus base URL, or the exporter URL with {node} */
	int every_ms;       /* between cycles (default 10 s) */
	int timeout_ms;     /* per transfer (default 5 s) */
	const char *ca_file; /* CA bundle for https (default: the system's) */
};

/* 0 taken, 1 not a telemetry option, -1 bad value (message on stderr).
 *   --telemetry prometheus=URL | federate=URL | exporters=PORT | exporters=URL-with-{node}
 *   --telemetry-every S, --telemetry-timeout S, --telemetry-ca FILE */
int tel_cfg_parse(struct tel_cfg *c, const char *opt, const char *val);
void tel_cfg_init(struct tel_cfg *c);
void tel_cfg_free(struct tel_cfg *c);

/* Called inside the cycle's transaction, after its GPU rows are written,
 * with the cycle's events (n may be 0: not called then). -1 with err
 * rolls the whole cycle back; its events come again next cycle. */
typedef int (*tel_consume_fn)(void *ud, PGconn *c, const struct tel_event *ev, size_t n,
                              struct dc_err *err);

struct tel;
struct tel_stats {
	long rows, events, samples, unknown, failed;
	bool cycled;        /* a cycle finished in this call */
};

struct tel *tel_new(const struct tel_cfg *cfg, FILE *log, struct dc_err *err);
void tel_free(struct tel *t);
void tel_set_consumer(struct tel *t, tel_consume_fn fn, void *ud);
/* Reload the GPU index (and what the database holds of each GPU) before
 * the next cycle: after a (re)connect, or when the Slurm side added or
 * removed GPU rows. */
void tel_reload(struct tel *t);
/* Starts a due cycle, finishes one whose transfers have all answered.
 * Milliseconds until it wants to be called again; -1 with err when the
 * database failed (the source failing is reported, not returned). */
int tel_poll(struct tel *t, PGconn *c, struct tel_stats *st, struct dc_err *err);
/* Transfers in flight? Then tel_pump waits at most max_ms for them. */
bool tel_busy(const struct tel *t);
/* Every transfer answered: tel_poll should run now. */
bool tel_ready(const struct tel *t);
void tel_pump(struct tel *t, int max_ms);
/* The events of the last finished cycle. */
const struct tel_event *tel_events(const struct tel *t, size_t *n);

/* ---- without a network or database: unit tests and the benchmark ---- */
struct tel_gpu_row {
	int64_t id;
	const char *node;     /* rows come grouped by node */
	int idx, util, temp, power, mem_used, mem_total, xid;
	long long ecc_dbe;
	double xid_at;
	bool remap, stale, seen;
};
void tel_index_set(struct tel *t, const struct tel_gpu_row *rows, size_t n);
void tel_cycle_begin(struct tel *t);
/* One answer: what is the query's metric name (prometheus, federate) or
 * the node scraped (exporters). -1 with err when it does not parse: an
 * exporter's page is dropped alone; a refused query answer (a metric
 * missing for the whole fleet) leaves the cycle nothing to diff. */
int tel_feed(struct tel *t, const char *what, const char *body, size_t len, struct dc_err *err);
/* A GPU row as the cycle writes it. */
struct tel_row {
	int64_t id;
	int util, temp, power, mem, xid;
	long long dbe;
	double xid_at;       /* Unix seconds, 0 when no Xid */
	bool remap, stale;
};
/* Diff the cycle at now_ms: the rows it would write (events: tel_events). */
size_t tel_diff(struct tel *t, int64_t now_ms);
const struct tel_row *tel_diff_rows(const struct tel *t, size_t *n);
/* The diff as committed. */
void tel_diff_commit(struct tel *t);

#endif
