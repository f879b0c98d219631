/* test_conninfo — where writes go (db_resolve_write): --write-db as given;
 * a one-host --db as it is (a standby there is refused after connecting);
 * a multi-host --db made read-write, whatever target_session_attrs it had
 * for reads, in key=value and URI form; the profile's write_db read from
 * config.json. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_db_wins),
		cmocka_unit_test(test_one_host_unchanged),
		cmocka_unit_test(test_multi_host_read_write),
		cmocka_unit_test(test_bad_string),
		cmocka_unit_test(test_profile_write_db),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
