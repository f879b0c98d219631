/* test_conninfo — where writes go (db_resolve_write): --write-db as given;
 * a one-host --db as it is (a standby there is refused after connecting);
 * a multi-host --db made read-write, whatever target_session_attrs it had
 * for reads, in key=value and URI form; the profile's write_db read from
 * config.json. A server that hung left out of the next try
 * (db_conninfo_drop_server): matched by host (or hostaddr) and, where
 * each host has its own, port; the rest of the string kept; NULL when
 * one server would be left of one, or none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conninfo.h"
#include "db.h"
#include "tmpfiles.h"
#include "util.h"

static int setup(void **state)
{
	(void)state;
	unsetenv("DCOPS_DB");
	return tmpfiles_setup("conninfo");
}

static int teardown(void **state)
{
	return tmpfiles_teardown(state);
}

/* The value of keyword in conninfo, as libpq parses it ("" when unset). */
static char *value_of(const char *conninfo, const char *keyword)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	assert_non_null(opts);
	char *v = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0)
			v = xstrdup(o->val ? o->val : "");
	PQconninfoFree(opts);
	assert_non_null(v);
	return v;
}

static void check_write(const char *db, const char *write_db, const char *keyword, const char *want)
{
	struct dc_opts o = { .db = db, .write_db = write_db, .quiet = true };
	struct dc_err err = {{0}};
	char *w = db_resolve_write(&o, &err);
	assert_non_null(w);
	char *v = value_of(w, keyword);
	assert_string_equal(v, want);
	free(v);
	free(w);
}

static void test_write_db_wins(void **state)
{
	(void)state;
	struct dc_opts o = { .db = "host=db2", .write_db = "service=dcops-primary" };
	struct dc_err err = {{0}};
	char *w = db_resolve_write(&o, &err);
	assert_string_equal(w, "service=dcops-primary");
	free(w);
}

static void test_one_host_unchanged(void **state)
{
	(void)state;
	struct dc_opts o = { .db = "host=db2 dbname=dcops" };
	struct dc_err err = {{0}};
	char *w = db_resolve_write(&o, &err);
	assert_string_equal(w, "host=db2 dbname=dcops");
	free(w);
}

static void test_multi_host_read_write(void **state)
{
	(void)state;
	const char *reads = "host=db2,db1 port=5432,5433 dbname=dcops user='김 operator' "
	                    "target_session_attrs=prefer-standby";
	check_write(reads, NULL, "target_session_attrs", "read-write");
	check_write(reads, NULL, "host", "db2,db1");
	check_write(reads, NULL, "port", "5432,5433");
	check_write(reads, NULL, "user", "김 operator");
	check_write("host=db1,db2 dbname=dcops", NULL, "target_session_attrs", "read-write");
	/* primary is stricter than read-write: kept */
	check_write("host=db1,db2 target_session_attrs=primary", NULL, "target_session_attrs", "primary");
	check_write("postgresql://kim@db1,db2/dcops?target_session_attrs=any", NULL,
	            "target_session_attrs", "read-write");
	check_write("postgresql://kim@db1,db2/dcops", NULL, "dbname", "dcops");
	check_write("hostaddr=10.0.0.5,10.0.0.6 dbname=dcops", NULL, "target_session_attrs", "read-write");
}

static void test_bad_string(void **state)
{
	(void)state;
	struct dc_opts o = { .db = "host=db1,db2 nonsense" };
	struct dc_err err = {{0}};
	assert_null(db_resolve_write(&o, &err));
	assert_non_null(strstr(err.msg, "database connection string: "));
}

/* drop: db_conninfo_drop_server, checked keyword by keyword (NULL: none) */
static void check_drop(const char *conninfo, const char *hosts, const char *addrs, const char *ports,
                       const char *host, const char *port, const char *want_host, const char *want_addr,
                       const char *want_port)
{
	char *d = db_conninfo_drop_server(conninfo, hosts, addrs, ports, host, port);
	if (!want_host) {
		assert_null(d);
		return;
	}
	assert_non_null(d);
	const char *keys[] = { "host", "hostaddr", "port" }, *want[] = { want_host, want_addr, want_port };
	for (int i = 0; i < 3; i++) {
		char *v = value_of(d, keys[i]);
		assert_string_equal(v, want[i]);
		free(v);
	}
	char *v = value_of(d, "target_session_attrs");
	if (strstr(conninfo, "prefer-standby"))
		assert_string_equal(v, "prefer-standby");
	free(v);
	free(d);
}

static void test_drop_server(void **state)
{
	(void)state;
	const char *mh = "host=/s/sock,/p/sock port=5432,5432 dbname=rps target_session_attrs=prefer-standby";
	check_drop(mh, "/s/sock,/p/sock", NULL, "5432,5432", "/s/sock", "5432", "/p/sock", "", "5432");
	check_drop(mh, "/s/sock,/p/sock", NULL, "5432,5432", "/p/sock", "5432", "/s/sock", "", "5432");
	/* one host left of one: the full string again (NULL) */
	check_drop("host=/p/sock", "/p/sock", NULL, "5432", "/p/sock", "5432", NULL, NULL, NULL);
	/* not in the lists (a default socket, say): nothing dropped */
	check_drop(mh, "/s/sock,/p/sock", NULL, "5432,5432", "/tmp", "5432", NULL, NULL, NULL);
	check_drop(mh, "/s/sock,/p/sock", NULL, "5432,5432", "", "5432", NULL, NULL, NULL);
	/* the same host on two ports: only the port that hung goes */
	check_drop("host=db,db,db2 port=5432,5433,5432 user='김 operator'", "db,db,db2", NULL, "5432,5433,5432",
	           "db", "5433", "db,db2", "", "5432,5432");
	/* one port for all: kept as it is; an empty port entry is the default */
	check_drop("host=db1,db2,db3 port=6000", "db1,db2,db3", NULL, "6000", "db2", "6000", "db1,db3", "", "6000");
	check_drop("host=db1,db2", "db1,db2", NULL, ",", "db1", "5432", "db2", "", "");
	/* hostaddr only (PQhost names it), and host with hostaddr */
	check_drop("hostaddr=10.0.0.5,10.0.0.6", NULL, "10.0.0.5,10.0.0.6", NULL, "10.0.0.6", "5432", "", "10.0.0.5", "");
	check_drop("host=a,b hostaddr=10.0.0.5,10.0.0.6", "a,b", "10.0.0.5,10.0.0.6", NULL, "a", "5432", "b",
	           "10.0.0.6", "");
	/* the lists come from the connection (a service file's hosts), the rest from the string */
	check_drop("service=prod dbname=dcops", "db1,db2", NULL, "5432", "db1", "5432", "db2", "", "5432");
	/* host and hostaddr lists that do not pair up: left to libpq */
	check_drop("host=a,b hostaddr=10.0.0.5", "a,b", "10.0.0.5", NULL, "a", "5432", NULL, NULL, NULL);
}

static void test_profile_write_db(void **state)
{
	(void)state;
	char *path = tmpfiles_write("config.json",
		"{ \"profiles\": { \"wall\": { \"db\": \"host=db2\", \"readonly\": true,\n"
		"                             \"write_db\": \"service=dcops-prod\" } } }\n");
	struct config c;
	struct dc_err err = {{0}};
	assert_int_equal(config_load(path, &c, &err), 0);
	const struct config_profile *p = config_profile(&c, "wall");
	assert_non_null(p);
	assert_string_equal(p->write_db, "service=dcops-prod");
	config_free(&c);
	free(path);
	path = tmpfiles_write("bad.json", "{ \"profiles\": { \"wall\": { \"write_db\": 5 } } }\n");
	assert_int_equal(config_load(path, &c, &err), -1);
	assert_non_null(strstr(err.msg, "profiles.wall.write_db"));
	free(path);
}

/* db_conninfo_set: the keyword set, every other one kept (quoted as
 * needed), a URI taken too; NULL for a string that does not parse. */
static void test_conninfo_set(void **state)
{
	(void)state;
	const char *const cases[][2] = {
		{ "host=db2,db1 dbname=dcops target_session_attrs=prefer-standby", "standby" },
		{ "postgresql://db2,db1/dcops?target_session_attrs=prefer-standby", "standby" },
		{ "service=prod user='김 operator'", "standby" },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(cases); i++) {
		char *got = db_conninfo_set(cases[i][0], "target_session_attrs", cases[i][1]);
		assert_non_null(got);
		char *perr = NULL;
		PQconninfoOption *o = PQconninfoParse(got, &perr);
		assert_non_null(o);
		int seen = 0;
		for (PQconninfoOption *p = o; p->keyword; p++) {
			if (strcmp(p->keyword, "target_session_attrs") == 0) {
				assert_string_equal(p->val, "standby");
				seen++;
			} else if (strcmp(p->keyword, "user") == 0 && i == 2) {
				assert_string_equal(p->val, "김 operator");
			} else if (strcmp(p->keyword, "host") == 0 && i < 2) {
				assert_string_equal(p->val, "db2,db1");
			}
		}
		assert_int_equal(seen, 1);
		PQconninfoFree(o);
		free(got);
	}
	assert_null(db_conninfo_set("nokeyword", "target_session_attrs", "standby"));
}

/* db_conninfo_display: every keyword set, passwords never (a URI's
 * too), said to be there; defaults and a bad string said in words. */
static void test_conninfo_display(void **state)
{
	(void)state;
	const char *const cases[][2] = {
		{ "host=db1,db2 dbname=dcops target_session_attrs=read-write password=s3cret",
		  "dbname='dcops' host='db1,db2' target_session_attrs='read-write' password=(hidden)" },
		{ "postgresql://kim:s3cret@db2:5433/dcops?sslpassword=s3cret",
		  "user='kim' dbname='dcops' host='db2' port='5433' password=(hidden)" },
		{ "user='김 operator' dbname=dcops", "user='김 operator' dbname='dcops'" },
		{ "", "(libpq's defaults)" },
		{ "password=s3cret", "password=(hidden)" },
		{ "host='unterminated", "(a connection string libpq cannot parse)" },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(cases); i++) {
		char *got = db_conninfo_display(cases[i][0]);
		assert_string_equal(got, cases[i][1]);
		assert_null(strstr(got, "s3cret"));
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_db_wins),
		cmocka_unit_test(test_one_host_unchanged),
		cmocka_unit_test(test_multi_host_read_write),
		cmocka_unit_test(test_bad_string),
		cmocka_unit_test(test_drop_server),
		cmocka_unit_test(test_conninfo_set),
		cmocka_unit_test(test_conninfo_display),
		cmocka_unit_test(test_profile_write_db),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
