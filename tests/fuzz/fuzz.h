/* fuzz.h — helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * The loaders read files, so an input is handed to them through one memfd
 * per process, opened again by path (/proc/self/fd/N): no file is written
 * to disk and each input costs a truncate and a write. Invariant failures
 * call fuzz_fail(), which aborts so libFuzzer keeps the input as a crash.
 *
 * Ownership: fuzz_path() returns a static string valid for the process;
 * fuzz_cstr() and fuzz_bytes() return a malloc'd copy the caller frees. */
#ifndef DCOPS_FUZZ_H
#define DCOPS_FUZZ_H

/* memfd_create; this header comes first in every target. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((format(printf, 1, 2), noreturn))
static inline void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("invariant broken: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* Replaces the memfd's contents with data; returns the path to open. */
static inline const char *fuzz_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("dcops-fuzz", 0);
		if (fd < 0)
			fuzz_fail("memfd_create failed");
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0)
		fuzz_fail("ftruncate failed");
	for (size_t o = 0; o < size;) {
		ssize_t w = pwrite(fd, data + o, size - o, (off_t)o);
		if (w <= 0)
			fuzz_fail("pwrite failed");
		o += (size_t)w;
	}
	return path;
}

/* The input as a C string: cut at the first NUL, as a caller passing a
 * string would see it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input in a buffer of exactly its length, no NUL after it, as a
 * parser given a length sees it: ASan reports any read past the end. */
static inline char *fuzz_bytes(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	return s;
}

/* A message an operator sees must be a NUL-terminated string in its buffer. */
static inline void fuzz_check_msg(const char *msg, size_t cap, bool failed)
{
	size_t n = strnlen(msg, cap);
	if (n == cap)
		fuzz_fail("error message not NUL-terminated");
	if (failed && n == 0)
		fuzz_fail("failure without a message");
}

/* Messages that promise to show hostile values escaped: printable ASCII only. */
static inline void fuzz_check_printable(const char *msg)
{
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			fuzz_fail("byte 0x%02x in message \"%s\"", *p, msg);
}

#endif
