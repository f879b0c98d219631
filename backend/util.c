#include "util.h"

#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(size_t n)
{
	fprintf(stderr, "dcops: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	if (c > SIZE_MAX / size)
		oom(SIZE_MAX);
	*cap = c;
	return xrealloc(p, c * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *xvasprintf(const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		oom(0);
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int dc_err_set(struct dc_err *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void sb_appendn(struct sb *sb, const char *s, size_t n)
{
	sb->buf = xgrow(sb->buf, &sb->cap, sb->len + n + 1, 1);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_append(struct sb *sb, const char *s)
{
	sb_appendn(sb, s, strlen(s));
}

void sb_appendf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	sb_append(sb, p);
	free(p);
}

void sb_clear(struct sb *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *sb_take(struct sb *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void sb_free(struct sb *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

int64_t dc_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool dc_parse_long(const char *s, long lo, long hi, long *out)
{
	if (!s || *s < '0' || *s > '9') /* strtol would take spaces and a sign */
		return false;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int64_t dc_mono_ms(void)
{
	return dc_mono_us() / 1000;
}

int64_t dc_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double dc_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket"
	     : S_ISCHR(m) || S_ISBLK(m) ? "a device" : "something else";
}

int dc_read_file(const char *path, size_t max, char **out, size_t *len, struct dc_err *err)
{
	/* O_NONBLOCK: opening a FIFO with no writer would wait for one
	 * forever; then only a regular file is read. A terminal device named
	 * here never becomes the controlling one (O_NOCTTY). */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return dc_err_set(err, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return dc_err_set(err, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return dc_err_set(err, "%s: not a regular file (it is %s)", path, file_kind(st.st_mode));
	}
	FILE *f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return dc_err_set(err, "%s: %s", path, strerror(errno));
	}
	struct sb sb = {0};
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (sb.len + n > max) {
			fclose(f);
			sb_free(&sb);
			return dc_err_set(err, "%s: file is larger than the %zu-byte limit", path, max);
		}
		sb_appendn(&sb, buf, n);
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		sb_free(&sb);
		return dc_err_set(err, "%s: read error", path);
	}
	if (len)
		*len = sb.len;
	*out = sb_take(&sb);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int dc_file_replace(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
                    gid_t gid, struct dc_err *err)
{
	char *tmp = xasprintf("%s.tmp", path);
	/* unlink removes a planted symlink itself; one planted again before
	 * the open makes O_EXCL fail, never followed. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		dc_err_set(err, "cannot remove %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	int rc = fd == -1 ? -1 : 0;
	if (rc == 0 && (write_all(fd, data, len) == -1 || fchmod(fd, mode & 0777) == -1 ||
	                ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) == -1)))
		rc = -1;
	if (fd != -1 && close(fd) == -1)
		rc = -1;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -1;
	if (rc == -1) {
		dc_err_set(err, "cannot write %s: %s", path, strerror(errno));
		if (fd != -1)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The source tree root: the nearest ancestor of the binary's directory
 * that holds backend/sql/001_schema.sql, or NULL. */
static const char *tree_root(void)
{
	static char root[PATH_MAX + 16];
	static int done;
	if (done)
		return root[0] ? root : NULL;
	done = 1;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	for (int up = 0; up < 6; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash || slash == exe)
			break;
		*slash = '\0';
		char probe[PATH_MAX + 64];
		snprintf(probe, sizeof probe, "%s/backend/sql/001_schema.sql", exe);
		if (is_file(probe)) {
			snprintf(root, sizeof root, "%s", exe);
			return root;
		}
		snprintf(probe, sizeof probe, "%s/share/dcops/backend/sql/001_schema.sql", exe);
		if (is_file(probe)) {
			snprintf(root, sizeof root, "%s/share/dcops", exe);
			return root;
		}
	}
	return NULL;
}

const char *dc_datadir(void)
{
	const char *env = getenv("DCOPS_DATADIR");
	if (env && *env)
		return env;
	const char *root = tree_root();
	return root ? root : ".";
}

const char *dc_vardir_local(void)
{
	static char var[PATH_MAX + 32];
	if (!var[0]) {
		const char *root = tree_root();
		const char *state = getenv("XDG_STATE_HOME");
		const char *home = getenv("HOME");
		if (root && strstr(root, "/share/dcops") == NULL)
			snprintf(var, sizeof var, "%s/var", root);
		else if (state && *state)
			snprintf(var, sizeof var, "%s/dcops", state);
		else
			snprintf(var, sizeof var, "%s/.local/state/dcops", home ? home : "/tmp");
	}
	return var;
}

static struct {
	bool done;
	char pointer[PATH_MAX + 64];  /* "" when none is in effect */
	char dir[PATH_MAX];
} moved;

/* The directory the pointer file names, into out; false when there is no
 * pointer, or one that another user could have written (a tree of someone
 * else's must not steer root's demo), or one that is not one absolute path. */
static bool pointer_read(const char *file, char *out, size_t outsz)
{
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			text_putline(stderr, "dcops: ignoring %s: %s", file, strerror(errno));
		return false;
	}
	struct stat st;
	char buf[PATH_MAX + 1];
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    !(st.st_mode & 022))
		n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	if (n <= 0 || buf[0] != '/' || strlen(buf) >= outsz) {
		text_putline(stderr, "dcops: ignoring %s: not one absolute path in a file of yours "
		             "that only you can write", file);
		return false;
	}
	memcpy(out, buf, strlen(buf) + 1);
	return true;
}

static void moved_load(void)
{
	if (moved.done)
		return;
	moved.done = true;
	char file[sizeof moved.pointer];
	snprintf(file, sizeof file, "%s/%s", dc_vardir_local(), DC_VAR_POINTER);
	if (pointer_read(file, moved.dir, sizeof moved.dir))
		snprintf(moved.pointer, sizeof moved.pointer, "%s", file);
}

static bool var_env_set(void)
{
	const char *env = getenv("DCOPS_VAR");
	return env && *env;
}

const char *dc_vardir(void)
{
	if (var_env_set())
		return getenv("DCOPS_VAR");
	moved_load();
	return moved.pointer[0] ? moved.dir : dc_vardir_local();
}

const char *dc_vardir_pointer(void)
{
	if (var_env_set())
		return NULL;
	moved_load();
	return moved.pointer[0] ? moved.pointer : NULL;
}

int dc_vardir_move(const char *dir, struct dc_err *err)
{
	if (dir[0] != '/' || strchr(dir, '\n') || strlen(dir) >= sizeof moved.dir)
		return dc_err_set(err, "cannot move the demo to '%s': not an absolute path", dir);
	char file[sizeof moved.pointer];
	snprintf(file, sizeof file, "%s/%s", dc_vardir_local(), DC_VAR_POINTER);
	char *line = xasprintf("%s\n", dir);
	int rc = dc_file_replace(file, line, strlen(line), 0600, (uid_t)-1, (gid_t)-1, err);
	free(line);
	if (rc == -1)
		return -1;
	moved.done = true;
	snprintf(moved.dir, sizeof moved.dir, "%s", dir);
	snprintf(moved.pointer, sizeof moved.pointer, "%s", file);
	return 0;
}

void dc_rng_seed(struct dc_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t dc_rng_next(struct dc_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double dc_rng_unit(struct dc_rng *r)
{
	return (double)(dc_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int dc_rng_range(struct dc_rng *r, int lo, int hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int)(dc_rng_next(r) % (uint64_t)(hi - lo + 1));
}

double dc_rng_exp(struct dc_rng *r, double mean)
{
	return -mean * log(1.0 - dc_rng_unit(r));
}

double dc_rng_lognormal(struct dc_rng *r, double median, double sigma)
{
	/* Box–Muller for one standard normal. */
	double u1 = 1.0 - dc_rng_unit(r), u2 = dc_rng_unit(r);
	double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	return median * exp(sigma * z);
}

int dc_rng_poisson(struct dc_rng *r, double lambda)
{
	if (lambda <= 0)
		return 0;
	if (lambda > 50) {
		double u1 = 1.0 - dc_rng_unit(r), u2 = dc_rng_unit(r);
		double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		int k = (int)lround(lambda + sqrt(lambda) * z);
		return k < 0 ? 0 : k;
	}
	double l = exp(-lambda), p = 1.0;
	int k = 0;
	do {
		k++;
		p *= dc_rng_unit(r);
	} while (p > l);
	return k - 1;
}
