#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "relay.h"
#include "frame.h"
#include "term.h"
#include "winch.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define EXIT_BERTH 125
/* What the steps below answer while the command goes on; else an exit code (0-255) or RELAY_FALLBACK. */
#define GOING (-2)

struct relay {
	int sock;
	int winch;
	struct buf in;	 /* bytes from the service, not yet a whole frame */
	struct buf *out; /* frames for the service, not yet sent */
	bool first;	 /* no frame has arrived yet: F is still allowed */
	bool reading;	 /* after S, until stdin ends */
	bool stdin_done; /* stdin ended and the empty I is queued */
	bool send_failed; /* the service stopped reading: whatever it sent before closing is still read */
};

static int fail(const char *msg)
{
	/* Raw mode would print the message without its carriage return. */
	term_restore();
	fprintf(stderr, "berth: %s\n", msg);
	return EXIT_BERTH;
}

static int bad_frame(void)
{
	return fail("bad frame from the berth service");
}

/*
 * Writes all of p, waiting when fd is non-blocking (a terminal someone else set O_NONBLOCK on).
 * While it waits, nothing else moves: the service buffers, as a pipe writer blocks behind cat.
 */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int handle(struct relay *r, const struct frame *f)
{
	bool first = r->first;

	r->first = false;
	switch (f->type) {
	case 'F':
		return first && f->len == 0 ? RELAY_FALLBACK : bad_frame();
	case 'O':
		if (write_all(STDOUT_FILENO, f->payload, f->len) < 0) {
			char text[160];

			snprintf(text, sizeof(text), "cannot write to stdout: %s", strerror(errno));
			return fail(text);
		}
		return GOING;
	case 'E':
		/* Nowhere left to say that stderr failed. */
		if (write_all(STDERR_FILENO, f->payload, f->len) < 0) {
			term_restore();
			return EXIT_BERTH;
		}
		return GOING;
	case 'S':
		if (f->len != 0)
			return bad_frame();
		if (!r->stdin_done && !r->send_failed)
			r->reading = true;
		return GOING;
	case 'T':
		if (f->len != 1 || (f->payload[0] != 0 && f->payload[0] != 1))
			return bad_frame();
		if (f->payload[0])
			term_raw();
		else
			term_restore();
		return GOING;
	case 'X': {
		uint32_t code;

		if (f->len != 4 || (code = get_u32(f->payload)) > 255)
			return bad_frame();
		term_restore();
		return (int)code;
	}
	default:
		return bad_frame();
	}
}

static int handle_frames(struct relay *r)
{
	struct frame f;
	int got, rc;

	while ((got = frame_peek(&r->in, &f)) == 1) {
		rc = handle(r, &f);
		if (rc != GOING)
			return rc;
		buf_consume(&r->in, FRAME_HEADER + f.len);
	}
	return got < 0 ? bad_frame() : GOING;
}

static int receive(struct relay *r)
{
	char chunk[FRAME_MAX_DATA];
	ssize_t n = recv(r->sock, chunk, sizeof(chunk), MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return GOING;
	/* The service sends X, then closes: an end (or a reset) before X is a lost command. */
	if (n <= 0)
		return fail("lost the connection to the berth service");
	buf_append(&r->in, chunk, (size_t)n);
	return handle_frames(r);
}

static void send_queued(struct relay *r)
{
	ssize_t n = send(r->sock, buf_head(r->out), buf_len(r->out), MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n >= 0) {
		buf_consume(r->out, (size_t)n);
		return;
	}
	if (errno == EINTR || errno == EAGAIN)
		return;
	/* Reading goes on: the service's last frames, X among them, may still be waiting for us. */
	r->send_failed = true;
	r->reading = false;
	buf_clear(r->out);
}

static void read_stdin(struct relay *r)
{
	char chunk[FRAME_MAX_DATA];
	ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		frame_append(r->out, 'I', chunk, (uint32_t)n);
		return;
	}
	/* A read error (EIO from a terminal that went away) ends the input as end of file does. */
	frame_append(r->out, 'I', NULL, 0);
	r->reading = false;
	r->stdin_done = true;
}

static void send_size(struct relay *r)
{
	uint16_t rows, cols;
	struct buf payload = { 0 };

	winch_drain(r->winch);
	if (r->send_failed || !isatty(STDOUT_FILENO) || term_size(STDOUT_FILENO, &rows, &cols) < 0)
		return;
	put_u16(&payload, rows);
	put_u16(&payload, cols);
	frame_append(r->out, 'W', buf_head(&payload), (uint32_t)buf_len(&payload));
	buf_free(&payload);
}

int relay(int sock, int winch, struct buf *out)
{
	struct relay r = { .sock = sock, .winch = winch, .out = out, .first = true };
	enum { SOCK, WINCH, STDIN };
	int rc = GOING;

	while (rc == GOING) {
		struct pollfd p[3] = {
			[SOCK] = { .fd = sock, .events = POLLIN | (buf_len(out) ? POLLOUT : 0) },
			[WINCH] = { .fd = winch, .events = POLLIN },
			/* Input waits while a frame's worth is unsent: a slow service slows the reader down. */
			[STDIN] = { .fd = r.reading && buf_len(out) < FRAME_MAX_DATA ? STDIN_FILENO : -1, .events = POLLIN },
		};

		if (poll(p, 3, -1) < 0) {
			char text[160];

			if (errno == EINTR)
				continue;
			snprintf(text, sizeof(text), "poll: %s", strerror(errno));
			rc = fail(text);
			break;
		}
		if (p[SOCK].revents & (POLLIN | POLLHUP | POLLERR))
			rc = receive(&r);
		if (rc == GOING && (p[SOCK].revents & POLLOUT))
			send_queued(&r);
		if (rc == GOING && p[WINCH].revents)
			send_size(&r);
		if (rc == GOING && p[STDIN].revents)
			read_stdin(&r);
	}
	buf_free(&r.in);
	return rc;
}
