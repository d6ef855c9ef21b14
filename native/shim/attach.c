#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "attach.h"
#include "diag.h"
#include "error.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* HELLO and RESIZE are a few words; anything longer is not a client of this protocol. */
#define CONTROL_MAX 4096
/* A client this far behind is dropped: a reader that stalls must never stall the container. */
#define CLIENT_BACKLOG_MAX (8u << 20)

int attach_listen(struct attach_server *srv, const char *path, struct shim_error *e)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rc;

	*srv = (struct attach_server){ .fd = -1, .path = path };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return fail_errno(e, "bind attach socket", path);
	}
	strcpy(addr.sun_path, path);
	/* A socket left by a shim that was killed: one shim per container, so it is ours to replace. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (srv->fd < 0)
		return fail_errno(e, "socket", path);
	/* The umask makes the socket 0600 from its first moment, not after a chmod. */
	old = umask(0177);
	rc = bind(srv->fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc < 0 || listen(srv->fd, 64) < 0) {
		fail_errno(e, rc < 0 ? "bind attach socket" : "listen on attach socket", path);
		close(srv->fd);
		srv->fd = -1;
		return -1;
	}
	return 0;
}

void attach_unlisten(struct attach_server *srv)
{
	if (srv->fd < 0)
		return;
	close(srv->fd);
	srv->fd = -1;
	unlink(srv->path);
}

void attach_accept(struct attach_server *srv)
{
	for (;;) {
		int fd = accept4(srv->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct attach_client *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			abort();
		c->fd = fd;
		c->next = srv->clients;
		srv->clients = c;
	}
}

void attach_drop(struct attach_client *c)
{
	if (c->dead)
		return;
	close(c->fd);
	c->fd = -1;
	c->dead = true;
}

void attach_reap(struct attach_server *srv)
{
	for (struct attach_client **pp = &srv->clients; *pp;) {
		struct attach_client *c = *pp;

		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		buf_free(&c->ctl);
		buf_free(&c->out);
		free(c);
	}
}

void attach_flush(struct attach_client *c)
{
	while (!c->dead && buf_len(&c->out)) {
		/* MSG_NOSIGNAL: a client gone away is an error to handle, not a SIGPIPE. */
		ssize_t n = send(c->fd, buf_head(&c->out), buf_len(&c->out), MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			attach_drop(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
}

void attach_send(struct attach_client *c, enum frame_type type, const void *p, size_t n)
{
	unsigned char header[8] = { (unsigned char)type, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
				    (unsigned char)(n >> 8), (unsigned char)n };

	if (c->dead)
		return;
	if (buf_len(&c->out) + sizeof(header) + n > CLIENT_BACKLOG_MAX) {
		diag("attach client more than %u bytes behind; disconnected", CLIENT_BACKLOG_MAX);
		attach_drop(c);
		return;
	}
	buf_append(&c->out, header, sizeof(header));
	buf_append(&c->out, p, n);
	attach_flush(c);
}

void attach_broadcast(struct attach_server *srv, enum frame_type type, const void *p, size_t n)
{
	for (struct attach_client *c = srv->clients; c; c = c->next)
		if ((type == FRAME_STDOUT && c->want_stdout) || (type == FRAME_STDERR && c->want_stderr))
			attach_send(c, type, p, n);
}

void attach_prune(struct attach_server *srv)
{
	for (struct attach_client *c = srv->clients; c; c = c->next) {
		struct pollfd p = { .fd = c->fd, .events = 0 };

		if (!c->dead && poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR)))
			attach_drop(c);
	}
	attach_reap(srv);
}

bool attach_has_cleanup_client(const struct attach_server *srv)
{
	for (const struct attach_client *c = srv->clients; c; c = c->next)
		if (!c->dead && c->cleanup)
			return true;
	return false;
}

static void hello(struct attach_client *c, char *words)
{
	for (char *save = NULL, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (strcmp(w, "stdout") == 0)
			c->want_stdout = true;
		else if (strcmp(w, "stderr") == 0)
			c->want_stderr = true;
		else if (strcmp(w, "cleanup") == 0)
			c->cleanup = true;
	}
	c->hello = true;
}

static void control_frame(struct attach_server *srv, struct attach_client *c)
{
	char text[CONTROL_MAX + 1];
	size_t n = buf_len(&c->ctl);
	unsigned rows, cols;

	memcpy(text, buf_head(&c->ctl), n);
	text[n] = '\0';
	buf_clear(&c->ctl);
	switch (c->type) {
	case FRAME_HELLO:
		hello(c, text);
		break;
	case FRAME_START:
		srv->ev.on_start(srv->ev.ctx, c);
		break;
	case FRAME_STDIN_CLOSE:
		srv->ev.on_stdin_close(srv->ev.ctx);
		break;
	case FRAME_RESIZE:
		if (sscanf(text, "%u %u", &rows, &cols) == 2 && rows <= 0xffff && cols <= 0xffff)
			srv->ev.on_resize(srv->ev.ctx, (unsigned short)rows, (unsigned short)cols);
		break;
	default:
		/* Frame types this shim does not know are skipped: a newer engine may send more. */
		break;
	}
}

/* Takes what it can of one frame from p; returns the bytes used. */
static size_t consume(struct attach_server *srv, struct attach_client *c, const char *p, size_t n)
{
	size_t used = 0;

	if (c->header_have < sizeof(c->header)) {
		size_t take = sizeof(c->header) - c->header_have;

		if (take > n)
			take = n;
		memcpy(c->header + c->header_have, p, take);
		c->header_have += take;
		used = take;
		if (c->header_have < sizeof(c->header))
			return used;
		c->type = c->header[0];
		c->left = (uint32_t)c->header[4] << 24 | (uint32_t)c->header[5] << 16 | (uint32_t)c->header[6] << 8 |
			  c->header[7];
		if ((!c->hello && c->type != FRAME_HELLO) || (c->type != FRAME_STDIN && c->left > CONTROL_MAX)) {
			attach_drop(c);
			return n;
		}
	}
	size_t take = n - used < c->left ? n - used : c->left;

	if (c->type == FRAME_STDIN)
		srv->ev.on_stdin(srv->ev.ctx, p + used, take);
	else
		buf_append(&c->ctl, p + used, take);
	c->left -= (uint32_t)take;
	used += take;
	if (c->left == 0) {
		c->header_have = 0;
		if (c->type != FRAME_STDIN)
			control_frame(srv, c);
	}
	return used;
}

void attach_read(struct attach_server *srv, struct attach_client *c)
{
	char data[65536];
	ssize_t n;

	do
		n = recv(c->fd, data, sizeof(data), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n < 0) {
		attach_drop(c);
		return;
	}
	/* Half-closed: nothing more will come, but output and EXIT still go out until the peer hangs up. */
	if (n == 0) {
		c->input_closed = true;
		return;
	}
	for (size_t at = 0; at < (size_t)n && !c->dead;)
		at += consume(srv, c, data + at, (size_t)n - at);
}
