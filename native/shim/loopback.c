#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "loopback.h"
#include "error.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int loopback_up(struct shim_error *e)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd < 0)
		return fail_errno(e, "socket AF_INET for", "lo");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		fail_errno(e, "ioctl SIOCGIFFLAGS", "lo");
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		fail_errno(e, "ioctl SIOCSIFFLAGS", "lo");
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
