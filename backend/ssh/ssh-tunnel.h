/* ssh-tunnel.h — carrying local sockets through an SSH connection.
 *
 * struct ssh_fwd splices one local stream fd to one direct-tcpip channel
 * ("connect to host:port as seen from the SSH server"), pumped from the
 * poll loop in both directions through bounded buffers (64 KiB each way,
 * plus libssh's channel window) with back-pressure: a side whose peer
 * buffer is full is not read, so one slow channel never stalls another.
 *
 * struct ssh_tunnel listens on a private Unix socket
 * <dir>/.s.PGSQL.<port> in a fresh 0700 directory (under $XDG_RUNTIME_DIR,
 * else /tmp) and opens one ssh_fwd per accepted connection, so libpq
 * connects with host=<dir> port=<port> and its cancel requests, which open
 * their own connection, get their own channel. Nothing listens on TCP.
 *
 * Ownership: an ssh_fwd owns its fd (closed when it ends) and its channel;
 * it ends by itself on EOF from both sides, on an error, or when the
 * connection leaves UP, then calls its done callback once and frees itself
 * (the callback must not use the pointer afterwards). ssh_fwd_close ends it
 * early without the callback. An ssh_tunnel owns its listening socket, its
 * directory (removed by ssh_tunnel_close) and its forwards; it borrows the
 * ssh_conn, which must outlive it. */
#ifndef DCOPS_SSH_TUNNEL_H
#define DCOPS_SSH_TUNNEL_H

#include "ssh/ssh-session.h"
#include "util.h"

struct ssh_fwd;
/* err: NULL for a clean end (EOF both ways), else one line naming the
 * target, e.g. "the bastion refused a forward to 10.0.0.5:5432 (...)". */
typedef void (*ssh_fwd_done_cb)(struct ssh_fwd *f, const char *err, void *ud);

/* Takes fd (any stream socket or pipe end; made non-blocking). NULL with
 * err, fd closed, when the connection is not UP or host is invalid. */
struct ssh_fwd *ssh_fwd_open(struct ssh_conn *c, int fd, const char *host, int port, ssh_fwd_done_cb cb,
			     void *ud, struct dc_err *err);
void ssh_fwd_close(struct ssh_fwd *f);

struct ssh_tunnel;
/* A forward that failed (refused by the server, link lost); one line. */
typedef void (*ssh_tunnel_error_cb)(struct ssh_tunnel *t, const char *msg, void *ud);

/* Listens for connections to carry to db_host:db_port (as seen from the
 * SSH server). local_port only names the socket (0: db_port). db_host (and
 * ssh_fwd_open's host) may instead be an absolute Unix socket path on the
 * server, e.g. ".../run/.s.PGSQL.5432" (OpenSSH direct-streamlocal): a
 * database that listens on no TCP port is reached the same way. */
struct ssh_tunnel *ssh_tunnel_open(struct ssh_conn *c, const char *db_host, int db_port, int local_port,
				   ssh_tunnel_error_cb cb, void *ud, struct dc_err *err);
/* Ends every forward (libpq sees its connections drop), removes the
 * socket and the directory. */
void ssh_tunnel_close(struct ssh_tunnel *t);

const char *ssh_tunnel_dir(const struct ssh_tunnel *t);  /* libpq's host= */
int ssh_tunnel_port(const struct ssh_tunnel *t);         /* libpq's port= */
size_t ssh_tunnel_active(const struct ssh_tunnel *t);    /* open forwards */

#endif
