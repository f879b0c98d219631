/* util.h — allocation, strings, errors, time, paths and a seeded PRNG.
 *
 * Ownership: x*alloc/xstrdup/xasprintf return memory the caller frees with
 * free(); they abort on allocation failure (the only fatal error in dcops).
 * struct dc_err is caller-owned storage for one human-readable message;
 * functions that can fail at run time fill it and return -1 (or NULL).
 * struct sb owns its buffer; sb_free() releases it, sb_take() hands it over.
 * dc_datadir() returns a static string valid for the life of the process. */
#ifndef DCOPS_UTIL_H
#define DCOPS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DC_PRINTF(f, a) __attribute__((format(printf, f, a)))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows *p (holding *cap items of size) to hold at least need items. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) DC_PRINTF(1, 2);

struct dc_err {
	char msg[512];
};
/* Sets err->msg (if err is non-NULL) and returns -1 for `return dc_err_set(...)`. */
int dc_err_set(struct dc_err *err, const char *fmt, ...) DC_PRINTF(2, 3);

struct sb {
	char *buf;
	size_t len, cap;
};
void sb_append(struct sb *sb, const char *s);
void sb_appendn(struct sb *sb, const char *s, size_t n);
void sb_appendf(struct sb *sb, const char *fmt, ...) DC_PRINTF(2, 3);
void sb_clear(struct sb *sb);
char *sb_take(struct sb *sb); /* returns the buffer ("" if empty), resets sb */
void sb_free(struct sb *sb);

int64_t dc_mono_ms(void);  /* CLOCK_MONOTONIC in milliseconds */
int64_t dc_mono_us(void);
double dc_wall(void);      /* CLOCK_REALTIME in seconds */
int64_t dc_cpu_us(void);   /* this process's CPU time (user + system) in microseconds */

/* Reads a whole regular file (NUL-terminated) up to max bytes; -1 with err
 * naming the path on failure, when the file is larger than max, or when it
 * is not a regular file (a FIFO is refused at once, never waited on). */
int dc_read_file(const char *path, size_t max, char **out, size_t *len, struct dc_err *err);

/* The directory holding backend/sql and themes: $DCOPS_DATADIR, else
 * <exe>/../share/dcops (installed), else the source tree above the binary. */
const char *dc_datadir(void);
/* The project's var/ for the demo cluster: $DCOPS_VAR, else <tree>/var. */
const char *dc_vardir(void);

/* splitmix64: small, fast, deterministic for a given seed. */
struct dc_rng {
	uint64_t s;
};
void dc_rng_seed(struct dc_rng *r, uint64_t seed);
uint64_t dc_rng_next(struct dc_rng *r);
double dc_rng_unit(struct dc_rng *r);                 /* [0, 1) */
int dc_rng_range(struct dc_rng *r, int lo, int hi);   /* [lo, hi] */
double dc_rng_exp(struct dc_rng *r, double mean);
double dc_rng_lognormal(struct dc_rng *r, double median, double sigma);
int dc_rng_poisson(struct dc_rng *r, double lambda);

#endif
