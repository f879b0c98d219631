/* test_slurm_ssh — slurm-run.h over SSH against a real OpenSSH on
 * 127.0.0.1 (the node sshd of `tests/lib/sshd.sh with-fixtures`, which runs
 * commands as the test user): hostile arguments ($(), ;, quotes, `, $VAR)
 * arrive as the same bytes, a newline is refused before anything is sent,
 * the exit status comes back, a hang is cut at the deadline, an unknown
 * host key is refused (never trusted on first use), and the session is
 * re-opened after the server drops it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapter/slurm/slurm-run.h"

static int node_port;
static const char *key, *top, *node_dir, *lib;
static const char *ids[2];

static char *known_hosts(const char *name, bool trusted)
{
	char *path = xasprintf("%s/%s", top, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	if (trusted) {
		char *pubpath = xasprintf("%s/host_ed25519.pub", node_dir), *pub = NULL;
		size_t n;
		struct dc_err err;
		assert_int_equal(dc_read_file(pubpath, 1 << 16, &pub, &n, &err), 0);
		char *sp = strchr(pub, ' ');
		sp = sp ? strchr(sp + 1, ' ') : NULL;
		if (sp)
			*sp = '\0';
		fprintf(f, "[127.0.0.1]:%d %s\n", node_port, pub);
		free(pub);
		free(pubpath);
	}
	fclose(f);
	return path;
}

static struct slurm_runner *runner(const char *kh, int timeout_ms)
{
	char *target = xasprintf("%s@127.0.0.1:%d", getenv("USER") ? getenv("USER") : "root", node_port);
	struct slurm_runner_opts o = { .ssh = target, .known_hosts = kh, .identities = ids, .timeout_ms = timeout_ms };
	struct dc_err err = { 0 };
	struct slurm_runner *r = slurm_runner_new(&o, &err);
	if (!r)
		fail_msg("%s", err.msg);
	free(target);
	return r;
}

static void test_hostile_arguments_arrive_as_data(void **state)
{
	(void)state;
	char *kh = known_hosts("known_trusted", true);
	struct slurm_runner *r = runner(kh, 10000);
	const char *argv[] = { "printf", "<%s>", "$(touch pwned)", "a;b", "it's", "\"q\"", "`id`", "$HOME",
			       "-n", "", "tab\there", "\\", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	if (slurm_run(r, argv, &o, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(o.out, "<$(touch pwned)><a;b><it's><\"q\"><`id`><$HOME><-n><><tab\there><\\>");
	assert_int_equal(o.status, 0);
	slurm_out_free(&o);
	char *pwned = xasprintf("%s/pwned", getenv("HOME") ? getenv("HOME") : "/");
	assert_int_not_equal(access(pwned, F_OK), 0);
	free(pwned);

	/* a newline is refused before anything is sent */
	const char *nl[] = { "printf", "a\nb", NULL };
	assert_int_equal(slurm_run(r, nl, &o, &err), -1);
	assert_non_null(strstr(err.msg, "newline"));

	/* the exit status and stderr come back; the session is reused */
	const char *ex[] = { "sh", "-c", "echo no >&2; exit 3", NULL };
	assert_int_equal(slurm_run(r, ex, &o, &err), 0);
	assert_int_equal(o.status, 3);
	assert_string_equal(o.err, "no\n");
	slurm_out_free(&o);
	slurm_runner_free(r);
	free(kh);
}

static void test_hang_cut_at_deadline(void **state)
{
	(void)state;
	char *kh = known_hosts("known_trusted", true);
	struct slurm_runner *r = runner(kh, 1500);
	const char *argv[] = { "sleep", "30", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	int64_t t0 = dc_mono_ms();
	assert_int_equal(slurm_run(r, argv, &o, &err), -1);
	int64_t took = dc_mono_ms() - t0;
	print_message("  cut after %lld ms: %s\n", (long long)took, err.msg);
	assert_true(took < 5000);
	assert_non_null(strstr(err.msg, "no answer within 1500 ms"));
	/* and the next run works on the same runner */
	const char *ok[] = { "echo", "again", NULL };
	if (slurm_run(r, ok, &o, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(o.out, "again\n");
	slurm_out_free(&o);
	slurm_runner_free(r);
	free(kh);
}

static void test_unknown_host_key_refused(void **state)
{
	(void)state;
	char *kh = known_hosts("known_empty", false);
	struct slurm_runner *r = runner(kh, 5000);
	const char *argv[] = { "echo", "hi", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	assert_int_equal(slurm_run(r, argv, &o, &err), -1);
	print_message("  %s\n", err.msg);
	assert_non_null(strstr(err.msg, "ssh "));
	slurm_runner_free(r);
	/* nothing was recorded */
	char *text = NULL;
	size_t n = 0;
	assert_int_equal(dc_read_file(kh, 1 << 16, &text, &n, &err), 0);
	assert_int_equal(n, 0);
	free(text);
	free(kh);
}

static void test_reopened_after_server_restart(void **state)
{
	(void)state;
	char *kh = known_hosts("known_trusted", true);
	struct slurm_runner *r = runner(kh, 10000);
	const char *argv[] = { "echo", "one", NULL };
	struct slurm_out o;
	struct dc_err err = { 0 };
	if (slurm_run(r, argv, &o, &err) < 0)
		fail_msg("%s", err.msg);
	slurm_out_free(&o);
	char *cmd = xasprintf("bash %s kill %s && bash %s start %s %d >/dev/null", lib, node_dir, lib, node_dir,
			      node_port);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	slurm_runner_wait(r, 500, NULL);
	/* the first run after the drop may fail (link lost); the next re-opens */
	int rc = slurm_run(r, argv, &o, &err);
	if (rc < 0) {
		print_message("  after restart: %s\n", err.msg);
		rc = slurm_run(r, argv, &o, &err);
	}
	if (rc < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(o.out, "one\n");
	slurm_out_free(&o);
	slurm_runner_free(r);
	free(kh);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!getenv("DCOPS_SSH_TEST_ENV")) {
		const char *root = getenv("DCOPS_ROOT");
		char *libpath = xasprintf("%s/tests/lib/sshd.sh", root ? root : ".");
		execlp("bash", "bash", libpath, "with-fixtures", argv[0], (char *)NULL);
		perror("exec bash tests/lib/sshd.sh");
		return 1;
	}
	node_port = atoi(getenv("DCOPS_SSH_NODE_PORT"));
	key = getenv("DCOPS_SSH_KEY");
	top = getenv("DCOPS_SSH_TOP");
	node_dir = getenv("DCOPS_SSH_NODE_DIR");
	lib = getenv("DCOPS_SSH_LIB");
	ids[0] = key;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_arguments_arrive_as_data),
		cmocka_unit_test(test_hang_cut_at_deadline),
		cmocka_unit_test(test_unknown_host_key_refused),
		cmocka_unit_test(test_reopened_after_server_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
