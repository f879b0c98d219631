/* test_config — config.json: a full good file, and each kind of bad file
 * with the exact message the operator sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tmpfiles.h"
#include "util.h"


static int setup(void **state)
{
	(void)state;
	return tmpfiles_setup("config");
}


static void test_good(void **state)
{
	(void)state;
	char *path = tmpfiles_write("good.json",
		"{ \"default_profile\": \"prod\", \"theme\": \"light\", \"timezone\": \"utc\",\n"
		"  \"profiles\": {\n"
		"    \"prod\": { \"db\": \"service=dcops-prod\", \"readonly\": true, \"production\": true,\n"
		"              \"write_window_minutes\": 30, \"relay\": \"/run/dcops/relay.sock\",\n"
		"              \"ssh\": { \"host\": \"bastion.gj\", \"port\": 2222, \"user\": \"kim\",\n"
		"                       \"identity_file\": \"~/.ssh/id_ed25519\", \"known_hosts\": \"~/.ssh/kh\",\n"
		"                       \"db_host\": \"10.0.0.5\", \"db_port\": 5433,\n"
		"                       \"read_ssh_config\": true, \"password_auth\": false } },\n"
		"    \"lab\": { \"db\": \"dbname=dcops\" } },\n"
		"  \"keys\": { \"nodes.drain\": \"D\", \"global.quit\": \"C-q\" } }\n");
	struct config c;
	struct dc_err err = { { 0 } };
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_string_equal(c.theme, "light");
	assert_int_equal(c.zone, TEXT_ZONE_UTC);
	assert_int_equal(c.nprofiles, 2);
	const struct config_profile *p = config_profile(&c, NULL);
	assert_non_null(p);
	assert_string_equal(p->name, "prod");
	assert_string_equal(p->db, "service=dcops-prod");
	assert_true(p->readonly && p->production);
	assert_int_equal(p->write_window_minutes, 30);
	assert_string_equal(p->relay, "/run/dcops/relay.sock");
	assert_true(p->has_ssh);
	assert_string_equal(p->ssh.host, "bastion.gj");
	assert_int_equal(p->ssh.port, 2222);
	assert_int_equal(p->ssh.db_port, 5433);
	assert_true(p->ssh.read_ssh_config);
	assert_false(p->ssh.password_auth);
	const struct config_profile *lab = config_profile(&c, "lab");
	assert_non_null(lab);
	assert_false(lab->readonly);
	assert_null(lab->relay);
	assert_false(lab->has_ssh);
	assert_int_equal(lab->write_window_minutes, 15);
	assert_null(lab->ssh.host);
	assert_null(config_profile(&c, "nope"));
	assert_int_equal(c.nkeys, 2);
	assert_string_equal(c.keys[0].action, "nodes.drain");
	assert_string_equal(c.keys[0].key, "D");
	assert_string_equal(c.keys[1].key, "C-q");
	config_free(&c);
	config_free(&c); /* safe twice */
	free(path);
}

static void test_missing(void **state)
{
	(void)state;
	struct config c;
	struct dc_err err = { { 0 } };
	setenv("XDG_CONFIG_HOME", tmpfiles_dir, 1);
	assert_int_equal(config_load(NULL, &c, &err), 0);
	assert_int_equal(c.nprofiles, 0);
	assert_null(config_profile(&c, NULL));
	char *want = xasprintf("%s/dcops/config.json", tmpfiles_dir);
	assert_string_equal(c.path, want);
	free(want);
	config_free(&c);

	char *path = xasprintf("%s/absent.json", tmpfiles_dir);
	assert_int_equal(config_load(path, &c, &err), -1);
	char *msg = xasprintf("%s: No such file or directory", path);
	assert_string_equal(err.msg, msg);
	free(msg);
	free(path);
}

static const struct {
	const char *text, *msg; /* msg follows "PATH: " */
} bad[] = {
	{ "{\"profiles\": {\"prod\": {\"readonly\": \"yes\"}}}",
	  "profiles.prod.readonly: expected true or false, got \"yes\"" },
	{ "{\"profiles\": {\"prod\": {\"readonlly\": true}}}",
	  "profiles.prod.readonlly: unknown key" },
	{ "{\"colour\": 1}", "colour: unknown key" },
	{ "{\"theme\": 5}", "theme: expected a string, got 5" },
	{ "{\"timezone\": \"Asia/Seoul\"}", "timezone: expected \"KST\" or \"UTC\", got \"Asia/Seoul\"" },
	{ "{\"profiles\": {\"prod\": {\"ssh\": {\"port\": 70000}}}}",
	  "profiles.prod.ssh.port: expected a whole number from 1 to 65535, got 70000" },
	{ "{\"profiles\": {\"prod\": {\"write_window_minutes\": 2.5}}}",
	  "profiles.prod.write_window_minutes: expected a whole number from 1 to 1440, got 2.5" },
	{ "{\"profiles\": {\"prod\": {\"ssh\": \"bastion\"}}}",
	  "profiles.prod.ssh: expected an object, got \"bastion\"" },
	{ "{\"profiles\": [1]}", "profiles: expected an object of named profiles, got a list" },
	{ "{\"profiles\": {\"prod\": 1}}", "profiles.prod: expected an object, got 1" },
	{ "{\"default_profile\": \"x\"}", "default_profile: no profile named \"x\"" },
	{ "{\"keys\": {\"drain\": \"D\"}}", "keys.drain: expected VIEW.ACTION or global.ACTION" },
	{ "{\"keys\": {\"nodes.drain\": 5}}",
	  "keys.nodes.drain: expected a key name such as \"D\" or \"C-d\", got 5" },
	{ "{\"theme\": \"a\", \"theme\": \"b\"}", "theme: appears twice" },
	{ "[]", "top level: expected an object, got a list" },
	{ "{\n  \"theme\": \"a\",\n  \"keys\": {,}\n}", "line 3: not valid JSON" },
	{ "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "nested deeper than 16 levels" },
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < DC_ARRAY_LEN(bad); i++) {
		char *path = tmpfiles_write("bad.json", bad[i].text);
		struct config c;
		struct dc_err err = { { 0 } };
		assert_int_equal(config_load(path, &c, &err), -1);
		char *want = xasprintf("%s: %s", path, bad[i].msg);
		if (strcmp(err.msg, want) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, want);
		assert_int_equal(c.nprofiles, 0);
		assert_null(c.path);
		config_free(&c);
		free(want);
		free(path);
	}
}

/* "sites": profile names kept as "a,b", each checked against the
 * profiles; "bell" a boolean. */
static void test_sites(void **state)
{
	(void)state;
	char *path = tmpfiles_write("sites.json",
		"{ \"profiles\": { \"gwangju\": { \"db\": \"dbname=a\" }, \"pangyo\": { \"db\": \"dbname=b\" } },\n"
		"  \"sites\": [\"gwangju\", \"pangyo\"], \"bell\": true }\n");
	struct config c;
	struct dc_err err = { { 0 } };
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_string_equal(c.sites, "gwangju,pangyo");
	assert_true(c.bell);
	config_free(&c);
	free(path);
	static const struct { const char *text, *msg; } bad_sites[] = {
		{ "{ \"sites\": \"a,b\" }", "sites: expected a list of profile names, got \"a,b\"" },
		{ "{ \"sites\": [] }", "sites: an empty list (name the profiles to open)" },
		{ "{ \"profiles\": { \"a\": {} }, \"sites\": [\"a\", 3] }",
		  "sites[1]: expected a profile name, got 3" },
		{ "{ \"profiles\": { \"a,b\": {} }, \"sites\": [\"a,b\"] }",
		  "sites[0]: expected a profile name, got \"a,b\"" },
		{ "{ \"profiles\": { \"a\": {} }, \"sites\": [\"a\", \"pangyo\"] }",
		  "sites[1]: no profile named \"pangyo\"" },
		{ "{ \"bell\": \"yes\" }", "bell: expected true or false, got \"yes\"" },
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(bad_sites); i++) {
		path = tmpfiles_write("bad.json", bad_sites[i].text);
		assert_int_equal(config_load(path, &c, &err), -1);
		char *want = xasprintf("%s: %s", path, bad_sites[i].msg);
		if (strcmp(err.msg, want) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err.msg, want);
		assert_null(c.sites);
		config_free(&c);
		free(want);
		free(path);
	}
}

static void test_too_big(void **state)
{
	(void)state;
	char *big = xmalloc(CONFIG_MAX_BYTES + 16);
	memset(big, ' ', CONFIG_MAX_BYTES + 8);
	big[0] = '{';
	big[CONFIG_MAX_BYTES + 6] = '}';
	big[CONFIG_MAX_BYTES + 7] = '\0';
	char *path = tmpfiles_write("big.json", big);
	free(big);
	struct config c;
	struct dc_err err = { { 0 } };
	assert_int_equal(config_load(path, &c, &err), -1);
	char *want = xasprintf("%s: file is larger than the %d-byte limit", path, CONFIG_MAX_BYTES);
	assert_string_equal(err.msg, want);
	free(want);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_sites),
	};
	return cmocka_run_group_tests(tests, setup, tmpfiles_teardown);
}
