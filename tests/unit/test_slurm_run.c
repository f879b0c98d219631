/* test_slurm_run — running Slurm's commands locally (slurm-run.h): fake
 * commands in a directory given as bindir answer with output on both
 * streams, an exit status, a signal, a hang past the deadline, output past
 * the cap and a child that keeps the pipe open; bad options and command
 * names are refused before anything runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapter/slurm/slurm-run.h"
#include "tmpfiles.h"

static void script(const char *name, const char *body)
{
	char *text = xasprintf("#!/bin/sh\n%s\n", body);
	char *path = tmpfiles_write(name, text);
	assert_int_equal(chmod(path, 0755), 0);
	free(path);
	free(text);
}

static struct slurm_runner *runner(int timeout_ms, size_t cap)
{
	struct slurm_runner_opts o = { .bindir = tmpfiles_dir, .timeout_ms = timeout_ms, .max_output = cap };
	struct dc_err err = { 0 };
	struct slurm_runner *r = slurm_runner_new(&o, &err);
	assert_non_null(r);
	return r;
}

static void test_output_and_status(void **state)
{
	(void)state;
	script("fake-ok", "printf 'out:%s|' \"$@\"; echo oops >&2; exit 3");
	struct slurm_runner *r = runner(5000, 0);
	const char *argv[] = { "fake-ok", "$(id)", "a;b", "it's", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	assert_int_equal(slurm_run(r, argv, &o, &err), 0);
	assert_string_equal(o.out, "out:$(id)|out:a;b|out:it's|");
	assert_int_equal(o.out_len, strlen(o.out));
	assert_string_equal(o.err, "oops\n");
	assert_int_equal(o.status, 3);
	slurm_out_free(&o);
	slurm_runner_free(r);
}

static void test_signal_status(void **state)
{
	(void)state;
	script("fake-kill", "kill -TERM $$");
	struct slurm_runner *r = runner(5000, 0);
	const char *argv[] = { "fake-kill", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	assert_int_equal(slurm_run(r, argv, &o, &err), 0);
	assert_int_equal(o.status, 128 + 15);
	slurm_out_free(&o);
	slurm_runner_free(r);
}

static void test_deadline_kills(void **state)
{
	(void)state;
	/* the grandchild holds the pipe too: the whole group goes */
	script("fake-hang", "sleep 30 & sleep 30");
	struct slurm_runner *r = runner(300, 0);
	const char *argv[] = { "fake-hang", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	int64_t t0 = dc_mono_ms();
	assert_int_equal(slurm_run(r, argv, &o, &err), -1);
	assert_true(dc_mono_ms() - t0 < 3000);
	assert_non_null(strstr(err.msg, "fake-hang: no answer within 300 ms (killed)"));
	assert_null(o.out);
	slurm_runner_free(r);
}

static void test_silent_but_alive_is_killed(void **state)
{
	(void)state;
	/* closes stdout and stderr, then lingers: the deadline still holds */
	script("fake-linger", "exec >&- 2>&-; sleep 30");
	struct slurm_runner *r = runner(300, 0);
	const char *argv[] = { "fake-linger", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	int64_t t0 = dc_mono_ms();
	assert_int_equal(slurm_run(r, argv, &o, &err), -1);
	assert_true(dc_mono_ms() - t0 < 3000);
	assert_non_null(strstr(err.msg, "fake-linger: closed its output but did not exit within 300 ms (killed)"));
	slurm_runner_free(r);
}

static void test_output_cap(void **state)
{
	(void)state;
	script("fake-big", "head -c 100000 /dev/zero | tr '\\0' x; sleep 30");
	struct slurm_runner *r = runner(10000, 4096);
	const char *argv[] = { "fake-big", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	int64_t t0 = dc_mono_ms();
	assert_int_equal(slurm_run(r, argv, &o, &err), -1);
	assert_true(dc_mono_ms() - t0 < 5000);
	assert_non_null(strstr(err.msg, "fake-big: output over 4096 bytes (killed)"));
	slurm_runner_free(r);
}

static void test_missing_and_bad_names(void **state)
{
	(void)state;
	struct slurm_runner *r = runner(1000, 0);
	struct slurm_out o;
	struct dc_err err = { 0 };
	const char *missing[] = { "sinfo-not-here", NULL };
	assert_int_equal(slurm_run(r, missing, &o, &err), -1);
	assert_non_null(strstr(err.msg, "sinfo-not-here: cannot run: No such file"));
	const char *pathy[] = { "../bin/sh", NULL };
	assert_int_equal(slurm_run(r, pathy, &o, &err), -1);
	assert_non_null(strstr(err.msg, "is not [a-z0-9_-]"));
	slurm_runner_free(r);
	struct slurm_runner_opts bad = { .bindir = "relative/bin" };
	assert_null(slurm_runner_new(&bad, &err));
	assert_non_null(strstr(err.msg, "not an absolute path"));
	struct slurm_runner_opts badssh = { .ssh = "us er@host;rm" };
	assert_null(slurm_runner_new(&badssh, &err));
	assert_non_null(strstr(err.msg, "--ssh"));
}

static int setup(void **state)
{
	(void)state;
	return tmpfiles_setup("slurm-run");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_status),
		cmocka_unit_test(test_signal_status),
		cmocka_unit_test(test_deadline_kills),
		cmocka_unit_test(test_silent_but_alive_is_killed),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_missing_and_bad_names),
	};
	return cmocka_run_group_tests(tests, setup, tmpfiles_teardown);
}
