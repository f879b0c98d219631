/* test_safefile — dc_file_replace (util.h), how root writes a pid file or
 * postgresql.conf in a directory another user can write: a symlink planted
 * at the file or at its .tmp is replaced or refused, never written
 * through; the new file gets the mode asked for; a leftover .tmp from a
 * crash is no obstacle; a missing directory is an error naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpfiles.h"
#include "util.h"

static int setup(void **state)
{
	(void)state;
	return tmpfiles_setup("safefile");
}

static char *slurp(const char *path)
{
	char *text = NULL;
	assert_int_equal(dc_read_file(path, 4096, &text, NULL, NULL), 0);
	return text;
}

static void assert_regular(const char *path, mode_t mode)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, mode);
}

static void test_symlink_at_file_is_replaced(void **state)
{
	(void)state;
	char *target = tmpfiles_write("target1", "precious\n");
	char *path = xasprintf("%s/a.pid", tmpfiles_dir);
	assert_int_equal(symlink(target, path), 0);
	struct dc_err err;
	assert_int_equal(dc_file_replace(path, "42\n", 3, 0644, (uid_t)-1, (gid_t)-1, &err), 0);
	char *t = slurp(target), *p = slurp(path);
	assert_string_equal(t, "precious\n");
	assert_string_equal(p, "42\n");
	assert_regular(path, 0644);
	free(t); free(p); free(target); free(path);
}

static void test_symlink_at_tmp_is_not_followed(void **state)
{
	(void)state;
	char *target = tmpfiles_write("target2", "precious too\n");
	char *path = xasprintf("%s/b.pid", tmpfiles_dir);
	char *tmp = xasprintf("%s.tmp", path);
	assert_int_equal(symlink(target, tmp), 0);
	struct dc_err err;
	assert_int_equal(dc_file_replace(path, "7\n", 2, 0600, (uid_t)-1, (gid_t)-1, &err), 0);
	char *t = slurp(target), *p = slurp(path);
	assert_string_equal(t, "precious too\n");
	assert_string_equal(p, "7\n");
	assert_regular(path, 0600);
	assert_int_equal(access(tmp, F_OK), -1);
	free(t); free(p); free(target); free(path); free(tmp);
}

static void test_leftover_tmp_and_old_content_replaced(void **state)
{
	(void)state;
	char *path = tmpfiles_write("c.conf", "old = 1\n");
	free(tmpfiles_write("c.conf.tmp", "half-written"));
	struct dc_err err;
	assert_int_equal(dc_file_replace(path, "new = 2\n", 8, 0640, (uid_t)-1, (gid_t)-1, &err), 0);
	char *p = slurp(path);
	assert_string_equal(p, "new = 2\n");
	assert_regular(path, 0640);
	free(p); free(path);
}

static void test_missing_directory_names_file(void **state)
{
	(void)state;
	char *path = xasprintf("%s/no/such/dir/d.pid", tmpfiles_dir);
	struct dc_err err;
	assert_int_equal(dc_file_replace(path, "1\n", 2, 0644, (uid_t)-1, (gid_t)-1, &err), -1);
	assert_non_null(strstr(err.msg, path));
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink_at_file_is_replaced),
		cmocka_unit_test(test_symlink_at_tmp_is_not_followed),
		cmocka_unit_test(test_leftover_tmp_and_old_content_replaced),
		cmocka_unit_test(test_missing_directory_names_file),
	};
	return cmocka_run_group_tests(tests, setup, tmpfiles_teardown);
}
