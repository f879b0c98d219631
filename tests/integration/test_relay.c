/* test_relay — `dcops relay` (backend/relay/) against a real PostgreSQL:
 * one relay and two consoles' stores on one loop. A committed change
 * reaches both consoles through the relay with only the relay reading the
 * database; with the relay gone they read directly and still follow
 * changes; with it back they return to it; a relay of another build
 * (HELLO with a different layout fingerprint) is refused and the console
 * reads directly; GPU rows are paced (sent at each console's turn) while
 * other changes go at once, and a delete first sends what is held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop.h"
#include "model.h"
#include "relay/relay-wire.h"
#include "relay/relay.h"
#include "store.h"
#include "testdb.h"

#define HANGUL "한국AI 연구소"

struct console {
	struct dc_model *m;
	struct store *s;
};

struct fx {
	struct testdb db;
	struct loop *loop;
	char dir[64], path[96];
	struct relay *relay;
	struct console c[2];
	PGconn *w; /* the writer */
};

static const char *const seed_sql[] = {
	"INSERT INTO dcops.site (code, name) VALUES ('gj', 'Gwangju')",
	"INSERT INTO dcops.hall (site_id, name) VALUES (1, 'A')",
	"INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw) VALUES (1, 'r01', 1, 1, 40)",
	"INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100')",
	"INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count) SELECT 'n' || i, 1, 1, 'HGX', 8"
	" FROM generate_series(1, 4) i",
	"INSERT INTO dcops.tenant (name, kind) VALUES ('" HANGUL "', 'startup')",
	"INSERT INTO dcops.setting (key, value) VALUES ('environment', 'demo')",
};

/* Runs the loop until cond holds, at most 20 s. */
#define PUMP_UNTIL(l, cond) do { \
	int64_t end_ = dc_mono_ms() + 20000; \
	while (!(cond) && dc_mono_ms() < end_) \
		loop_run_once((l), 50); \
	assert_true(cond); \
} while (0)

static int node_power(const struct dc_model *m, int64_t id)
{
	const struct dc_node *n = model_node(m, id);
	return n ? n->power_w : -1;
}

static struct relay *relay_up(struct fx *f)
{
	struct relay_opts o = { .conninfo = f->db.conninfo, .socket_path = f->path, .quiet = true,
		.fanout_s = 1 };
	struct dc_err err = {{0}};
	struct relay *r = relay_new(f->loop, &o, &err);
	if (!r)
		fprintf(stderr, "relay_new: %s\n", err.msg);
	assert_non_null(r);
	relay_start(r);
	return r;
}

static void console_up(struct fx *f, struct console *c, const char *relay_path)
{
	c->m = model_new();
	struct store_opts o = { .conninfo = f->db.conninfo, .readonly = true, .poll_ms = 60000,
		.deadline_ms = 3000, .relay = relay_path };
	c->s = store_new(f->loop, c->m, &o, NULL);
	store_start(c->s);
}

static void console_free(struct console *c)
{
	store_free(c->s);
	model_free(c->m);
}

static bool both(struct fx *f, bool via_relay)
{
	for (int i = 0; i < 2; i++) {
		const struct store_status *st = store_status(f->c[i].s);
		if (st->via_relay != via_relay || st->link != STORE_UP || model_count(f->c[i].m, DC_T_NODE) == 0)
			return false;
	}
	return true;
}

static int group_setup(void **state)
{
	testdb_require();
	struct fx *f = xcalloc(1, sizeof *f);
	*state = f;
	if (testdb_create_seeded(&f->db, seed_sql, DC_ARRAY_LEN(seed_sql)) < 0)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/dcops-test-relay.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/relay.sock", f->dir);
	f->loop = loop_new();
	f->relay = relay_up(f);
	PUMP_UNTIL(f->loop, relay_store_status(f->relay)->link == STORE_UP);
	for (int i = 0; i < 2; i++)
		console_up(f, &f->c[i], f->path);
	PUMP_UNTIL(f->loop, both(f, true));
	f->w = testdb_connect(&f->db);
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;
	if (!f)
		return 0;
	PQfinish(f->w);
	for (int i = 0; i < 2; i++)
		console_free(&f->c[i]);
	relay_free(f->relay);
	loop_free(f->loop);
	testdb_drop(&f->db);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The snapshot carried every table, strings and all; the socket is 0660. */
static void test_snapshot(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 2; i++) {
		struct dc_model *m = f->c[i].m;
		assert_int_equal(model_count(m, DC_T_NODE), 4);
		const struct dc_tenant *t = model_tenant(m, 1);
		assert_non_null(t);
		assert_string_equal(t->name, HANGUL);
		assert_string_equal(model_setting(m, "environment"), "demo");
		assert_int_equal(model_partition(m, 1)->nodes, 4); /* derived here, not sent */
		assert_int_equal(model_loading(m), 0);
		assert_int_equal(store_status(f->c[i].s)->reads, 0);
	}
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0660);
	assert_int_equal(relay_stats(f->relay)->clients, 2);
}

/* A change reaches both consoles; only the relay reads the database. */
static void test_change_fans_out(void **state)
{
	struct fx *f = *state;
	uint64_t relay_reads = relay_store_status(f->relay)->delta_reads;
	assert_true(testdb_ok(f->w, "UPDATE dcops.node SET power_w = 777 WHERE id = 2"));
	PUMP_UNTIL(f->loop, node_power(f->c[0].m, 2) == 777 && node_power(f->c[1].m, 2) == 777);
	assert_true(testdb_ok(f->w, "DELETE FROM dcops.node WHERE id = 4"));
	assert_true(testdb_ok(f->w, "UPDATE dcops.setting SET value = 'prod' WHERE key = 'environment'"));
	PUMP_UNTIL(f->loop, !model_node(f->c[0].m, 4) && !model_node(f->c[1].m, 4) &&
	           strcmp(model_setting(f->c[1].m, "environment"), "prod") == 0);
	assert_int_equal(model_partition(f->c[0].m, 1)->nodes, 3);
	assert_true(relay_store_status(f->relay)->delta_reads > relay_reads);
	for (int i = 0; i < 2; i++) {
		const struct store_status *st = store_status(f->c[i].s);
		assert_int_equal(st->delta_reads, 0);
		assert_int_equal(st->reads, 0);
		assert_true(st->via_relay);
		assert_int_equal(st->link, STORE_UP);
	}
	/* the fan-out window (1 s here) closes on a heartbeat with its figures */
	PUMP_UNTIL(f->loop, relay_stats(f->relay)->fanout.batches > 0);
	const struct relay_fanout *fo = &relay_stats(f->relay)->fanout;
	assert_true(fo->rows >= 2); /* the node, its delete, the settings */
	assert_int_equal(fo->clients_max, 2);
	assert_true(fo->p50_us <= fo->p99_us && fo->p99_us <= fo->max_us && fo->max_us > 0);
}

static size_t jobs_in(const struct console *c)
{
	return model_count(c->m, DC_T_JOB);
}

/* 33,000 jobs in one transaction, in reverse id order. */
static void jobs_insert(struct fx *f)
{
	assert_true(testdb_ok(f->w, "INSERT INTO dcops.job (id, tenant_id, partition_id, user_name, gpus, state,"
	                            " submit_at) SELECT i, 1, 1, 'kim', 1, 'pending', now()"
	                            " FROM generate_series(33000, 1, -1) i"));
	PUMP_UNTIL(f->loop, jobs_in(&f->c[0]) == 33000 && jobs_in(&f->c[1]) == 33000);
	assert_int_equal(model_partition(f->c[0].m, 1)->jobs_pending, 33000);
}

/* Rows in id order in every table a snapshot sent: the consoles hold them
 * so, as their lookups expect. */
static void assert_jobs_in_id_order(const struct console *c)
{
	for (size_t k = 1; k < jobs_in(c); k++)
		assert_true(((const struct dc_job *)model_row(c->m, DC_T_JOB, k - 1))->id <
		            ((const struct dc_job *)model_row(c->m, DC_T_JOB, k))->id);
}

static void jobs_delete(struct fx *f)
{
	assert_true(testdb_ok(f->w, "DELETE FROM dcops.job"));
	PUMP_UNTIL(f->loop, jobs_in(&f->c[0]) == 0 && jobs_in(&f->c[1]) == 0);
	for (int i = 0; i < 2; i++) {
		assert_true(store_status(f->c[i].s)->via_relay);
		assert_int_equal(store_status(f->c[i].s)->reads, 0);
		assert_int_equal(model_count(f->c[i].m, DC_T_NODE), 3);
	}
}

/* More changes in one read than the model's log ring holds (DC_LOG_CAP):
 * the relay holds its log, so they go out as one batch, no RESET and no
 * snapshot (fifty consoles' snapshots at once slowed the relay into the
 * next big read: stop 29's cascade). A console that comes now gets a
 * snapshot, in id order. */
static void test_big_read_batched(void **state)
{
	struct fx *f = *state;
	uint64_t resets = relay_stats(f->relay)->resets, snaps = relay_stats(f->relay)->snapshots;
	jobs_insert(f);
	assert_int_equal(relay_stats(f->relay)->resets, resets);
	assert_int_equal(relay_stats(f->relay)->snapshots, snaps);
	struct console late;
	console_up(f, &late, f->path);
	PUMP_UNTIL(f->loop, jobs_in(&late) == 33000 && store_status(late.s)->via_relay);
	assert_jobs_in_id_order(&late);
	assert_int_equal(relay_stats(f->relay)->snapshots, snaps + 1);
	console_free(&late);
	jobs_delete(f);
}

/* More changes in one read than a relay holds (its log_max, here the
 * ring's own size): its consoles get RESET and a fresh snapshot. */
static void test_reset_snapshot(void **state)
{
	struct fx *f = *state;
	char path[128];
	snprintf(path, sizeof path, "%s/small.sock", f->dir);
	struct relay_opts o = { .conninfo = f->db.conninfo, .socket_path = path, .quiet = true,
		.log_max = DC_LOG_CAP };
	struct dc_err err = {{0}};
	struct relay *small = relay_new(f->loop, &o, &err);
	assert_non_null(small);
	relay_start(small);
	struct console c;
	console_up(f, &c, path);
	PUMP_UNTIL(f->loop, relay_store_status(small)->reads > 0 && store_status(c.s)->via_relay &&
	           model_count(c.m, DC_T_NODE) == 3);
	uint64_t resets = relay_stats(small)->resets, snaps = relay_stats(small)->snapshots;
	jobs_insert(f);
	PUMP_UNTIL(f->loop, jobs_in(&c) == 33000);
	assert_int_equal(relay_stats(small)->resets, resets + 1);
	assert_int_equal(relay_stats(small)->snapshots, snaps + 1);
	assert_jobs_in_id_order(&c);
	assert_true(store_status(c.s)->via_relay);
	assert_int_equal(store_status(c.s)->reads, 0);
	console_free(&c);
	relay_free(small);
	jobs_delete(f);
}

/* Relay gone: the consoles read directly, keep their rows, follow changes;
 * relay back: they return to it. */
static void test_fallback_and_return(void **state)
{
	struct fx *f = *state;
	relay_free(f->relay);
	f->relay = NULL;
	for (int i = 0; i < 2; i++) /* the rows stay while the store goes direct */
		assert_int_equal(model_count(f->c[i].m, DC_T_NODE), 3);
	PUMP_UNTIL(f->loop, both(f, false));
	for (int i = 0; i < 2; i++) {
		const struct store_status *st = store_status(f->c[i].s);
		assert_int_equal(st->relay_fallbacks, 1);
		assert_non_null(strstr(st->relay_error, "reading the database directly"));
		assert_true(st->reads > 0);
	}
	assert_true(testdb_ok(f->w, "UPDATE dcops.node SET power_w = 888 WHERE id = 1"));
	PUMP_UNTIL(f->loop, node_power(f->c[0].m, 1) == 888 && node_power(f->c[1].m, 1) == 888);

	f->relay = relay_up(f);
	PUMP_UNTIL(f->loop, both(f, true));
	uint64_t reads[2] = { store_status(f->c[0].s)->reads, store_status(f->c[1].s)->reads };
	assert_true(testdb_ok(f->w, "UPDATE dcops.node SET power_w = 999 WHERE id = 1"));
	PUMP_UNTIL(f->loop, node_power(f->c[0].m, 1) == 999 && node_power(f->c[1].m, 1) == 999);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(store_status(f->c[i].s)->reads, reads[i]);
		assert_string_equal(store_status(f->c[i].s)->relay_error, "");
		assert_int_equal(model_count(f->c[i].m, DC_T_NODE), 3);
	}
}

/* A "relay" of another build: its HELLO is refused in one line, the
 * console reads directly. */
struct fake {
	int lfd, cfd;
	uint64_t fingerprint; /* what its HELLO says */
};

static void on_fake_accept(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)events;
	struct fake *fk = ud;
	int c = accept(fd, NULL, NULL);
	if (c < 0)
		return;
	struct relay_buf b = { 0 };
	relay_put_hello(&b, RELAY_PROTO, fk->fingerprint);
	assert_int_equal(write(c, b.p, b.n), (ssize_t)b.n);
	relay_buf_free(&b);
	if (fk->cfd >= 0)
		close(fk->cfd);
	fk->cfd = c;
}

/* A fake relay at DIR/NAME that answers every client with a HELLO and nothing more. */
static void fake_open(struct fx *f, struct fake *fk, const char *name, uint64_t fingerprint, char *path,
                      size_t n)
{
	snprintf(path, n, "%s/%s", f->dir, name);
	*fk = (struct fake){ socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), -1, fingerprint };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fk->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fk->lfd, 4), 0);
	loop_fd_add(f->loop, fk->lfd, LOOP_READ, on_fake_accept, fk);
}

static void fake_close(struct fx *f, struct fake *fk, const char *path)
{
	loop_fd_del(f->loop, fk->lfd);
	close(fk->lfd);
	if (fk->cfd >= 0)
		close(fk->cfd);
	unlink(path);
}

static void test_other_build_refused(void **state)
{
	struct fx *f = *state;
	char path[100];
	struct fake fk;
	fake_open(f, &fk, "fake.sock", model_layout_fingerprint() ^ 0x5a5a, path, sizeof path);
	struct console c;
	console_up(f, &c, path);
	const struct store_status *st = store_status(c.s);
	PUMP_UNTIL(f->loop, st->link == STORE_UP && model_count(c.m, DC_T_NODE) == 3);
	assert_false(st->via_relay);
	assert_non_null(strstr(st->relay_error, "another build"));
	assert_true(st->reads > 0);
	console_free(&c);
	fake_close(f, &fk, path);
}

/* A relay that says HELLO and then nothing (stopped, hung) is given up
 * after RELAY_SILENT_MS: the console reads directly. */
static void test_silent_relay(void **state)
{
	struct fx *f = *state;
	char path[100];
	struct fake fk;
	fake_open(f, &fk, "mute.sock", model_layout_fingerprint(), path, sizeof path);
	struct console c;
	console_up(f, &c, path);
	const struct store_status *st = store_status(c.s);
	PUMP_UNTIL(f->loop, st->via_relay);
	assert_int_equal(st->reads, 0);
	PUMP_UNTIL(f->loop, !st->via_relay && st->link == STORE_UP && model_count(c.m, DC_T_NODE) == 3);
	assert_non_null(strstr(st->relay_error, "said nothing"));
	assert_int_equal(st->relay_fallbacks, 1);
	console_free(&c);
	fake_close(f, &fk, path);
}

/* The test incident's summary has arrived whole. */
static bool big_summary(const struct dc_model *m)
{
	for (size_t k = 0; k < model_count(m, DC_T_INCIDENT); k++) {
		const struct dc_incident *x = model_row(m, DC_T_INCIDENT, k);
		if (x->source && strcmp(x->source, "test") == 0)
			return x->summary && strlen(x->summary) == 100000;
	}
	return false;
}

/* A client that stops reading is dropped once its queue passes the
 * limit; the consoles on the same relay carry on. */
static void test_slow_client_dropped(void **state)
{
	struct fx *f = *state;
	char path[100];
	snprintf(path, sizeof path, "%s/slow.sock", f->dir);
	struct relay_opts o = { .conninfo = f->db.conninfo, .socket_path = path, .quiet = true,
		.queue_max = 256 * 1024 };
	struct dc_err err = {{0}};
	struct relay *r = relay_new(f->loop, &o, &err);
	assert_non_null(r);
	relay_start(r);
	PUMP_UNTIL(f->loop, relay_store_status(r)->link == STORE_UP);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	PUMP_UNTIL(f->loop, relay_stats(r)->clients == 1 && relay_stats(r)->snapshots >= 1);
	assert_true(testdb_ok(f->w, "INSERT INTO dcops.incident (sev, title, source) VALUES (3, 'big', 'test')"));
	for (int i = 0; i < 40 && relay_stats(r)->dropped == 0; i++) {
		char sql[160];
		snprintf(sql, sizeof sql, "UPDATE dcops.incident SET summary = repeat('%c', 100000) WHERE source = 'test'",
		         'a' + i % 26);
		assert_true(testdb_ok(f->w, sql));
		int64_t until = dc_mono_ms() + 200;
		while (dc_mono_ms() < until)
			loop_run_once(f->loop, 20);
	}
	assert_int_equal(relay_stats(r)->dropped, 1);
	assert_int_equal(relay_stats(r)->clients, 0);
	/* the consoles on the group's relay got every change */
	PUMP_UNTIL(f->loop, big_summary(f->c[0].m) && big_summary(f->c[1].m));
	close(fd);
	relay_free(r);
}

/* util_pct of node's GPU idx in m; -1 when the model does not hold it. */
static int gpu_util(const struct dc_model *m, int64_t node, int idx)
{
	for (size_t k = 0; k < model_count(m, DC_T_GPU); k++) {
		const struct dc_gpu *g = model_row(m, DC_T_GPU, k);
		if (g->node_id == node && g->idx == idx)
			return g->util_pct;
	}
	return -1;
}

static enum dc_sched node_sched(const struct dc_model *m, int64_t id)
{
	const struct dc_node *n = model_node(m, id);
	return n ? n->sched : (enum dc_sched)-1;
}

/* Paced rows (relay.h): with a pace of 10 s (turns 1 s apart), a node's
 * state change committed after a GPU change and a node's power change
 * reaches the console first, and those come at its turn; a paced node
 * row older than one sent at once is dropped, not applied over it; a
 * delete sends what the console holds ahead of itself, so the model
 * never lacks a GPU row older than the delete. */
static void test_gpu_paced(void **state)
{
	struct fx *f = *state;
	char path[100];
	snprintf(path, sizeof path, "%s/paced.sock", f->dir);
	struct relay_opts o = { .conninfo = f->db.conninfo, .socket_path = path, .quiet = true, .fanout_s = 1,
		.telemetry_ms = RELAY_TELEMETRY_MAX_MS };
	struct dc_err err = {{0}};
	struct relay *r = relay_new(f->loop, &o, &err);
	assert_non_null(r);
	relay_start(r);
	struct console c;
	console_up(f, &c, path);
	PUMP_UNTIL(f->loop, store_status(c.s)->via_relay && model_count(c.m, DC_T_NODE) == 3);

	assert_true(testdb_ok(f->w, "INSERT INTO dcops.gpu (node_id, idx, uuid, mem_total_mib) VALUES"
	                            " (1, 0, 'GPU-paced-0', 81559), (1, 1, 'GPU-paced-1', 81559)"));
	assert_true(testdb_ok(f->w, "UPDATE dcops.node SET power_w = 1111, last_seen = now() WHERE id = 2"));
	assert_true(testdb_ok(f->w, "UPDATE dcops.node SET sched_state = 'down' WHERE id = 1"));
	PUMP_UNTIL(f->loop, node_sched(c.m, 1) == DC_SCHED_DOWN);
	assert_int_equal(gpu_util(c.m, 1, 0), -1); /* held for its turn */
	assert_int_not_equal(node_power(c.m, 2), 1111); /* a report: held too */
	PUMP_UNTIL(f->loop, gpu_util(c.m, 1, 0) == 0 && gpu_util(c.m, 1, 1) == 0 && node_power(c.m, 2) == 1111);

	/* a report held, then the node's state sent at once with a later
	 * version: the held row, older, does not undo it */
	uint64_t batches = relay_stats(r)->batches;
	assert_true(testdb_ok(f->w, "WITH n AS (UPDATE dcops.node SET power_w = 2222 WHERE id = 2 RETURNING 1)"
	                            " UPDATE dcops.gpu SET util_pct = 33 WHERE uuid = 'GPU-paced-1'"));
	PUMP_UNTIL(f->loop, relay_stats(r)->batches > batches); /* read apart from the next */
	assert_true(testdb_ok(f->w, "UPDATE dcops.node SET sched_state = 'down' WHERE id = 2"));
	PUMP_UNTIL(f->loop, node_sched(c.m, 2) == DC_SCHED_DOWN && node_power(c.m, 2) == 2222);
	PUMP_UNTIL(f->loop, gpu_util(c.m, 1, 1) == 33); /* the held batch is in */
	assert_int_equal(node_sched(c.m, 2), DC_SCHED_DOWN);
	PUMP_UNTIL(f->loop, relay_stats(r)->fanout.held_sends > 0);
	const struct relay_fanout *fo = &relay_stats(r)->fanout;
	assert_true(fo->held_p50_us <= fo->held_p99_us && fo->held_p99_us <= fo->held_max_us);
	assert_true(fo->held_max_us >= 500000); /* the first turn came a tick or more later */

	assert_true(testdb_ok(f->w, "UPDATE dcops.gpu SET util_pct = 55 WHERE uuid = 'GPU-paced-0'"));
	assert_true(testdb_ok(f->w, "DELETE FROM dcops.node WHERE id = 3"));
	PUMP_UNTIL(f->loop, !model_node(c.m, 3));
	assert_int_equal(gpu_util(c.m, 1, 0), 55);
	assert_int_equal(store_status(c.s)->reads, 0);
	/* the group's consoles, on the default pace, have it all too */
	PUMP_UNTIL(f->loop, gpu_util(f->c[0].m, 1, 0) == 55 && !model_node(f->c[1].m, 3));
	console_free(&c);
	relay_free(r);
}

/* A stale socket is replaced; a live relay's, or a plain file, is not. */
static void test_socket_safety(void **state)
{
	struct fx *f = *state;
	struct relay_opts o = { .conninfo = f->db.conninfo, .socket_path = f->path, .quiet = true };
	struct dc_err err = {{0}};
	assert_null(relay_new(f->loop, &o, &err));
	assert_non_null(strstr(err.msg, "another relay is listening"));
	char file[128];
	snprintf(file, sizeof file, "%s/plain", f->dir);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	o.socket_path = file;
	assert_null(relay_new(f->loop, &o, &err));
	assert_non_null(strstr(err.msg, "is not a socket"));
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_change_fans_out),
		cmocka_unit_test(test_big_read_batched),
		cmocka_unit_test(test_reset_snapshot),
		cmocka_unit_test(test_fallback_and_return),
		cmocka_unit_test(test_other_build_refused),
		cmocka_unit_test(test_silent_relay),
		cmocka_unit_test(test_slow_client_dropped),
		cmocka_unit_test(test_socket_safety),
		cmocka_unit_test(test_gpu_paced), /* last: deletes a node */
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
