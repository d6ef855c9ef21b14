/* The attach socket: a unix stream listener and its clients, speaking PROTOCOL.md's frames. */
#ifndef BERTH_SHIM_ATTACH_H
#define BERTH_SHIM_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum frame_type {
	FRAME_STDIN = 0,
	FRAME_STDOUT = 1,
	FRAME_STDERR = 2,
	FRAME_HELLO = 10,
	FRAME_START = 11,
	FRAME_STDIN_CLOSE = 12,
	FRAME_RESIZE = 13,
	FRAME_STARTED = 20,
	FRAME_EXIT = 21,
	FRAME_ERROR = 22,
};

struct attach_client {
	int fd;
	bool hello;
	bool want_stdout;
	bool want_stderr;
	bool cleanup;	       /* HELLO "cleanup": this client does the engine's cleanup itself on EXIT */
	bool awaiting_started; /* sent START, has not heard STARTED or ERROR yet */
	bool input_closed;     /* shut down its sending side; it may still want output */
	bool dead;	       /* closed; freed by attach_reap */
	unsigned char header[8];
	size_t header_have;
	uint8_t type;	 /* of the frame being received, valid once the header is complete */
	uint32_t left;	 /* its payload bytes still to come */
	struct buf ctl;	 /* a control frame's payload, gathered whole */
	struct buf out;	 /* frames not yet taken by the socket */
	struct attach_client *next;
};

/* What clients ask of the container; STDIN payload arrives in pieces as it is received. */
struct attach_events {
	void *ctx;
	void (*on_stdin)(void *ctx, const char *p, size_t n);
	void (*on_stdin_close)(void *ctx);
	void (*on_start)(void *ctx, struct attach_client *c);
	void (*on_resize)(void *ctx, unsigned short rows, unsigned short cols);
};

struct attach_server {
	int fd;
	const char *path;
	struct attach_client *clients;
	struct attach_events ev;
};

struct shim_error;

int attach_listen(struct attach_server *srv, const char *path, struct shim_error *e);
/* Accepts every connection waiting. */
void attach_accept(struct attach_server *srv);
/* Closes the listener and removes the socket file: later clients find no socket. */
void attach_unlisten(struct attach_server *srv);

void attach_read(struct attach_server *srv, struct attach_client *c);
void attach_flush(struct attach_client *c);
void attach_send(struct attach_client *c, enum frame_type type, const void *p, size_t n);
/* To every client whose HELLO asked for the stream. */
void attach_broadcast(struct attach_server *srv, enum frame_type type, const void *p, size_t n);
void attach_drop(struct attach_client *c);
/* Drops the clients that hung up, without waiting: who is still there decides how the exit goes. */
void attach_prune(struct attach_server *srv);
/* A live client that said HELLO "cleanup". */
bool attach_has_cleanup_client(const struct attach_server *srv);
/* Frees the clients that were dropped. */
void attach_reap(struct attach_server *srv);

#endif
