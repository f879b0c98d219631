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
#include <sys/types.h>

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

/* An option's or a variable's whole number: decimal digits only (no sign,
 * no spaces, nothing after), from lo to hi; false otherwise, *out left
 * alone. The caller says what was wrong, naming the option. */
bool dc_parse_long(const char *s, long lo, long hi, long *out);

int64_t dc_mono_ms(void);  /* CLOCK_MONOTONIC in milliseconds */
int64_t dc_mono_us(void);
double dc_wall(void);      /* CLOCK_REALTIME in seconds */
int64_t dc_cpu_us(void);   /* this process's CPU time (user + system) in microseconds */

/* Reads a whole regular file (NUL-terminated) up to max bytes; -1 with err
 * naming the path on failure, when the file is larger than max, or when it
 * is not a regular file (a FIFO is refused at once, never waited on). */
int dc_read_file(const char *path, size_t max, char **out, size_t *len, struct dc_err *err);
/* Replaces path with data, never writing through a symlink: writes
 * <path>.tmp (a leftover is removed first; O_CREAT|O_EXCL|O_NOFOLLOW), gives
 * it mode and owner (uid/gid (uid_t)-1/(gid_t)-1: the caller's), then renames
 * it over path, which replaces a symlink there instead of following it.
 * Safe in a directory another user can write; -1 with err on failure. */
int dc_file_replace(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
                    gid_t gid, struct dc_err *err);

/* The directory holding backend/sql and themes: $DCOPS_DATADIR, else
 * <exe>/../share/dcops (installed), else the source tree above the binary. */
const char *dc_datadir(void);
/* The demo's own directory, unless moved: <tree>/var when run from the
 * source tree, else $XDG_STATE_HOME/dcops or ~/.local/state/dcops. */
const char *dc_vardir_local(void);
/* Where the demo lives: $DCOPS_VAR; else the absolute path that
 * <dc_vardir_local()>/DC_VAR_POINTER names, when that file is the caller's
 * own and no one else can write it (dc_vardir_move wrote it); else
 * dc_vardir_local(). Static strings, valid for the life of the process. */
#define DC_VAR_POINTER "location"
const char *dc_vardir(void);
/* The pointer file in effect (<local>/location), or NULL. */
const char *dc_vardir_pointer(void);
/* Records dir (absolute) in <dc_vardir_local()>/DC_VAR_POINTER, which must
 * be a directory of the caller's, so that every later dc_vardir() of any
 * dcops process answers dir. -1 with err when it cannot be written. */
int dc_vardir_move(const char *dir, struct dc_err *err);

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
