/* The container process between clone and execve: namespaces, filesystem, user, then exec on START. */
#ifndef BERTH_SHIM_CONTAINER_INIT_H
#define BERTH_SHIM_CONTAINER_INIT_H

struct spec;
struct nsjoin;

/* What becomes the container's fds 0, 1, 2 (pipes or /dev/null; a pty replaces them later). */
struct child_stdio {
	int in;
	int out;
	int err;
};

/*
 * Runs in the cloned child; never returns. sync_fd is its end of the fdpass channel. join: for
 * an exec (spec exec_pid), the running container's namespaces to enter instead of building one.
 * netns_fd (or -1): the pinned network namespace of spec netns=PATH, joined first.
 */
__attribute__((noreturn)) void container_init(const struct spec *s, const struct child_stdio *io, int sync_fd,
					      const struct nsjoin *join, int netns_fd);

#endif
