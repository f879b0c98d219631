/* relay-client.c — the console's end of the relay socket. See relay-client.h. */
#include "relay-client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)

struct relay_client {
	struct loop *loop;
	struct relay_client_ops ops;
	void *ud;
	int fd;
	bool hello_seen, dead;
	unsigned char *in;        /* bytes read, not yet a whole frame: [0, n) */
	size_t n, cap;
	uint64_t silence_timer;
	uint64_t offset;          /* stream offset of in[0], for error lines */
};

static void client_lost(struct relay_client *c, const char *why)
{
	bool refused = !c->hello_seen && c->n >= RELAY_HEADER && c->in[4] == RF_HELLO;
	if (c->fd >= 0) {
		loop_fd_del(c->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	loop_timer_cancel(c->loop, c->silence_timer);
	c->silence_timer = 0;
	c->dead = true;
	c->ops.lost(c->ud, why, refused); /* last: may free c */
}

static void on_silence(struct loop *l, void *ud)
{
	(void)l;
	struct relay_client *c = ud;
	c->silence_timer = 0;
	char why[64];
	snprintf(why, sizeof why, "the relay said nothing for %d s", RELAY_SILENT_MS / 1000);
	client_lost(c, why);
}

static void silence_arm(struct relay_client *c)
{
	loop_timer_cancel(c->loop, c->silence_timer);
	c->silence_timer = loop_timer_add(c->loop, RELAY_SILENT_MS, on_silence, c);
}

/* One frame to its callback; -1 with err when it does not decode. */
static int frame_apply(struct relay_client *c, const struct relay_frame *f, char *err, size_t errlen)
{
	if (!c->hello_seen) {
		if (relay_get_hello(f, err, errlen) < 0)
			return -1;
		c->hello_seen = true;
		c->ops.hello(c->ud);
		return 0;
	}
	struct relay_status st;
	enum dc_table t;
	void *row;
	int64_t id;
	unsigned mask;
	switch (f->type) {
	case RF_STATUS:
		if (relay_get_status(f, &st, err, errlen) < 0)
			return -1;
		c->ops.status(c->ud, &st);
		return 0;
	case RF_SNAPSHOT:
	case RF_SNAPSHOT_END:
		c->ops.snapshot(c->ud, f->type == RF_SNAPSHOT);
		return 0;
	case RF_RESET:
		c->ops.reset(c->ud);
		return 0;
	case RF_PUT:
		if (relay_get_row(f, &t, &row, err, errlen) < 0)
			return -1;
		c->ops.row(c->ud, t, row);
		return 0;
	case RF_DEL:
		if (relay_get_del(f, &t, &id, err, errlen) < 0)
			return -1;
		c->ops.del(c->ud, t, id);
		return 0;
	case RF_BATCH:
		if (relay_get_batch(f, &mask, err, errlen) < 0)
			return -1;
		c->ops.batch(c->ud, mask);
		return 0;
	default:
		snprintf(err, errlen, "unexpected %s frame", relay_type_name(f->type));
		return -1;
	}
}

/* Applies every whole frame read; false when the client was lost. */
static bool frames_apply(struct relay_client *c)
{
	size_t off = 0;
	for (;;) {
		struct relay_frame f;
		size_t used;
		char err[320], why[400];
		int rc = relay_frame_next(c->in + off, c->n - off, &f, &used, err, sizeof err);
		if (rc == 1 && frame_apply(c, &f, err, sizeof err) == 0) {
			off += used;
			continue;
		}
		if (rc == 0)
			break;
		snprintf(why, sizeof why, "%s (stream offset %llu)", err, (unsigned long long)(c->offset + off));
		client_lost(c, why);
		return false;
	}
	memmove(c->in, c->in + off, c->n - off);
	c->n -= off;
	c->offset += off;
	return true;
}

static void on_fd(struct loop *l, int fd, unsigned events, void *ud)
{
	(void)l;
	(void)events;
	struct relay_client *c = ud;
	for (int reads = 0; reads < 64; reads++) { /* a turn's share: the screen draws between */
		c->in = xgrow(c->in, &c->cap, c->n + READ_CHUNK, 1);
		ssize_t r = recv(fd, c->in + c->n, c->cap - c->n, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			client_lost(c, r == 0 ? "the relay closed the connection" : strerror(errno));
			return;
		}
		c->n += (size_t)r;
		silence_arm(c);
		if (!frames_apply(c))
			return;
	}
}

struct relay_client *relay_client_new(struct loop *l, const char *path, const struct relay_client_ops *ops,
                                      void *ud, struct dc_err *err)
{
	struct sockaddr_un a;
	if (relay_addr(path, &a, err) < 0)
		return NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		dc_err_set(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct relay_client *c = xcalloc(1, sizeof *c);
	c->loop = l;
	c->ops = *ops;
	c->ud = ud;
	c->fd = fd;
	loop_fd_add(l, fd, LOOP_READ, on_fd, c);
	silence_arm(c);
	return c;
}

void relay_client_free(struct relay_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		loop_fd_del(c->loop, c->fd);
		close(c->fd);
	}
	loop_timer_cancel(c->loop, c->silence_timer);
	free(c->in);
	free(c);
}
