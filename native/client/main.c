/*
 * berth-client ENTRY ARGS...: hands a berth command line to a warm `berth system service` and
 * relays its standard streams (PROTOCOL.md). Without a service that takes the command it runs
 * `node ENTRY ARGS...` in its place, so berth works the same with or without one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "frame.h"
#include "relay.h"
#include "request.h"
#include "service_socket.h"
#include "term.h"
#include "winch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* argv is ours: {berth-client, ENTRY, ARGS..., NULL} becomes {node, ENTRY, ARGS..., NULL}. */
static void run_node(char *argv[]) __attribute__((noreturn));
static void run_node(char *argv[])
{
	static char node[] = "node";

	argv[0] = node;
	execvp(node, argv);
	fprintf(stderr, "berth: cannot run node: %s\n", strerror(errno));
	exit(127);
}

/*
 * With fd 0, 1 or 2 closed, the socket could land there and take stdout's bytes. /dev/null
 * fills the gap; O_CLOEXEC closes it again for node, which then starts as it would have.
 */
static void fill_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			open("/dev/null", O_RDWR | O_CLOEXEC);
}

int main(int argc, char *argv[])
{
	struct buf request = { 0 }, out = { 0 };
	int nargs = argc - 2, winch, sock, code;
	char **args = argv + 2, *cwd;

	if (argc < 2) {
		fputs("usage: berth-client ENTRY [ARG...]\n", stderr);
		return 2;
	}
	fill_std_fds();
	/* Without a working directory node fails as it always has; the service could not stand in for it. */
	cwd = getcwd(NULL, 0);
	if (!cwd)
		run_node(argv);
	/* Caught before the size is measured, so a resize in between is still reported. */
	winch = winch_open();
	request_build(&request, nargs, args, environ, cwd);
	free(cwd);
	/* An environment too big for one frame (it can reach ARG_MAX) is node's to run. */
	if (buf_len(&request) > FRAME_MAX_PAYLOAD)
		run_node(argv);
	sock = service_connect(nargs, args);
	if (sock < 0)
		run_node(argv);
	frame_append(&out, 'R', buf_head(&request), (uint32_t)buf_len(&request));
	buf_free(&request);
	code = relay(sock, winch, &out);
	if (code == RELAY_FALLBACK)
		run_node(argv);
	term_restore();
	return code;
}
