#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "supervise.h"
#include "attach.h"
#include "buf.h"
#include "diag.h"
#include "error.h"
#include "exit_cmd.h"
#include "ports.h"
#include "fdpass.h"
#include "health.h"
#include "jsonlog.h"
#include "spawn.h"
#include "spec.h"
#include "statefile.h"
#include "tty.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Past this much stdin waiting for the container, clients are not read: backpressure, not memory. */
#define STDIN_QUEUE_MAX (1u << 20)
/*
 * After the exit, output is read to EOF; but a descriptor passed out of the container could
 * hold a pipe open forever, so draining gives up after a quiet second or ten seconds in all.
 */
#define DRAIN_QUIET_MS 1000
#define DRAIN_MAX_MS 10000
/* How long clients get to read their EXIT. */
#define FLUSH_MS 5000

enum exec_outcome {
	EXEC_PENDING, /* START not sent yet, or sent and not answered */
	EXEC_DONE,
	EXEC_FAILED,
};

struct supervisor {
	const struct spec *spec;
	struct container *c;
	struct attach_server *srv;
	struct jsonlog *log;
	int sigfd;
	struct buf stdin_pending;
	bool stdin_close_wanted;
	bool start_sent;
	pid_t checker; /* the health checker, once the container runs */
	enum exec_outcome exec;
	char exec_error[1100];
	bool exited;
	int status;
	struct timespec finished;
	long long exited_ms;
	long long last_output_ms;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int input_fd(const struct supervisor *sv)
{
	if (!sv->spec->open_stdin)
		return -1;
	return sv->spec->tty ? sv->c->pty : sv->c->in;
}

static void flush_stdin(struct supervisor *sv)
{
	int fd = input_fd(sv);

	while (fd >= 0 && buf_len(&sv->stdin_pending)) {
		ssize_t n = write(fd, buf_head(&sv->stdin_pending), buf_len(&sv->stdin_pending));

		if (n > 0) {
			buf_consume(&sv->stdin_pending, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* Nobody reads the container's stdin any more (EPIPE) or the pty is gone (EIO): drop what waits. */
		buf_clear(&sv->stdin_pending);
		if (!sv->spec->tty)
			close_fd(&sv->c->in);
		break;
	}
	if (!sv->spec->tty && sv->stdin_close_wanted && !buf_len(&sv->stdin_pending))
		close_fd(&sv->c->in);
}

static void on_stdin(void *ctx, const char *p, size_t n)
{
	struct supervisor *sv = ctx;

	if (input_fd(sv) < 0 || (!sv->spec->tty && sv->stdin_close_wanted))
		return;
	buf_append(&sv->stdin_pending, p, n);
	flush_stdin(sv);
}

static void on_stdin_close(void *ctx)
{
	struct supervisor *sv = ctx;

	/* A pty has no end-of-file to give short of closing the terminal. */
	if (sv->spec->tty)
		return;
	sv->stdin_close_wanted = true;
	flush_stdin(sv);
}

static void on_resize(void *ctx, unsigned short rows, unsigned short cols)
{
	struct supervisor *sv = ctx;

	if (sv->c->pty >= 0)
		tty_set_size(sv->c->pty, rows, cols);
}

/* Every client that sent START hears how execve went; START after it went is answered at once. */
static void answer_starters(struct supervisor *sv)
{
	char text[32];

	if (sv->exec == EXEC_PENDING)
		return;
	for (struct attach_client *cl = sv->srv->clients; cl; cl = cl->next) {
		if (!cl->awaiting_started)
			continue;
		cl->awaiting_started = false;
		if (sv->exec == EXEC_FAILED) {
			attach_send(cl, FRAME_ERROR, sv->exec_error, strlen(sv->exec_error));
		} else {
			int n = snprintf(text, sizeof(text), "%d", (int)sv->c->pid);

			attach_send(cl, FRAME_STARTED, text, (size_t)n);
		}
	}
}

static void on_start(void *ctx, struct attach_client *cl)
{
	struct supervisor *sv = ctx;

	cl->awaiting_started = true;
	if (!sv->start_sent) {
		sv->start_sent = true;
		/* If the child is already gone the send fails; its exit is handled through SIGCHLD. */
		if (container_start(sv->c) < 0)
			diag("send START to container process: %s", strerror(errno));
		else if ((sv->checker = health_start(sv->spec, sv->c->pid)) < 0)
			diag("health checker: fork: %s", strerror(errno));
	}
	answer_starters(sv);
}

/* The child reports only a failed execve; end-of-file on the channel (CLOEXEC) means it succeeded. */
static void read_exec_outcome(struct supervisor *sv)
{
	char tag, text[sizeof(sv->exec_error)];
	int fd;
	int rc = fdpass_recv(sv->c->sync, &tag, text, sizeof(text), &fd);

	if (fd >= 0)
		close(fd);
	if (rc == 1 && tag != SYNC_ERROR)
		return;
	if (rc == 1) {
		snprintf(sv->exec_error, sizeof(sv->exec_error), "%s", text);
		sv->exec = EXEC_FAILED;
	} else {
		sv->exec = EXEC_DONE;
	}
	close_fd(&sv->c->sync);
	answer_starters(sv);
}

static void read_signals(struct supervisor *sv)
{
	struct signalfd_siginfo si;

	while (read(sv->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			if (!sv->exited)
				kill(sv->c->pid, (int)si.ssi_signo);
			continue;
		}
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);

			if (pid <= 0)
				break;
			if (pid == sv->c->pid && !sv->exited) {
				sv->exited = true;
				sv->status = status;
				clock_gettime(CLOCK_REALTIME, &sv->finished);
				sv->exited_ms = now_ms();
			}
		}
	}
}

static void end_of_output(struct supervisor *sv, int *fd, enum log_stream stream)
{
	jsonlog_flush(sv->log, stream);
	close_fd(fd);
}

static void read_output(struct supervisor *sv, int *fd, enum log_stream stream)
{
	char data[65536];
	ssize_t n;

	do
		n = read(*fd, data, sizeof(data));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		sv->last_output_ms = now_ms();
		jsonlog_write(sv->log, stream, data, (size_t)n);
		attach_broadcast(sv->srv, stream == LOG_STDOUT ? FRAME_STDOUT : FRAME_STDERR, data, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	/* 0 from a pipe, EIO from a pty master once the last slave is closed: either way the stream is over. */
	end_of_output(sv, fd, stream);
}

static bool output_open(const struct supervisor *sv)
{
	return sv->c->out >= 0 || sv->c->err >= 0 || sv->c->pty >= 0;
}

/* How long the loop may still wait for the drain: 0 once it is over, -1 before the exit. */
static int drain_left_ms(const struct supervisor *sv)
{
	long long now = now_ms();
	long long quiet_since = sv->last_output_ms > sv->exited_ms ? sv->last_output_ms : sv->exited_ms;
	long long left_max = sv->exited_ms + DRAIN_MAX_MS - now;
	long long left_quiet = quiet_since + DRAIN_QUIET_MS - now;
	long long left = left_max < left_quiet ? left_max : left_quiet;

	if (!sv->exited)
		return -1;
	return left > 0 ? (int)left : 0;
}

static bool finished(const struct supervisor *sv)
{
	if (!sv->exited)
		return false;
	if (drain_left_ms(sv) == 0)
		return true;
	return !output_open(sv) && (!sv->start_sent || sv->exec != EXEC_PENDING);
}

enum slot_kind { SLOT_SIGNAL, SLOT_SYNC, SLOT_OUT, SLOT_ERR, SLOT_PTY, SLOT_STDIN, SLOT_LISTEN, SLOT_CLIENT };

struct slots {
	struct pollfd *fds;
	enum slot_kind *kind;
	struct attach_client **client;
	size_t n, cap;
};

static void add_slot(struct slots *sl, int fd, short events, enum slot_kind kind, struct attach_client *cl)
{
	if (fd < 0)
		return;
	if (sl->n == sl->cap) {
		sl->cap = sl->cap ? sl->cap * 2 : 16;
		sl->fds = realloc(sl->fds, sl->cap * sizeof(*sl->fds));
		sl->kind = realloc(sl->kind, sl->cap * sizeof(*sl->kind));
		sl->client = realloc(sl->client, sl->cap * sizeof(*sl->client));
		if (!sl->fds || !sl->kind || !sl->client)
			abort();
	}
	sl->fds[sl->n] = (struct pollfd){ .fd = fd, .events = events };
	sl->kind[sl->n] = kind;
	sl->client[sl->n] = cl;
	sl->n++;
}

static void build_slots(struct supervisor *sv, struct slots *sl)
{
	bool room_for_input = buf_len(&sv->stdin_pending) < STDIN_QUEUE_MAX;
	short pty_events = POLLIN;

	sl->n = 0;
	add_slot(sl, sv->sigfd, POLLIN, SLOT_SIGNAL, NULL);
	if (sv->start_sent && sv->exec == EXEC_PENDING)
		add_slot(sl, sv->c->sync, POLLIN, SLOT_SYNC, NULL);
	add_slot(sl, sv->c->out, POLLIN, SLOT_OUT, NULL);
	add_slot(sl, sv->c->err, POLLIN, SLOT_ERR, NULL);
	if (buf_len(&sv->stdin_pending)) {
		if (sv->spec->tty)
			pty_events |= POLLOUT;
		else
			add_slot(sl, sv->c->in, POLLOUT, SLOT_STDIN, NULL);
	}
	add_slot(sl, sv->c->pty, pty_events, SLOT_PTY, NULL);
	add_slot(sl, sv->srv->fd, POLLIN, SLOT_LISTEN, NULL);
	for (struct attach_client *cl = sv->srv->clients; cl; cl = cl->next) {
		short events = 0;

		if (cl->dead)
			continue;
		if (room_for_input && !cl->input_closed)
			events |= POLLIN;
		if (buf_len(&cl->out))
			events |= POLLOUT;
		add_slot(sl, cl->fd, events, SLOT_CLIENT, cl);
	}
}

static void handle_slot(struct supervisor *sv, enum slot_kind kind, short revents, struct attach_client *cl)
{
	bool readable = revents & (POLLIN | POLLHUP | POLLERR);

	switch (kind) {
	case SLOT_SIGNAL:
		read_signals(sv);
		break;
	case SLOT_SYNC:
		if (readable)
			read_exec_outcome(sv);
		break;
	case SLOT_OUT:
		if (readable)
			read_output(sv, &sv->c->out, LOG_STDOUT);
		break;
	case SLOT_ERR:
		if (readable)
			read_output(sv, &sv->c->err, LOG_STDERR);
		break;
	case SLOT_PTY:
		if (revents & POLLOUT)
			flush_stdin(sv);
		if (readable && sv->c->pty >= 0)
			read_output(sv, &sv->c->pty, LOG_STDOUT);
		break;
	case SLOT_STDIN:
		flush_stdin(sv);
		break;
	case SLOT_LISTEN:
		attach_accept(sv->srv);
		break;
	case SLOT_CLIENT:
		if (cl->dead)
			break;
		if (revents & POLLOUT)
			attach_flush(cl);
		if (revents & POLLIN)
			attach_read(sv->srv, cl);
		else if (revents & (POLLHUP | POLLERR))
			attach_drop(cl);
		break;
	}
}

static void run_loop(struct supervisor *sv)
{
	struct slots sl = { 0 };

	while (!finished(sv)) {
		int n;

		build_slots(sv, &sl);
		n = poll(sl.fds, sl.n, drain_left_ms(sv));
		if (n < 0 && errno != EINTR) {
			/* Supervision cannot go on blind: end the container so that its end is still recorded. */
			diag("poll: %s; killing the container", strerror(errno));
			kill(sv->c->pid, SIGKILL);
			while (waitpid(sv->c->pid, &sv->status, 0) < 0 && errno == EINTR)
				;
			sv->exited = true;
			clock_gettime(CLOCK_REALTIME, &sv->finished);
			break;
		}
		for (size_t i = 0; n > 0 && i < sl.n; i++)
			if (sl.fds[i].revents)
				handle_slot(sv, sl.kind[i], sl.fds[i].revents, sl.client[i]);
		attach_reap(sv->srv);
	}
	free(sl.fds);
	free(sl.kind);
	free(sl.client);
}

/* Reads and drops what a client still sends after EXIT; false once it has hung up. */
static bool drain_client(struct attach_client *cl)
{
	char sink[4096];
	ssize_t n;

	do
		n = recv(cl->fd, sink, sizeof(sink), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

/*
 * After EXIT: give every client the chance to read what is queued for it, then end our side
 * and wait for the client to end its own. Closing first would make a client's late write (a
 * STDIN_CLOSE in flight) fail with EPIPE, and a client that tears its socket down on a write
 * error (Node's net.Socket) loses the output and EXIT still unread in its receive queue.
 */
static void flush_clients(struct attach_server *srv)
{
	long long until = now_ms() + FLUSH_MS;
	struct slots sl = { 0 };

	for (;;) {
		sl.n = 0;
		for (struct attach_client *cl = srv->clients; cl; cl = cl->next) {
			if (cl->dead)
				continue;
			if (buf_len(&cl->out)) {
				add_slot(&sl, cl->fd, POLLOUT, SLOT_CLIENT, cl);
				continue;
			}
			shutdown(cl->fd, SHUT_WR);
			add_slot(&sl, cl->fd, POLLIN, SLOT_CLIENT, cl);
		}
		long long left = until - now_ms();

		if (sl.n == 0 || left <= 0)
			break;
		if (poll(sl.fds, sl.n, (int)left) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < sl.n; i++) {
			struct attach_client *cl = sl.client[i];
			short rev = sl.fds[i].revents;

			if (rev & POLLOUT)
				attach_flush(cl);
			else if ((rev & POLLIN) && !drain_client(cl))
				attach_drop(cl);
			else if (rev & (POLLHUP | POLLERR))
				attach_drop(cl);
		}
	}
	free(sl.fds);
	free(sl.kind);
	free(sl.client);
	for (struct attach_client *cl = srv->clients; cl; cl = cl->next)
		attach_drop(cl);
	attach_reap(srv);
}

static void finish(struct supervisor *sv)
{
	struct shim_error e = { 0 };
	const char *error = NULL;
	char code[16];
	int n;

	if (sv->c->out >= 0)
		end_of_output(sv, &sv->c->out, LOG_STDOUT);
	if (sv->c->err >= 0)
		end_of_output(sv, &sv->c->err, LOG_STDERR);
	if (sv->c->pty >= 0)
		end_of_output(sv, &sv->c->pty, LOG_STDOUT);
	close_fd(&sv->c->in);
	close_fd(&sv->c->sync);
	jsonlog_close(sv->log);
	/* Checks end with the container; the last health state stays in its file for the engine. */
	if (sv->checker > 0) {
		kill(sv->checker, SIGKILL);
		waitpid(sv->checker, NULL, 0);
	}
	if (sv->exec == EXEC_FAILED) {
		/* The record keeps the message; the code is the exit code already. */
		error = strchr(sv->exec_error, ' ');
		error = error ? error + 1 : sv->exec_error;
	}
	if (sv->spec->exit_file && statefile_write_exit(sv->spec->exit_file, sv->status, &sv->finished, error, &e) < 0)
		diag("exit record: %s", e.msg);
	/* Free before the exit command, which may start the container again with a new shim that binds them. */
	ports_release(&sv->c->ports);
	/*
	 * The socket goes before the exit command runs: that command may let the engine start the
	 * container again, and a new shim's socket at the same path must not be unlinked by this one.
	 * Clients already waiting in the backlog are taken first, so they still hear EXIT.
	 */
	attach_accept(sv->srv);
	attach_unlisten(sv->srv);
	attach_prune(sv->srv);
	if (!attach_has_cleanup_client(sv->srv))
		exit_cmd_run(&sv->spec->exit_cmd, diag_fd());
	n = snprintf(code, sizeof(code), "%d", exit_code_of(sv->status));
	for (struct attach_client *cl = sv->srv->clients; cl; cl = cl->next)
		attach_send(cl, FRAME_EXIT, code, (size_t)n);
	flush_clients(sv->srv);
}

int supervise(const struct spec *s, struct container *c, struct attach_server *srv, struct jsonlog *log, int sigfd)
{
	struct supervisor sv = {
		.spec = s,
		.c = c,
		.srv = srv,
		.log = log,
		.sigfd = sigfd,
	};

	srv->ev = (struct attach_events){
		.ctx = &sv,
		.on_stdin = on_stdin,
		.on_stdin_close = on_stdin_close,
		.on_start = on_start,
		.on_resize = on_resize,
	};
	run_loop(&sv);
	finish(&sv);
	buf_free(&sv.stdin_pending);
	return 0;
}
