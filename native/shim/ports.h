/*
 * Host ports reserved for a container's published ports: a socket bound (not listening) on each,
 * held while the container runs, so nothing else on the host can take the port that the
 * engine's DNAT rule sends to the container. As docker's port allocator, but held by the kernel.
 */
#ifndef BERTH_SHIM_PORTS_H
#define BERTH_SHIM_PORTS_H

#include <stddef.h>

struct spec;
struct shim_error;

struct port_holds {
	int *fds; /* O_CLOEXEC sockets, one per spec port */
	size_t n;
};

/* Binds every `port` of the spec in the shim's (the host's) namespace; on failure none is held. */
int ports_reserve(const struct spec *s, struct port_holds *h, struct shim_error *e);

/* Closes the sockets: the ports are free again. */
void ports_release(struct port_holds *h);

#endif
