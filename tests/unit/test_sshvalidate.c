/* test_sshvalidate — host, user, port and --ssh target checks: what an
 * operator types passes, what a hostile database row holds is refused with
 * a message naming the value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ssh/ssh-validate.h"

static void test_host_ok(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"gpu-a17", "node001.gwangju.aidc", "10.0.3.17", "a", "bastion-1.example.kr",
		"x23456789012345678901234567890123456789012345678901234567890123", /* 63 */
	};
	struct dc_err err;
	for (size_t i = 0; i < DC_ARRAY_LEN(ok); i++)
		assert_int_equal(ssh_validate_host(ok[i], &err), 0);
}

static void test_host_hostile(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"-oProxyCommand=sh -c 'id'", "a;b", "a b", "$(reboot)", "`id`", "node|cat", "node&",
		"Node01", "node\n01", "node\x1b[2J", ".node", "node.", "a..b", "", "-p2222",
		"user@host", "host:22", "[::1]", "nöde",
		"x234567890123456789012345678901234567890123456789012345678901234", /* 64 */
	};
	for (size_t i = 0; i < DC_ARRAY_LEN(bad); i++) {
		struct dc_err err = { { 0 } };
		assert_int_equal(ssh_validate_host(bad[i], &err), -1);
		assert_true(strlen(err.msg) > 0);
	}
	assert_int_equal(ssh_validate_host(NULL, NULL), -1);
}

static void test_host_message_names_value_inertly(void **state)
{
	(void)state;
	struct dc_err err;
	assert_int_equal(ssh_validate_host("-oProxyCommand=x", &err), -1);
	assert_non_null(strstr(err.msg, "\"-oProxyCommand=x\""));
	assert_non_null(strstr(err.msg, "must start with"));
	assert_int_equal(ssh_validate_host("a;b", &err), -1);
	assert_non_null(strstr(err.msg, "position 2"));
	/* control bytes are shown as \xNN, never passed through */
	assert_int_equal(ssh_validate_host("n\x1b[2Jx", &err), -1);
	assert_null(strchr(err.msg, '\x1b'));
	assert_non_null(strstr(err.msg, "\\x1b"));
}

static void test_user(void **state)
{
	(void)state;
	struct dc_err err;
	assert_int_equal(ssh_validate_user("root", &err), 0);
	assert_int_equal(ssh_validate_user("oncall_kim", &err), 0);
	assert_int_equal(ssh_validate_user("_svc-dcops", &err), 0);
	assert_int_equal(ssh_validate_user("-oProxyCommand=x", &err), -1);
	assert_non_null(strstr(err.msg, "user name"));
	assert_int_equal(ssh_validate_user("a;b", &err), -1);
	assert_int_equal(ssh_validate_user("Root", &err), -1);
	assert_int_equal(ssh_validate_user("a b", &err), -1);
	assert_int_equal(ssh_validate_user("", &err), -1);
	assert_int_equal(ssh_validate_user("abcdefghijabcdefghijabcdefghijabc", &err), -1); /* 33 */
}

static void test_port(void **state)
{
	(void)state;
	struct dc_err err;
	int p = 0;
	assert_int_equal(ssh_validate_port("22", &p, &err), 0);
	assert_int_equal(p, 22);
	assert_int_equal(ssh_validate_port("65535", &p, &err), 0);
	assert_int_equal(p, 65535);
	static const char *const bad[] = { "0", "65536", "-1", "+22", " 22", "22 ", "0x16", "", "99999999999999" };
	for (size_t i = 0; i < DC_ARRAY_LEN(bad); i++)
		assert_int_equal(ssh_validate_port(bad[i], &p, &err), -1);
}

static void test_target(void **state)
{
	(void)state;
	struct ssh_target t;
	struct dc_err err;
	assert_int_equal(ssh_target_parse("oncall@bastion.gwangju.aidc:2222", &t, &err), 0);
	assert_string_equal(t.user, "oncall");
	assert_string_equal(t.host, "bastion.gwangju.aidc");
	assert_int_equal(t.port, 2222);
	assert_int_equal(ssh_target_parse("bastion", &t, &err), 0);
	assert_string_equal(t.user, "");
	assert_int_equal(t.port, 22);
	assert_int_equal(ssh_target_parse("-oProxyCommand=id@x", &t, &err), -1);
	assert_int_equal(ssh_target_parse("u@-oProxyCommand=id", &t, &err), -1);
	assert_int_equal(ssh_target_parse("u@a;b", &t, &err), -1);
	assert_int_equal(ssh_target_parse("u@h:22;id", &t, &err), -1);
	assert_non_null(strstr(err.msg, "port"));
	assert_int_equal(ssh_target_parse("@h", &t, &err), -1);
	assert_int_equal(ssh_target_parse("u@", &t, &err), -1);
	assert_int_equal(ssh_target_parse("u@h:", &t, &err), -1);
	assert_int_equal(ssh_target_parse("a@b@c", &t, &err), -1);
	assert_int_equal(ssh_target_parse("", &t, &err), -1);
	assert_int_equal(ssh_target_parse(NULL, &t, &err), -1);
}

/* ---- known_hosts markers ---- */

#define KEY "AAAAC3NzaC1lZDI1NTE5AAAAIOthOvO8NpGobcpzhW3qm7pHtsiT2UL6hYT0/M7gKbmL"

static void test_kh_parse(void **state)
{
	(void)state;
	struct ssh_kh_entry e;
	assert_int_equal(ssh_kh_parse("@revoked * ssh-ed25519 " KEY " old bastion key\n", &e), 1);
	assert_int_equal(e.marker, SSH_KH_REVOKED);
	assert_string_equal(e.hosts, "*");
	assert_string_equal(e.type, "ssh-ed25519");
	assert_string_equal(e.key, KEY);
	assert_int_equal(ssh_kh_parse("  @cert-authority\t*.mgmt,!x.mgmt ssh-ed25519 " KEY, &e), 1);
	assert_int_equal(e.marker, SSH_KH_CERT_AUTHORITY);
	assert_string_equal(e.hosts, "*.mgmt,!x.mgmt");
	assert_int_equal(ssh_kh_parse("bastion,10.0.0.1 ssh-ed25519 " KEY, &e), 1);
	assert_int_equal(e.marker, SSH_KH_NONE);
	assert_string_equal(e.hosts, "bastion,10.0.0.1");
	/* not entries */
	assert_int_equal(ssh_kh_parse("", &e), 0);
	assert_int_equal(ssh_kh_parse("   \n", &e), 0);
	assert_int_equal(ssh_kh_parse("# @revoked * ssh-ed25519 " KEY, &e), 0);
	/* malformed: an unknown marker, missing fields */
	assert_int_equal(ssh_kh_parse("@revoke * ssh-ed25519 " KEY, &e), -1);
	assert_int_equal(ssh_kh_parse("@revoked", &e), -1);
	assert_int_equal(ssh_kh_parse("@revoked * ssh-ed25519", &e), -1);
	assert_int_equal(ssh_kh_parse("bastion", &e), -1);
}

static bool matches(const char *hosts, const char *host)
{
	struct ssh_kh_entry e;
	char line[2048];
	snprintf(line, sizeof line, "@revoked %s ssh-ed25519 %s", hosts, KEY);
	assert_int_equal(ssh_kh_parse(line, &e), 1);
	return ssh_kh_match(&e, host);
}

static void test_kh_match(void **state)
{
	(void)state;
	assert_true(matches("*", "bastion"));
	assert_true(matches("*", "[127.0.0.1]:2222"));
	assert_true(matches("bastion", "bastion"));
	assert_true(matches("BASTION", "bastion"));
	assert_false(matches("bastion", "bastion2"));
	assert_true(matches("other,bastion", "bastion"));
	assert_true(matches("bast?on", "bastion"));
	assert_false(matches("bast?on", "bastn"));
	assert_true(matches("*.mgmt", "gpu-1.mgmt"));
	assert_false(matches("*.mgmt", "gpu-1.mgmt.evil"));
	assert_true(matches("10.0.*.1?", "10.0.3.17"));
	/* a non-standard port: only the [host]:port form names it */
	assert_true(matches("[127.0.0.1]:2222", "[127.0.0.1]:2222"));
	assert_false(matches("127.0.0.1", "[127.0.0.1]:2222"));
	assert_false(matches("[127.0.0.1]:2222", "127.0.0.1"));
	assert_true(matches("[127.0.0.1]:*", "[127.0.0.1]:2222"));
	/* negation excludes, wherever it stands in the list */
	assert_false(matches("*,!bastion", "bastion"));
	assert_false(matches("!bastion,*", "bastion"));
	assert_true(matches("*,!bastion", "other"));
	assert_false(matches("!bastion", "other"));
	/* hashed names (ssh-keygen -H): salt 00 01 .. 13 */
	assert_true(matches("|1|AAECAwQFBgcICQoLDA0ODxAREhM=|zKYaAqmSav3Qxr2sffNqWFIcbe4=", "[127.0.0.1]:2222"));
	assert_false(matches("|1|AAECAwQFBgcICQoLDA0ODxAREhM=|zKYaAqmSav3Qxr2sffNqWFIcbe4=", "bastion"));
	assert_true(matches("|1|AAECAwQFBgcICQoLDA0ODxAREhM=|aHu1wtxpsAMJDlmjXnZ+iFj/SUE=", "bastion"));
	assert_false(matches("|1|AAECAwQFBgcICQoLDA0ODxAREhM=|garbage", "bastion"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_ok),
		cmocka_unit_test(test_host_hostile),
		cmocka_unit_test(test_host_message_names_value_inertly),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_kh_parse),
		cmocka_unit_test(test_kh_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
