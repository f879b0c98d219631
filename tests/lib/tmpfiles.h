/* tmpfiles.h — a scratch directory per cmocka group, for tests that feed
 * files to a loader: tmpfiles_setup makes /tmp/dcops-test-NAME.XXXXXX,
 * tmpfiles_write puts a file in it, tmpfiles_teardown removes it all.
 * Header-only (static inline), like testdb.h: the Makefile links test
 * binaries with libdcops, not with tests/lib/. Include it after cmocka.h.
 *
 * Ownership: the directory name is static storage (one group per binary);
 * tmpfiles_write returns a path the caller free()s. */
#ifndef DCOPS_TMPFILES_H
#define DCOPS_TMPFILES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char tmpfiles_dir[64];

/* For cmocka_run_group_tests: name is the test's, for the directory. */
static inline int tmpfiles_setup(const char *name)
{
	snprintf(tmpfiles_dir, sizeof tmpfiles_dir, "/tmp/dcops-test-%s.XXXXXX", name);
	return mkdtemp(tmpfiles_dir) ? 0 : -1;
}

static inline int tmpfiles_teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tmpfiles_dir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

/* Writes len bytes of text to the file name in the directory. */
static inline char *tmpfiles_write_n(const char *name, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", tmpfiles_dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static inline char *tmpfiles_write(const char *name, const char *text)
{
	return tmpfiles_write_n(name, text, strlen(text));
}

#endif
