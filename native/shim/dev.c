#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dev.h"
#include "error.h"
#include "securepath.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct {
	const char *name;
	unsigned int major, minor;
} dev_nodes[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
	const char *name;
	const char *target;
} dev_links[] = {
	{ "ptmx", "pts/ptmx" },		 { "fd", "/proc/self/fd" },	    { "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" }, { "core", "/proc/kcore" },
};

/* Mounts a fresh filesystem on DIR below the new /dev tmpfs (which holds no symlinks, so a plain path is safe). */
static int mount_below(int devfd, const char *dir, mode_t mode, const char *source, const char *type,
		       unsigned long flags, const char *data, struct shim_error *e)
{
	char target[64];

	if (mkdirat(devfd, dir, mode) < 0 || fchmodat(devfd, dir, mode, 0) < 0)
		return fail_errno(e, "mkdir /dev/", dir);
	snprintf(target, sizeof(target), "/proc/self/fd/%d/%s", devfd, dir);
	if (mount(source, target, type, flags, data) < 0) {
		char where[64];

		snprintf(where, sizeof(where), "/dev/%s", dir);
		return fail_errno(e, type, where);
	}
	return 0;
}

static int populate(int devfd, bool console, struct shim_error *e)
{
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		const char *name = dev_nodes[i].name;

		/* fchmodat after mknodat: the mode must be 0666 whatever the umask. */
		if (mknodat(devfd, name, S_IFCHR | 0666, makedev(dev_nodes[i].major, dev_nodes[i].minor)) < 0 ||
		    fchmodat(devfd, name, 0666, 0) < 0)
			return fail_errno(e, "mknod /dev/", name);
	}
	if (mount_below(devfd, "pts", 0755, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
			"newinstance,ptmxmode=0666,mode=0620,gid=5", e) < 0 ||
	    mount_below(devfd, "shm", 01777, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			"mode=1777,size=65536k", e) < 0 ||
	    mount_below(devfd, "mqueue", 0755, "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0)
			return fail_errno(e, "symlink /dev/", dev_links[i].name);
	if (console) {
		int fd = openat(devfd, "console", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd < 0)
			return fail_errno(e, "create", "/dev/console");
		close(fd);
	}
	return 0;
}

int dev_setup(int rootfd, bool console, struct shim_error *e)
{
	char target[32];
	int mountpoint = root_mkdirs(rootfd, "/dev", 0755);
	int devfd, rc;

	if (mountpoint < 0)
		return fail_errno(e, "mkdir", "/dev");
	rc = mount("tmpfs", fd_path(mountpoint, target), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	close(mountpoint);
	if (rc < 0)
		return fail_errno(e, "mount tmpfs on", "/dev");
	/* Opened again, the path now crosses into the new tmpfs. */
	devfd = root_open(rootfd, "/dev", O_PATH | O_DIRECTORY);
	if (devfd < 0)
		return fail_errno(e, "open", "/dev");
	rc = populate(devfd, console, e);
	close(devfd);
	return rc;
}
