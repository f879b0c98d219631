/* dcgm-exporter — a stand-in for NVIDIA's dcgm-exporter in tests: serves
 * the files DIR/NODE.prom (dcgm-exporter's text format, written by the
 * test, changed whenever it likes: it rewrites them whole with mv) over
 * HTTP/1.0 on 127.0.0.1 with libc sockets only.
 *
 *   dcgm-exporter DIR PORTFILE    binds a free port, writes it to PORTFILE
 *   GET /metrics                  every DIR/ *.prom, in name order (what a
 *                                 site Prometheus scrapes: one target)
 *   GET /n/NODE/metrics           DIR/NODE.prom alone (the exporters-direct
 *                                 mode: one URL per node); 404 when absent;
 *                                 while DIR/NODE.hang exists, the request is
 *                                 read and never answered (the connection
 *                                 held open, the others served meanwhile)
 *
 * One connection at a time, each closed after its answer; a request that
 * does not arrive in 2 s is dropped. Test scaffolding: small on purpose. */
#define _GNU_SOURCE
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char *dir;

static void append_file(char **buf, size_t *len, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		*buf = realloc(*buf, *len + n + 1);
		if (!*buf)
			abort();
		memcpy(*buf + *len, chunk, n);
		*len += n;
	}
	fclose(f);
}

static int only_prom(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 5 && strcmp(d->d_name + n - 5, ".prom") == 0;
}

static bool node_ok(const char *s, size_t n)
{
	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]))
			return false;
	return s[0] != '.';
}

static bool hangs(const char *node, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%.*s.hang", dir, (int)n, node);
	return access(path, F_OK) == 0;
}

/* false: the request is left unanswered (a hanging exporter). */
static bool answer(int fd, const char *req)
{
	char *body = NULL;
	size_t len = 0;
	int status = 200;
	if (strncmp(req, "GET /metrics ", 13) == 0) {
		struct dirent **list;
		int n = scandir(dir, &list, only_prom, alphasort);
		for (int i = 0; i < n; i++) {
			append_file(&body, &len, list[i]->d_name);
			free(list[i]);
		}
		free(n >= 0 ? list : NULL);
	} else if (strncmp(req, "GET /n/", 7) == 0) {
		const char *node = req + 7, *end = strstr(node, "/metrics ");
		char name[80];
		if (end && node_ok(node, (size_t)(end - node)) && hangs(node, (size_t)(end - node)))
			return false;
		if (end && node_ok(node, (size_t)(end - node))) {
			snprintf(name, sizeof name, "%.*s.prom", (int)(end - node), node);
			append_file(&body, &len, name);
		}
		status = body ? 200 : 404;
	} else {
		status = 404;
	}
	char head[256];
	int hn = snprintf(head, sizeof head,
	                  "HTTP/1.0 %d %s\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n"
	                  "Connection: close\r\n\r\n", status, status == 200 ? "OK" : "Not Found", len);
	if (write(fd, head, (size_t)hn) == hn)
		for (size_t off = 0; off < len;) {
			ssize_t w = write(fd, body + off, len - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	free(body);
	return true;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: dcgm-exporter DIR PORTFILE\n");
		return 2;
	}
	dir = argv[1];
	signal(SIGPIPE, SIG_IGN);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) < 0) {
		perror("dcgm-exporter: bind");
		return 1;
	}
	FILE *pf = fopen(argv[2], "w");
	if (!pf || fprintf(pf, "%d\n", ntohs(a.sin_port)) < 0 || fclose(pf) != 0) {
		perror("dcgm-exporter: port file");
		return 1;
	}
	int held[64], next = 0;   /* hanging connections, the oldest closed first */
	for (size_t i = 0; i < sizeof held / sizeof *held; i++)
		held[i] = -1;
	for (;;) {
		int fd = accept(s, NULL, NULL);
		if (fd < 0)
			continue;
		struct timeval tv = { 2, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		char req[8192];
		size_t n = 0;
		while (n < sizeof req - 1) {
			ssize_t r = read(fd, req + n, sizeof req - 1 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") && !answer(fd, req)) {
			if (held[next] >= 0)
				close(held[next]);
			held[next] = fd;
			next = (next + 1) % (int)(sizeof held / sizeof *held);
			continue;
		}
		close(fd);
	}
}
