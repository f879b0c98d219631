/* relay.c — the relay's socket, clients and fan-out. See relay.h.
 *
 * A client's life: C_NEW (accepted, waiting for the turn's snapshot) ->
 * C_LIVE (deltas queued as they come); a log that cannot reach back turns
 * every live client C_RESET (RESET and a new snapshot, nothing queued in
 * between); a write error, EOF, or a queue over its limit drops it.
 *
 * Paced rows (relay.h): a live client holds references to the frames of
 * GPU rows and node reports not yet queued for it; node_sent says, by
 * node id, the state every client has (pace_able). One pace timer, while
 * anyone holds, ticks PACE_TURNS times a period and serves the clients
 * whose turn (id % PACE_TURNS) it is. */
#define _GNU_SOURCE /* accept4 */
#include "relay.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "relay-wire.h"
#include "text.h"

#define ALL_TABLES (DC_MASK(DC_T_COUNT) - 1)

/* An immutable frame buffer shared by every queue that holds it. */
struct rbuf {
	int refs;
	size_t n;
	unsigned char *p;
};

struct qent {
	struct rbuf *b;
	size_t off;
	int64_t queued_ms;
};

enum cstate { C_NEW, C_RESET, C_LIVE };

struct client {
	struct client *next;
	struct relay *relay;
	int fd;
	unsigned id;
	enum cstate state;
	struct qent *q;
	size_t qhead, qn, qcap;   /* queue entries [qhead, qn) */
	size_t qbytes, limit;     /* unsent bytes; the most it may hold */
	bool writing;             /* LOOP_WRITE asked for */
	struct rbuf **held;       /* paced GPU frames not yet queued, oldest first */
	size_t nheld, capheld;
	int64_t held_us;          /* mono µs the oldest was held */
};

/* A changed row, collected from the log. */
struct change {
	int64_t id;
	enum dc_table t;
};

/* The fan-out window being filled (relay.h, struct relay_fanout). */
#define FANOUT_KEEP 4096 /* batch times kept per window: 60 s at 68/s; more are counted, not kept */
#define HELD_KEEP 8192   /* paced sends' waits kept per window */
struct fanout_window {
	int64_t start_ms;
	uint64_t batches, rows, held_sends;
	size_t clients_max;
	uint32_t n, us[FANOUT_KEEP];
	uint32_t nheld, held_us[HELD_KEEP];
};

#define PACE_TURNS 10 /* a pace period's turns (relay.h): clients served in turn id % PACE_TURNS */

struct relay {
	struct loop *loop;
	struct relay_opts opts;
	char *path;
	int lfd;
	dev_t sock_dev;
	ino_t sock_ino;
	struct dc_model *model;
	struct store *store;
	uint64_t seq;             /* the log position every live client has */
	struct client *clients;
	unsigned next_id;
	uint64_t snap_timer, tick_timer, pace_timer;
	unsigned pace_turn;       /* the turn the pace timer serves next */
	size_t holding;           /* clients holding paced frames */
	uint64_t *node_sent;      /* by node id: node_state of the row last sent at once; 0 none */
	size_t nnode_sent;
	struct rbuf *hello;
	struct change *chg;
	size_t nchg, capchg;
	struct relay_stats stats;
	struct fanout_window fan;
	int64_t started_ms;       /* relay_start, mono */
	uint64_t full_reads;      /* the store's full loads the log has told */
	enum store_link logged_link;  /* what the log last said */
	bool logged_standby;
	char logged_error[256];
};

static void relay_log(struct relay *r, const char *fmt, ...) DC_PRINTF(2, 3);
static void relay_log(struct relay *r, const char *fmt, ...)
{
	if (r->opts.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	text_vlogline(stderr, "dcops relay: ", fmt, ap); /* server errors and paths, made inert */
	va_end(ap);
}

/* ---- shared buffers ---- */

static struct rbuf *rbuf_take(struct relay_buf *b)
{
	struct rbuf *rb = xcalloc(1, sizeof *rb);
	rb->refs = 1;
	rb->n = b->n;
	rb->p = b->p;
	*b = (struct relay_buf){ 0 };
	return rb;
}

static void rbuf_unref(struct rbuf *rb)
{
	if (rb && --rb->refs == 0) {
		free(rb->p);
		free(rb);
	}
}

/* ---- clients ---- */

/* The paced frames a client holds, let go unsent (a snapshot follows, or
 * the client is gone). */
static void held_clear(struct relay *r, struct client *c)
{
	for (size_t i = 0; i < c->nheld; i++)
		rbuf_unref(c->held[i]);
	if (c->nheld)
		r->holding--;
	c->nheld = 0;
}

static void client_drop(struct relay *r, struct client *c, const char *why)
{
	relay_log(r, "client %u dropped: %s", c->id, why);
	for (struct client **pp = &r->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	loop_fd_del(r->loop, c->fd);
	close(c->fd);
	for (size_t i = c->qhead; i < c->qn; i++)
		rbuf_unref(c->q[i].b);
	free(c->q);
	held_clear(r, c);
	free(c->held);
	free(c);
	r->stats.clients--;
	r->stats.dropped++;
}

static void client_watch(struct relay *r, struct client *c, bool write)
{
	if (write == c->writing)
		return;
	c->writing = write;
	loop_fd_mod(r->loop, c->fd, LOOP_READ | (write ? LOOP_WRITE : 0));
}

/* Sends what the socket takes now; false when the client was dropped. */
static bool client_flush(struct relay *r, struct client *c)
{
	while (c->qhead < c->qn) {
		struct qent *e = &c->q[c->qhead];
		ssize_t w = send(c->fd, e->b->p + e->off, e->b->n - e->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			client_watch(r, c, true);
			return true;
		}
		if (w < 0) {
			char why[128];
			snprintf(why, sizeof why, "write: %s", strerror(errno));
			client_drop(r, c, why);
			return false;
		}
		e->off += (size_t)w;
		c->qbytes -= (size_t)w;
		if (e->off < e->b->n)
			continue;
		rbuf_unref(e->b);
		c->qhead++;
	}
	c->qhead = c->qn = 0;
	client_watch(r, c, false);
	return true;
}

/* Queues rb (a reference taken); false when that put the client over its
 * limit (dropped). */
static bool client_queue(struct relay *r, struct client *c, struct rbuf *rb)
{
	if (c->qhead > 0 && c->qhead * 2 >= c->qn) { /* the sent half: give its slots back */
		memmove(c->q, c->q + c->qhead, (c->qn - c->qhead) * sizeof *c->q);
		c->qn -= c->qhead;
		c->qhead = 0;
	}
	c->q = xgrow(c->q, &c->qcap, c->qn + 1, sizeof *c->q);
	rb->refs++;
	c->q[c->qn++] = (struct qent){ rb, 0, dc_mono_ms() };
	c->qbytes += rb->n;
	if (c->qbytes > c->limit) {
		char why[128];
		snprintf(why, sizeof why, "%zu bytes queued, over its limit of %zu (a console too slow to read)",
		         c->qbytes, c->limit);
		client_drop(r, c, why);
		return false;
	}
	return true;
}

/* Queues rb (a reference taken) and sends what it can. */
static bool client_send(struct relay *r, struct client *c, struct rbuf *rb)
{
	return client_queue(r, c, rb) && client_flush(r, c);
}

static void held_note(struct relay *r, int64_t us);

/* A paced frame for the client's turn (a reference taken). */
static void held_add(struct relay *r, struct client *c, struct rbuf *rb, int64_t now_us)
{
	if (!c->nheld) {
		c->held_us = now_us;
		r->holding++;
	}
	c->held = xgrow(c->held, &c->capheld, c->nheld + 1, sizeof *c->held);
	rb->refs++;
	c->held[c->nheld++] = rb;
}

/* The client's paced frames into its queue, oldest first, and sent as the
 * socket takes them; false when the client was dropped. */
static bool held_release(struct relay *r, struct client *c, int64_t now_us)
{
	if (!c->nheld)
		return true;
	held_note(r, now_us - c->held_us);
	struct rbuf **h = c->held;
	size_t n = c->nheld;
	c->held = NULL;
	c->nheld = c->capheld = 0;
	r->holding--;
	bool live = true;
	for (size_t i = 0; i < n; i++) {
		live = live && client_queue(r, c, h[i]); /* a drop frees c, not h */
		rbuf_unref(h[i]);
	}
	free(h);
	return live && client_flush(r, c);
}

/* A client never writes: readable means it closed (or broke the protocol). */
static void on_client(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	struct client *c = ud;
	struct relay *r = c->relay;
	if (events & (LOOP_READ | LOOP_ERROR)) {
		char junk[256];
		ssize_t n = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
		if (n == 0) {
			client_drop(r, c, "closed by the console");
			return;
		}
		if (n > 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			client_drop(r, c, n > 0 ? "sent bytes (consoles only read)" : strerror(errno));
			return;
		}
	}
	if (events & LOOP_WRITE)
		client_flush(r, c);
}

/* ---- snapshots ---- */

struct by_id {
	int64_t id;
	const void *row;
};

static int by_id_cmp(const void *a, const void *b)
{
	const struct by_id *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* Table t's rows in id order (sorted here, once for every client): a
 * console's model then holds them in slots in id order, where its
 * lookups for a batch (also in id order) find them first time
 * (model.c, slot_find), and its GPU rows lie in memory in id order. */
static void put_table(struct relay_buf *b, const struct dc_model *m, enum dc_table t)
{
	size_t n = model_count(m, t);
	struct by_id *v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		v[i].row = model_row(m, t, i);
		v[i].id = model_row_id(t, v[i].row);
	}
	if (t != DC_T_SETTING)
		qsort(v, n, sizeof *v, by_id_cmp);
	for (size_t i = 0; i < n; i++)
		relay_put_row(b, t, v[i].row);
	free(v);
}

static void status_of(const struct relay *r, struct relay_status *rs)
{
	const struct store_status *st = store_status(r->store);
	memset(rs, 0, sizeof *rs);
	rs->link = st->link;
	rs->standby = st->standby;
	rs->last_ok_wall = st->last_ok_wall;
	rs->replay_lag_s = st->replay_lag_s;
	rs->loading = model_loading(r->model);
	snprintf(rs->error, sizeof rs->error, "%s", st->error);
	snprintf(rs->server, sizeof rs->server, "%s", st->server);
}

static void node_sent_all(struct relay *r);

/* STATUS, then every row, parents first (the full load's order). */
static struct rbuf *snapshot_make(struct relay *r)
{
	struct relay_buf b = { 0 };
	struct relay_status rs;
	status_of(r, &rs);
	relay_put_status(&b, &rs);
	relay_put_mark(&b, RF_SNAPSHOT);
	for (int t = 0; t < DC_T_COUNT; t++)
		put_table(&b, r->model, (enum dc_table)t);
	relay_put_mark(&b, RF_SNAPSHOT_END);
	node_sent_all(r);
	r->stats.snapshots++;
	return rbuf_take(&b);
}

/* Every client waiting for one (new, or reset) gets the turn's snapshot. */
static void on_snapshot(struct loop *l, void *ud)
{
	(void)l;
	struct relay *r = ud;
	r->snap_timer = 0;
	struct rbuf *snap = snapshot_make(r), *reset = NULL;
	struct relay_buf rb = { 0 };
	relay_put_mark(&rb, RF_RESET);
	reset = rbuf_take(&rb);
	for (struct client *c = r->clients, *next; c; c = next) {
		next = c->next;
		if (c->state == C_LIVE)
			continue;
		held_clear(r, c); /* the snapshot has their rows */
		c->limit = c->qbytes + snap->n + r->opts.queue_max;
		bool fresh = c->state == C_NEW;
		c->state = C_LIVE;
		if (client_send(r, c, fresh ? r->hello : reset))
			client_send(r, c, snap);
	}
	rbuf_unref(reset);
	rbuf_unref(snap);
}

static void snapshot_soon(struct relay *r)
{
	if (!r->snap_timer)
		r->snap_timer = loop_timer_add(r->loop, 0, on_snapshot, r);
}

/* ---- fan-out ---- */

static void broadcast(struct relay *r, struct rbuf *rb)
{
	for (struct client *c = r->clients, *next; c; c = next) {
		next = c->next;
		if (c->state == C_LIVE)
			client_send(r, c, rb);
	}
}

static void change_note(void *ud, enum dc_table t, int64_t id)
{
	struct relay *r = ud;
	r->chg = xgrow(r->chg, &r->capchg, r->nchg + 1, sizeof *r->chg);
	r->chg[r->nchg++] = (struct change){ id, t };
}

static int change_cmp(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* The row a change left in the model, NULL when it was deleted (or is a
 * setting: those are keyed by text, logged as id 0). */
static const void *change_row(const struct dc_model *m, const struct change *c)
{
	return c->t == DC_T_SETTING ? NULL : model_get(m, c->t, c->id);
}

/* One change: its row as it is now (change_row), or its delete (true).
 * A setting sends all of them: they are few. */
static bool change_put(struct relay_buf *b, const struct dc_model *m, const struct change *c, const void *row)
{
	if (c->t == DC_T_SETTING) {
		put_table(b, m, DC_T_SETTING);
		return false;
	}
	if (row)
		relay_put_row(b, c->t, row);
	else
		relay_put_del(b, c->t, c->id);
	return row == NULL;
}

/* ---- paced GPU rows (relay.h) ---- */

#define NODE_SENT_MAX (1u << 24) /* node ids tracked; a higher id always goes at once */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211u;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "", 1) * 31;
}

/* A node row's state apart from what its reports move on their own (its
 * power, its last report, its version): what an operator acts on. Never
 * 0. A field added to struct dc_node belongs here unless it is a report:
 * one left out is paced with the reports. */
static uint64_t node_state(const struct dc_node *n)
{
	int64_t v[] = { n->rack_id, n->partition_id, n->slot, n->gpu_count, n->sched, n->admin, n->health,
		n->drained_at, n->resume_after, n->admin_version, n->admin_changed_at };
	uint64_t h = fnv(14695981039346656037u, v, sizeof v);
	const char *str[] = { n->name, n->model, n->drain_reason, n->drained_by, n->health_detail,
		n->admin_changed_by };
	for (size_t i = 0; i < DC_ARRAY_LEN(str); i++)
		h = fnv_str(h, str[i]);
	return h ? h : 1;
}

/* Notes st as the state of node id that every client has (sent at once,
 * or in a snapshot); false when the id is past what is tracked. */
static bool node_sent_set(struct relay *r, int64_t id, uint64_t st)
{
	if (id <= 0 || (uint64_t)id >= NODE_SENT_MAX)
		return false;
	size_t i = (size_t)id;
	if (i >= r->nnode_sent) {
		size_t want = i + 1 > 2 * r->nnode_sent ? i + 1 : 2 * r->nnode_sent;
		r->node_sent = xrealloc(r->node_sent, want * sizeof *r->node_sent);
		memset(r->node_sent + r->nnode_sent, 0, (want - r->nnode_sent) * sizeof *r->node_sent);
		r->nnode_sent = want;
	}
	r->node_sent[i] = st;
	return true;
}

/* Every node's state as a snapshot gives it. */
static void node_sent_all(struct relay *r)
{
	for (size_t i = 0; i < model_count(r->model, DC_T_NODE); i++) {
		const struct dc_node *n = model_row(r->model, DC_T_NODE, i);
		node_sent_set(r, n->id, node_state(n));
	}
}

/* Whether a change may wait for each client's turn: a GPU row, or a node
 * row whose state (node_state) is what every client has already, so only
 * its power or its report moved. Any other node row goes at once and is
 * noted. A paced node row that reaches a console after a newer one sent
 * at once is older by version, and the console drops it (store.c). */
static bool pace_able(struct relay *r, const struct change *c, const void *row)
{
	if (c->t == DC_T_GPU)
		return true;
	const struct dc_node *n = c->t == DC_T_NODE ? row : NULL;
	if (!n)
		return false;
	uint64_t st = node_state(n);
	if ((size_t)c->id < r->nnode_sent && r->node_sent[c->id] == st)
		return true;
	node_sent_set(r, c->id, st);
	return false;
}

static void on_pace(struct loop *l, void *ud);

static void pace_arm(struct relay *r)
{
	if (!r->holding || r->pace_timer)
		return;
	int ms = r->opts.telemetry_ms / PACE_TURNS;
	r->pace_timer = loop_timer_add(r->loop, ms > 0 ? ms : 1, on_pace, r);
}

/* One turn: its clients' held frames go out. */
static void on_pace(struct loop *l, void *ud)
{
	(void)l;
	struct relay *r = ud;
	r->pace_timer = 0;
	unsigned turn = r->pace_turn++ % PACE_TURNS;
	int64_t now = dc_mono_us();
	for (struct client *c = r->clients, *next; c; c = next) {
		next = c->next;
		if (c->state == C_LIVE && c->id % PACE_TURNS == turn)
			held_release(r, c, now);
	}
	pace_arm(r);
}

/* Every live client's held frames out now, ahead of a batch sent whole. */
static void held_release_all(struct relay *r)
{
	int64_t now = dc_mono_us();
	for (struct client *c = r->clients, *next; c; c = next) {
		next = c->next;
		if (c->state == C_LIVE)
			held_release(r, c, now);
	}
}

static void hold(struct relay *r, struct rbuf *rb)
{
	int64_t now = dc_mono_us();
	for (struct client *c = r->clients; c; c = c->next)
		if (c->state == C_LIVE)
			held_add(r, c, rb, now);
	pace_arm(r);
}

/* The log since the last batch, each (table, id) once, parents first:
 * the GPU rows and the nodes' reports paced, the rest to every client now
 * (relay.h). A
 * delete, or the relay's own first load, sends the batch whole after
 * what the clients hold; a client applies a batch's tables in the
 * model's order whatever their order in it (store.c, staged_apply). */
static void fanout_note(struct relay *r, int64_t us, size_t rows);

static void batch_send(struct relay *r)
{
	int64_t t0 = dc_mono_us();
	size_t rows = 0;
	qsort(r->chg, r->nchg, sizeof *r->chg, change_cmp);
	struct relay_buf b = { 0 }, g = { 0 };
	unsigned mask = 0, gmask = 0;
	bool del = false, pacing = r->opts.telemetry_ms > 0;
	for (size_t i = 0; i < r->nchg; i++) {
		if (i > 0 && change_cmp(&r->chg[i], &r->chg[i - 1]) == 0)
			continue;
		const void *row = change_row(r->model, &r->chg[i]);
		bool later = pacing && pace_able(r, &r->chg[i], row);
		del |= change_put(later ? &g : &b, r->model, &r->chg[i], row);
		*(later ? &gmask : &mask) |= DC_MASK(r->chg[i].t);
		rows++;
	}
	r->nchg = 0;
	if (!mask && !gmask)
		return;
	if (!pacing || del || model_loading(r->model)) {
		relay_buf_cat(&b, &g);
		mask |= gmask;
		gmask = 0;
		held_release_all(r);
	}
	if (mask) {
		relay_put_batch(&b, mask);
		struct rbuf *rb = rbuf_take(&b);
		broadcast(r, rb);
		rbuf_unref(rb);
	}
	if (gmask) {
		relay_put_batch(&g, gmask);
		struct rbuf *rb = rbuf_take(&g);
		hold(r, rb);
		rbuf_unref(rb);
	}
	relay_buf_free(&b);
	relay_buf_free(&g);
	r->stats.batches++;
	fanout_note(r, dc_mono_us() - t0, rows);
}

/* ---- fan-out figures (relay.h) ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* p50, p99 and max of v[0, n), sorted here; zeros when n is 0. */
static void spread(uint32_t *v, uint32_t n, int64_t *p50, int64_t *p99, int64_t *max)
{
	*p50 = *p99 = *max = 0;
	if (!n)
		return;
	qsort(v, n, sizeof *v, cmp_u32);
	*p50 = v[(n - 1) / 2];
	*p99 = v[(size_t)((n - 1) * 0.99)];
	*max = v[n - 1];
}

/* Closes the window: its figures into stats, and one log line. */
static void fanout_close(struct relay *r)
{
	struct fanout_window *w = &r->fan;
	if (w->batches || w->held_sends) {
		struct relay_fanout *f = &r->stats.fanout;
		f->batches = w->batches;
		f->rows = w->rows;
		f->clients_max = w->clients_max;
		spread(w->us, w->n, &f->p50_us, &f->p99_us, &f->max_us);
		f->held_sends = w->held_sends;
		spread(w->held_us, w->nheld, &f->held_p50_us, &f->held_p99_us, &f->held_max_us);
		char paced[160] = "";
		if (f->held_sends)
			snprintf(paced, sizeof paced, "; telemetry paced every %d ms: %llu sends, held p50 %.1f ms, "
			         "p99 %.1f ms, max %.1f ms", r->opts.telemetry_ms, (unsigned long long)f->held_sends,
			         f->held_p50_us / 1000.0, f->held_p99_us / 1000.0, f->held_max_us / 1000.0);
		relay_log(r, "fan-out over %lld s: %llu batches, %llu rows, up to %zu clients; encode and send "
		          "to every client p50 %.2f ms, p99 %.2f ms, max %.2f ms%s",
		          (long long)((dc_mono_ms() - w->start_ms + 500) / 1000), (unsigned long long)f->batches,
		          (unsigned long long)f->rows, f->clients_max, f->p50_us / 1000.0, f->p99_us / 1000.0,
		          f->max_us / 1000.0, paced);
	}
	w->batches = w->rows = w->held_sends = 0;
	w->clients_max = 0;
	w->n = w->nheld = 0;
	w->start_ms = dc_mono_ms();
}

static void held_note(struct relay *r, int64_t us)
{
	struct fanout_window *w = &r->fan;
	w->held_sends++;
	if (w->nheld < HELD_KEEP)
		w->held_us[w->nheld++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void fanout_note(struct relay *r, int64_t us, size_t rows)
{
	struct fanout_window *w = &r->fan;
	w->batches++;
	w->rows += rows;
	if (r->stats.clients > w->clients_max)
		w->clients_max = r->stats.clients;
	if (w->n < FANOUT_KEEP)
		w->us[w->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void status_send(struct relay *r)
{
	struct relay_status rs;
	status_of(r, &rs);
	struct relay_buf b = { 0 };
	relay_put_status(&b, &rs);
	struct rbuf *rb = rbuf_take(&b);
	broadcast(r, rb);
	rbuf_unref(rb);
}

static void link_log(struct relay *r, const struct store_status *st);

/* Each full load, once whole (a first load's last table, or a reload),
 * in the log: what the relay serves from then on. */
static void load_log(struct relay *r)
{
	const struct store_status *st = store_status(r->store);
	uint64_t full = st->reads - st->delta_reads;
	if (full == r->full_reads)
		return;
	bool first = !r->full_reads;
	r->full_reads = full;
	link_log(r, st); /* "database up" first: the store tells its link after the rows */
	size_t nodes = model_count(r->model, DC_T_NODE), gpus = model_count(r->model, DC_T_GPU),
	       jobs = model_count(r->model, DC_T_JOB);
	if (first)
		relay_log(r, "first load done in %.1f s: %zu nodes, %zu GPUs, %zu jobs",
		          (double)(dc_mono_ms() - r->started_ms) / 1000.0, nodes, gpus, jobs);
	else
		relay_log(r, "reloaded: %zu nodes, %zu GPUs, %zu jobs", nodes, gpus, jobs);
}

static void on_change(void *ud, unsigned mask)
{
	struct relay *r = ud;
	load_log(r);
	r->nchg = 0;
	bool reach = model_log_since(r->model, r->seq, ALL_TABLES, change_note, r);
	r->seq = model_log_seq(r->model);
	model_log_hold(r->model, r->seq, r->opts.log_max); /* a read bigger than the ring: no RESET */
	if (reach) {
		batch_send(r);
		if (model_loading(r->model) || mask == ALL_TABLES)
			status_send(r); /* a first load's progress */
		return;
	}
	r->stats.resets++; /* model_log_since noted nothing */
	if (r->stats.clients)
		relay_log(r, "the changes since the last batch are out of the model log's reach (a reload, or "
		          "over %zu changes at once): RESET and a new snapshot to %zu clients", r->opts.log_max,
		          r->stats.clients);
	for (struct client *c = r->clients; c; c = c->next)
		if (c->state == C_LIVE)
			c->state = C_RESET;
	snapshot_soon(r);
}

/* Logged when the link, the error or standby-ness changes (a standby's
 * lag changes every second it is behind: that goes to the clients only). */
static void link_log(struct relay *r, const struct store_status *st)
{
	if (st->link != r->logged_link || st->standby != r->logged_standby || strcmp(st->error, r->logged_error)) {
		r->logged_link = st->link;
		r->logged_standby = st->standby;
		snprintf(r->logged_error, sizeof r->logged_error, "%s", st->error);
		relay_log(r, "database %s%s%s%s",
		          st->link == STORE_UP ? "up" : st->link == STORE_DOWN ? "down" : "connecting",
		          st->link == STORE_UP && st->standby ? " (a hot standby: following its replay)" : "",
		          st->error[0] ? ": " : "", st->error);
	}
}

static void on_status(void *ud, const struct store_status *st)
{
	struct relay *r = ud;
	link_log(r, st);
	status_send(r);
}

/* The heartbeat, and clients too far behind. */
static void on_tick(struct loop *l, void *ud)
{
	struct relay *r = ud;
	r->tick_timer = loop_timer_add(l, RELAY_HEARTBEAT_MS, on_tick, r);
	int64_t now = dc_mono_ms();
	for (struct client *c = r->clients, *next; c; c = next) {
		next = c->next;
		if (c->qhead < c->qn && now - c->q[c->qhead].queued_ms > RELAY_BEHIND_MS) {
			char why[96];
			snprintf(why, sizeof why, "bytes waiting over %d s (a console stopped reading)",
			         RELAY_BEHIND_MS / 1000);
			client_drop(r, c, why);
		}
	}
	if (now - r->fan.start_ms >= (int64_t)(r->opts.fanout_s > 0 ? r->opts.fanout_s : RELAY_FANOUT_S) * 1000)
		fanout_close(r);
	status_send(r);
}

/* ---- the socket ---- */

static void on_accept(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)events;
	struct relay *r = ud;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				relay_log(r, "accept: %s", strerror(errno));
			return;
		}
		struct client *c = xcalloc(1, sizeof *c);
		c->relay = r;
		c->fd = cfd;
		c->id = ++r->next_id;
		c->state = C_NEW;
		c->limit = r->opts.queue_max;
		c->next = r->clients;
		r->clients = c;
		r->stats.clients++;
		r->stats.accepted++;
		loop_fd_add(l, cfd, LOOP_READ, on_client, c);
		relay_log(r, "client %u connected (%zu now)", c->id, r->stats.clients);
		snapshot_soon(r);
	}
}

/* A socket left by a relay that died is removed; anything else at the
 * path, or a relay still listening there, is not. */
static int stale_remove(const char *path, struct dc_err *err)
{
	struct stat sb;
	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : dc_err_set(err, "%s: %s", path, strerror(errno));
	if (!S_ISSOCK(sb.st_mode))
		return dc_err_set(err, "%s exists and is not a socket: not removing it", path);
	struct sockaddr_un a;
	if (relay_addr(path, &a, err) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	if (live)
		return dc_err_set(err, "another relay is listening on %s", path);
	if (unlink(path) < 0)
		return dc_err_set(err, "removing the stale socket %s: %s", path, strerror(errno));
	return 0;
}

static int sock_open(struct relay *r, struct dc_err *err)
{
	struct sockaddr_un a;
	if (relay_addr(r->path, &a, err) < 0 || stale_remove(r->path, err) < 0)
		return -1;
	r->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->lfd < 0)
		return dc_err_set(err, "socket: %s", strerror(errno));
	mode_t old = umask(0117); /* born 0660: no moment of wider access */
	int rc = bind(r->lfd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	struct stat sb;
	if (rc < 0 || chmod(r->path, 0660) < 0 || listen(r->lfd, 128) < 0 || stat(r->path, &sb) < 0)
		return dc_err_set(err, "%s: %s", r->path, strerror(errno));
	r->sock_dev = sb.st_dev;
	r->sock_ino = sb.st_ino;
	loop_fd_add(r->loop, r->lfd, LOOP_READ, on_accept, r);
	return 0;
}

/* Unlinks the socket only if it is still the one this relay made. */
static void sock_close(struct relay *r)
{
	if (r->lfd < 0)
		return;
	loop_fd_del(r->loop, r->lfd);
	close(r->lfd);
	struct stat sb;
	if (r->sock_ino && lstat(r->path, &sb) == 0 && sb.st_dev == r->sock_dev && sb.st_ino == r->sock_ino)
		unlink(r->path);
}

/* ---- API ---- */

struct relay *relay_new(struct loop *l, const struct relay_opts *o, struct dc_err *err)
{
	struct relay *r = xcalloc(1, sizeof *r);
	r->loop = l;
	r->opts = *o;
	if (!r->opts.queue_max)
		r->opts.queue_max = RELAY_QUEUE_MAX;
	if (!r->opts.telemetry_ms)
		r->opts.telemetry_ms = RELAY_TELEMETRY_MS;
	if (!r->opts.log_max)
		r->opts.log_max = DC_LOG_HOLD_MAX;
	r->path = xstrdup(o->socket_path);
	r->lfd = -1;
	r->logged_link = STORE_CONNECTING;
	if (sock_open(r, err) < 0) {
		sock_close(r);
		free(r->path);
		free(r);
		return NULL;
	}
	struct relay_buf b = { 0 };
	relay_put_hello(&b, RELAY_PROTO, model_layout_fingerprint());
	r->hello = rbuf_take(&b);
	r->model = model_new();
	model_log_hold(r->model, r->seq, r->opts.log_max);
	struct store_opts so = { .conninfo = o->conninfo, .readonly = true };
	struct store_callbacks cb = { on_change, on_status, r };
	r->store = store_new(l, r->model, &so, &cb);
	return r;
}

void relay_start(struct relay *r)
{
	r->started_ms = dc_mono_ms();
	store_start(r->store);
	r->tick_timer = loop_timer_add(r->loop, RELAY_HEARTBEAT_MS, on_tick, r);
	r->fan.start_ms = dc_mono_ms();
	if (r->opts.telemetry_ms > 0)
		relay_log(r, "listening on %s; telemetry (GPU rows, nodes' reports) paced every %d ms", r->path,
		          r->opts.telemetry_ms);
	else
		relay_log(r, "listening on %s; telemetry (GPU rows, nodes' reports) sent as it comes", r->path);
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	fanout_close(r); /* the window so far */
	while (r->clients) {
		r->stats.dropped--; /* not a drop: the relay ends */
		client_drop(r, r->clients, "the relay is stopping");
	}
	loop_timer_cancel(r->loop, r->snap_timer);
	loop_timer_cancel(r->loop, r->tick_timer);
	loop_timer_cancel(r->loop, r->pace_timer);
	sock_close(r);
	store_free(r->store);
	model_free(r->model);
	rbuf_unref(r->hello);
	free(r->node_sent);
	free(r->chg);
	free(r->path);
	free(r);
}

const struct relay_stats *relay_stats(const struct relay *r)
{
	return &r->stats;
}

const struct store_status *relay_store_status(const struct relay *r)
{
	return store_status(r->store);
}
