/* The shim's side of creating the container process: clone, stdio, cgroups, the setup handshake. */
#ifndef BERTH_SHIM_SPAWN_H
#define BERTH_SHIM_SPAWN_H

#include <sys/types.h>

#include "ports.h"

struct spec;
struct shim_error;

/* Every fd here belongs to the shim and is O_CLOEXEC; -1 when absent or closed. */
struct container {
	pid_t pid;
	int sync; /* open until the outcome of execve is known */
	int out;  /* read ends of the stdout and stderr pipes (no tty) */
	int err;
	int in;	  /* write end of the stdin pipe (no tty, stdin=1) */
	int pty;  /* pty master (tty): output and input both */
	struct port_holds ports; /* the host ports held for it while it runs */
};

/*
 * Creates the container process and waits until it is set up and blocked before execve.
 * On failure nothing is left: the child is killed and reaped, every fd closed.
 */
int container_spawn(const struct spec *s, struct container *c, struct shim_error *e);

/* Kills and reaps the child, closes every fd and frees its ports: nothing of the container is left. */
void container_destroy(struct container *c);

/* Lets the child execve. */
int container_start(struct container *c);

#endif
