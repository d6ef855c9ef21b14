#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ports.h"
#include "error.h"
#include "spec.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int bind_one(const struct port_spec *p, struct shim_error *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->port), .sin_addr = p->addr };
	int fd = socket(AF_INET, p->type | SOCK_CLOEXEC, 0);
	char text[128];

	if (fd < 0)
		return fail_errno(e, "socket for port", p->ip);
	/* No SO_REUSEADDR: a port some other socket is bound to must fail here, not be shared. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	if (errno == EADDRINUSE)
		fail(e, EXIT_SETUP, "Bind for %s:%u failed: port is already allocated", p->ip, p->port);
	else
		fail(e, EXIT_SETUP, "Bind for %s:%u failed: %s", p->ip, p->port, errno_text(errno, text, sizeof(text)));
	close(fd);
	return -1;
}

int ports_reserve(const struct spec *s, struct port_holds *h, struct shim_error *e)
{
	*h = (struct port_holds){ 0 };
	if (s->nports == 0)
		return 0;
	h->fds = calloc(s->nports, sizeof(*h->fds));
	if (!h->fds)
		abort();
	for (size_t i = 0; i < s->nports; i++) {
		int fd = bind_one(&s->ports[i], e);

		if (fd < 0) {
			ports_release(h);
			return -1;
		}
		h->fds[h->n++] = fd;
	}
	return 0;
}

void ports_release(struct port_holds *h)
{
	for (size_t i = 0; i < h->n; i++)
		close(h->fds[i]);
	free(h->fds);
	*h = (struct port_holds){ 0 };
}
