/* test_store_load — the store's full load against a real PostgreSQL when it
 * goes wrong part-way, through a relay that stands between the store and
 * the server (a child process on its own Unix socket).
 *
 * A hot standby cancels a long read that conflicts with recovery ("User
 * query might have needed to see row versions that must be removed"), and
 * when the conflict persists it then terminates the connection: the client
 * reads rows of a table in single-row mode, an ERROR, a FATAL, the end of
 * the connection. libpq hands the ERROR to the query it interrupted, aborts
 * the rest of the pipeline, and hands the FATAL to the pipeline's sync,
 * where the store expected the end of the pipeline. The relay plays that
 * sequence exactly on the store's first connection (the server's rows up
 * to the Nth, then the two errors, then the end) and relays every later
 * connection untouched, so the retry must load everything.
 *
 * A first load is applied table by table as each arrives (one snapshot,
 * parents first): on the third connection the relay holds the server's
 * bytes from inside the GPU table until the test signals it, and the
 * model meanwhile has the nodes, marks GPUs and the rest as loading, and
 * the link is not up yet.
 *
 * The GPU rows of a first load go into the model node by node as they
 * arrive (whole node groups, every load_chunk rows): on the fourth
 * connection, held inside the GPU table with load_chunk 1, the node first
 * by name (the GPU read starts there) has all its GPUs and the others
 * none, marked as loading; no on_change ever sees a node with part of its
 * GPUs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "loop.h"
#include "model.h"
#include "store.h"
#include "testdb.h"
#include "tmpfiles.h"

#define JOBS 300
#define CUT_AT_ROW 100 /* DataRows the first connection gets: inside the job table */
#define HOLD_AT_ROW 20 /* the third connection's, until SIGUSR1: inside the GPU table
                        * (the session and xmin rows, 1 site, rack, partition, 4 nodes) */

enum relay_mode { RELAY_PASS, RELAY_CUT, RELAY_HOLD };
static volatile sig_atomic_t relay_go;

static void on_usr1(int sig)
{
	(void)sig;
	relay_go = 1;
}

struct fx {
	struct testdb db;
	pid_t relay;
	char conninfo[256];
	char downs[8][256]; /* the store's error each time the link went down */
	int ndowns;
};

static struct fx fx;

static void on_status(void *ud, const struct store_status *st)
{
	struct fx *f = ud;
	if (st->link == STORE_DOWN && f->ndowns < 8 && st->error[0] &&
	    (f->ndowns == 0 || strcmp(f->downs[f->ndowns - 1], st->error) != 0))
		snprintf(f->downs[f->ndowns++], sizeof f->downs[0], "%s", st->error);
}

/* ---- the relay ---- */

static int unix_connect(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends a NUL-terminated field of an ErrorResponse. */
static size_t field_put(char *out, char code, const char *text)
{
	out[0] = code;
	size_t n = strlen(text) + 1;
	memcpy(out + 1, text, n);
	return n + 1;
}

/* An ErrorResponse: severity, SQLSTATE 40001, message. */
static size_t error_msg(char *out, const char *sev, const char *text)
{
	size_t n = 5;
	n += field_put(out + n, 'S', sev);
	n += field_put(out + n, 'V', sev);
	n += field_put(out + n, 'C', "40001");
	n += field_put(out + n, 'M', text);
	out[n++] = '\0';
	uint32_t len = (uint32_t)n - 1;
	out[0] = 'E';
	out[1] = (char)(len >> 24);
	out[2] = (char)(len >> 16);
	out[3] = (char)(len >> 8);
	out[4] = (char)len;
	return n;
}

/* Relays one connection. RELAY_CUT: after CUT_AT_ROW DataRows from the
 * server, send the standby's two errors and close instead of the rest.
 * RELAY_HOLD: after HOLD_AT_ROW, pass nothing more until SIGUSR1. */
static void relay_conn(int c, const char *server, enum relay_mode mode)
{
	relay_go = 0; /* each held connection waits for its own signal */
	int s = unix_connect(server);
	if (s < 0) {
		close(c);
		return;
	}
	static char buf[1 << 20]; /* server bytes not yet passed on */
	size_t have = 0;
	int rows = 0;
	for (;;) {
		struct pollfd p[2] = { { c, POLLIN, 0 }, { s, POLLIN, 0 } };
		int ready = poll(p, 2, -1);
		if (ready < 0 && errno == EINTR) /* the test's go, before the hold */
			continue;
		if (ready < 0)
			break;
		char tmp[65536];
		if (p[0].revents) {
			ssize_t n = read(c, tmp, sizeof tmp);
			if (n <= 0 || write_all(s, tmp, (size_t)n) < 0)
				break;
		}
		if (!p[1].revents)
			continue;
		ssize_t n = read(s, buf + have, sizeof buf - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		size_t done = 0, sent = 0; /* whole messages to pass on, and passed on */
		while (have - done >= 5) {
			const unsigned char *m = (const unsigned char *)buf + done;
			size_t len = 1 + ((size_t)m[1] << 24 | (size_t)m[2] << 16 | (size_t)m[3] << 8 | m[4]);
			if (have - done < len)
				break;
			if (m[0] == 'D')
				rows++;
			if (mode == RELAY_HOLD && rows > HOLD_AT_ROW && !relay_go) {
				if (write_all(c, buf + sent, done - sent) < 0)
					goto out;
				sent = done; /* not again after the go */
				while (!relay_go)
					poll(NULL, 0, 20);
			}
			if (mode == RELAY_CUT && m[0] == 'D' && rows > CUT_AT_ROW) {
				char e[1024];
				size_t k = error_msg(e, "ERROR", "canceling statement due to conflict with recovery");
				k += error_msg(e + k, "FATAL", "terminating connection due to conflict with recovery");
				if (write_all(c, buf + sent, done - sent) == 0)
					(void)write_all(c, e, k);
				goto out;
			}
			done += len;
		}
		if (write_all(c, buf + sent, done - sent) < 0)
			break;
		memmove(buf, buf + done, have - done);
		have -= done;
	}
out:
	close(s);
	close(c);
}

static pid_t relay_start(const char *dir, const char *server)
{
	char path[sizeof ((struct sockaddr_un *)0)->sun_path];
	snprintf(path, sizeof path, "%s/.s.PGSQL.%s", dir, getenv("PGPORT") ? getenv("PGPORT") : "5432");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, path, sizeof path);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 8) < 0)
		return -1;
	pid_t pid = fork();
	if (pid != 0) {
		close(l);
		return pid;
	}
	signal(SIGUSR1, on_usr1);
	/* the tests' connections, in the order they run */
	static const enum relay_mode modes[] = { RELAY_CUT, RELAY_PASS, RELAY_HOLD, RELAY_HOLD };
	for (size_t i = 0;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			_exit(0);
		relay_conn(c, server, i < DC_ARRAY_LEN(modes) ? modes[i] : RELAY_PASS);
		i++;
	}
}

/* ---- fixture ---- */

static const char *const seed_sql[] = {
	"INSERT INTO dcops.site (code, name) VALUES ('gj', 'Gwangju')",
	"INSERT INTO dcops.hall (site_id, name) VALUES (1, 'A')",
	"INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw) VALUES (1, 'r01', 1, 1, 40)",
	"INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100')",
	/* ids against names: n1 is id 4, the GPU read's first node */
	"INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count, last_seen)  SELECT 'n' || (5 - i), 1, 1, 'HGX', 8, now() FROM generate_series(1, 4) i",
	"INSERT INTO dcops.gpu (node_id, idx, uuid, mem_total_mib)  SELECT n.id, g, 'GPU-' || n.id || '-' || g, 81920 FROM dcops.node n, generate_series(0, 7) g",
	"INSERT INTO dcops.tenant (name, kind) VALUES ('t', 'startup')",
	"INSERT INTO dcops.job (tenant_id, partition_id, user_name, gpus, state, submit_at)  SELECT 1, 1, 'u' || g, 1, 'pending', now() FROM generate_series(1, 300) g" /* JOBS */,
};

static int group_setup(void **state)
{
	(void)state;
	testdb_require();
	if (tmpfiles_setup("store_load") < 0 || testdb_create(&fx.db, false) < 0)
		return -1;
	for (size_t i = 0; i < DC_ARRAY_LEN(seed_sql); i++)
		if (!testdb_ok(fx.db.conn, seed_sql[i]))
			return -1;
	const char *host = getenv("PGHOST"), *port = getenv("PGPORT");
	char server[200];
	snprintf(server, sizeof server, "%s/.s.PGSQL.%s", host ? host : "/tmp", port ? port : "5432");
	fx.relay = relay_start(tmpfiles_dir, server);
	snprintf(fx.conninfo, sizeof fx.conninfo, "host=%s %s", tmpfiles_dir, fx.db.conninfo);
	return fx.relay > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	if (fx.relay > 0) {
		kill(fx.relay, SIGTERM);
		waitpid(fx.relay, NULL, 0);
	}
	testdb_drop(&fx.db);
	return tmpfiles_teardown(state);
}

/* Cancelled, then terminated, inside a table read row by row: the store
 * reports the server's reason (not "protocol out of step"), retries, and
 * the retry loads every row. */
/* Runs the loop until the store is up, at most ~10 s. */
static void until_up(struct loop *l, const struct store_status *st)
{
	for (int i = 0; i < 200 && st->link != STORE_UP; i++)
		loop_run_once(l, 50);
	assert_int_equal(st->link, STORE_UP);
}

/* Lets the held load go on (the relay's SIGUSR1): the store comes up with
 * the whole fixture, nothing still loading. */
static void release_until_loaded(struct loop *l, const struct store_status *st, const struct dc_model *m)
{
	kill(fx.relay, SIGUSR1);
	until_up(l, st);
	assert_int_equal(model_loading(m), 0);
	assert_int_equal(model_count(m, DC_T_GPU), 32);
}

static void test_cancelled_load_recovers(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct dc_model *m = model_new();
	struct store_opts o = { .conninfo = fx.conninfo, .poll_ms = 60000, .deadline_ms = 3000 };
	struct store_callbacks cb = { .on_status = on_status, .ud = &fx };
	struct store *s = store_new(l, m, &o, &cb);
	store_start(s);
	const struct store_status *st = store_status(s);
	until_up(l, st);
	assert_int_equal(fx.ndowns, 1);
	assert_non_null(strstr(fx.downs[0], "conflict with recovery"));
	assert_null(strstr(fx.downs[0], "out of step"));
	assert_int_equal(model_count(m, DC_T_NODE), 4);
	assert_int_equal(model_count(m, DC_T_GPU), 32);
	assert_int_equal(model_count(m, DC_T_JOB), JOBS);
	assert_int_equal(st->reads, 1);
	store_free(s);
	model_free(m);
	loop_free(l);
}

/* A first load shows what has arrived: the nodes while the GPUs are held
 * back, marked as loading, then everything. */
static void test_first_load_progressive(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct dc_model *m = model_new();
	struct store_opts o = { .conninfo = fx.conninfo, .poll_ms = 60000, .deadline_ms = 3000 };
	struct store *s = store_new(l, m, &o, NULL);
	store_start(s);
	const struct store_status *st = store_status(s);
	for (int i = 0; i < 100 && model_count(m, DC_T_NODE) < 4; i++)
		loop_run_once(l, 50);
	assert_int_equal(model_count(m, DC_T_NODE), 4);
	assert_int_equal(model_count(m, DC_T_GPU), 0);
	assert_int_equal(model_count(m, DC_T_JOB), 0);
	assert_true(model_loading(m) & DC_MASK(DC_T_GPU));
	assert_true(model_loading(m) & DC_MASK(DC_T_JOB));
	assert_false(model_loading(m) & DC_MASK(DC_T_NODE));
	assert_false(model_loading(m) & DC_MASK(DC_T_PARTITION));
	assert_int_not_equal(st->link, STORE_UP);

	release_until_loaded(l, st, m);
	assert_int_equal(model_count(m, DC_T_JOB), JOBS);
	assert_non_null(model_node(m, 1)->gpus[7]);
	store_free(s);
	model_free(m);
	loop_free(l);
}

/* What each on_change of a first load saw: GPU changes while the GPU
 * table was loading, and nodes with only part of their GPUs, or marked
 * loading with some in, or not marked with none. */
struct seen {
	struct dc_model *m;
	int gpu_changes, partial, mismarked;
};

static void on_change_check(void *ud, unsigned mask)
{
	struct seen *sn = ud;
	if ((mask & DC_MASK(DC_T_GPU)) && (model_loading(sn->m) & DC_MASK(DC_T_GPU)))
		sn->gpu_changes++;
	for (size_t i = 0; i < model_count(sn->m, DC_T_NODE); i++) {
		const struct dc_node *n = model_row(sn->m, DC_T_NODE, i);
		if (n->gpus_known != 0 && n->gpus_known != n->gpu_count)
			sn->partial++;
		if (model_node_gpus_loading(sn->m, n) != ((model_loading(sn->m) & DC_MASK(DC_T_GPU)) &&
		                                         n->gpus_known == 0))
			sn->mismarked++;
	}
}

/* A first load's GPUs arrive in whole node groups, the node first by name
 * first: held inside the GPU table (11 of its 32 rows in), node n1 (id 4)
 * shows its 8 GPUs, the other three are marked loading with none. */
static void test_first_load_gpus_by_node(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct dc_model *m = model_new();
	struct seen sn = { .m = m };
	struct store_opts o = { .conninfo = fx.conninfo, .poll_ms = 60000, .deadline_ms = 3000,
	                        .load_chunk = 1 };
	struct store_callbacks cb = { .on_change = on_change_check, .ud = &sn };
	struct store *s = store_new(l, m, &o, &cb);
	store_start(s);
	const struct store_status *st = store_status(s);
	for (int i = 0; i < 100 && model_count(m, DC_T_GPU) < 8; i++)
		loop_run_once(l, 50);
	loop_run_once(l, 100); /* anything more the relay let through */
	assert_int_equal(model_count(m, DC_T_GPU), 8);
	assert_true(model_loading(m) & DC_MASK(DC_T_GPU));
	assert_int_not_equal(st->link, STORE_UP);
	const struct dc_node *first = model_node(m, 4);
	assert_string_equal(first->name, "n1");
	assert_int_equal(first->gpus_known, 8);
	assert_false(model_node_gpus_loading(m, first));
	assert_non_null(model_node_gpu(first, 7));
	for (int64_t id = 1; id <= 3; id++) {
		assert_int_equal(model_node(m, id)->gpus_known, 0);
		assert_true(model_node_gpus_loading(m, model_node(m, id)));
	}
	assert_int_equal(sn.gpu_changes, 1);

	release_until_loaded(l, st, m);
	for (int64_t id = 1; id <= 4; id++) {
		assert_int_equal(model_node(m, id)->gpus_known, 8);
		assert_false(model_node_gpus_loading(m, model_node(m, id)));
	}
	/* nodes 1 and 2 went in at the next node's first row, 3 with the table */
	assert_int_equal(sn.gpu_changes, 3);
	assert_int_equal(sn.partial, 0);
	assert_int_equal(sn.mismarked, 0);
	store_free(s);
	model_free(m);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cancelled_load_recovers),
		cmocka_unit_test(test_first_load_progressive),
		cmocka_unit_test(test_first_load_gpus_by_node),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
