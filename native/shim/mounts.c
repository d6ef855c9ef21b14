#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mounts.h"
#include "buf.h"
#include "dev.h"
#include "error.h"
#include "securepath.h"
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* mount(2) takes at most a page of options; longer lowerdir lists need fsconfig's lowerdir+. */
#define MOUNT_DATA_MAX 4095

static bool fits_mount_data(const char *p)
{
	/* overlay splits its options at ',' and lowerdir at ':'. */
	return !strpbrk(p, ",:");
}

/* Builds the classic option string; false if mount(2) cannot express it. */
static bool overlay_options(const struct spec *s, struct buf *out)
{
	buf_appends(out, "lowerdir=");
	for (size_t i = 0; i < s->lower.n; i++) {
		if (!fits_mount_data(s->lower.v[i]))
			return false;
		if (i)
			buf_appends(out, ":");
		buf_appends(out, s->lower.v[i]);
	}
	if (!fits_mount_data(s->upper) || !fits_mount_data(s->work))
		return false;
	buf_appends(out, ",upperdir=");
	buf_appends(out, s->upper);
	buf_appends(out, ",workdir=");
	buf_appends(out, s->work);
	buf_append(out, "", 1);
	return buf_len(out) <= MOUNT_DATA_MAX;
}

/* The new mount API: each layer its own lowerdir+ (Linux 6.8), so the count of layers has no limit. */
static int overlay_fsconfig(const struct spec *s, struct shim_error *e)
{
	int fs = fsopen("overlay", FSOPEN_CLOEXEC);
	int mnt = -1;
	int rc = -1;

	if (fs < 0)
		return fail_errno(e, "fsopen overlay for", s->rootfs);
	for (size_t i = 0; i < s->lower.n; i++)
		if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", s->lower.v[i], 0) < 0) {
			fail_errno(e, "fsconfig overlay lowerdir+", s->lower.v[i]);
			goto out;
		}
	if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", s->upper, 0) < 0) {
		fail_errno(e, "fsconfig overlay upperdir", s->upper);
		goto out;
	}
	if (fsconfig(fs, FSCONFIG_SET_STRING, "workdir", s->work, 0) < 0) {
		fail_errno(e, "fsconfig overlay workdir", s->work);
		goto out;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		fail_errno(e, "fsconfig overlay create for", s->rootfs);
		goto out;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0) {
		fail_errno(e, "fsmount overlay for", s->rootfs);
		goto out;
	}
	if (move_mount(mnt, "", AT_FDCWD, s->rootfs, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		fail_errno(e, "move_mount overlay to", s->rootfs);
		goto out;
	}
	rc = 0;
out:
	if (mnt >= 0)
		close(mnt);
	close(fs);
	return rc;
}

static int mount_overlay(const struct spec *s, struct shim_error *e)
{
	struct buf opts = { 0 };
	int rc;

	if (!overlay_options(s, &opts)) {
		buf_free(&opts);
		return overlay_fsconfig(s, e);
	}
	rc = mount("overlay", s->rootfs, "overlay", 0, buf_head(&opts));
	buf_free(&opts);
	if (rc < 0)
		return fail_errno(e, "mount overlay on", s->rootfs);
	return 0;
}

/* Mounts a fresh filesystem on a directory of the image, created if the image lacks it. */
static int mount_fresh(int rootfd, const char *dir, const char *type, unsigned long flags, struct shim_error *e)
{
	char target[32];
	int fd = root_mkdirs(rootfd, dir, 0755);
	int rc;

	if (fd < 0)
		return fail_errno(e, "mkdir", dir);
	rc = mount(type, fd_path(fd, target), type, flags, NULL);
	close(fd);
	if (rc < 0) {
		char what[32];

		snprintf(what, sizeof(what), "mount %s on", type);
		return fail_errno(e, what, dir);
	}
	return 0;
}

static int set_readonly_fd(int fd, bool recursive)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	return mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr));
}

static int bind_one(int rootfd, const struct bind_mount *b, struct shim_error *e)
{
	char target[32];
	struct stat st;
	int fd, rc;

	if (stat(b->src, &st) < 0)
		return fail_errno(e, "stat bind source", b->src);
	fd = S_ISDIR(st.st_mode) ? root_mkdirs(rootfd, b->dst, 0755) : root_mkfile(rootfd, b->dst);
	if (fd < 0)
		return fail_errno(e, "create bind destination", b->dst);
	rc = mount(b->src, fd_path(fd, target), NULL, MS_BIND | MS_REC, NULL);
	close(fd);
	if (rc < 0)
		return fail_errno(e, "bind mount", b->dst);
	if (!b->readonly)
		return 0;
	/* The earlier fd still names the covered file; opened again, the path reaches the new mount. */
	fd = root_open(rootfd, b->dst, O_PATH);
	if (fd < 0)
		return fail_errno(e, "open bind destination", b->dst);
	rc = set_readonly_fd(fd, true);
	close(fd);
	if (rc < 0)
		return fail_errno(e, "mount_setattr read-only", b->dst);
	return 0;
}

static int tmpfs_one(int rootfd, const struct tmpfs_mount *t, struct shim_error *e)
{
	char target[32];
	int fd = root_mkdirs(rootfd, t->dst, 0755);
	int rc;

	if (fd < 0)
		return fail_errno(e, "create tmpfs destination", t->dst);
	rc = mount("tmpfs", fd_path(fd, target), "tmpfs", t->flags, t->data[0] ? t->data : NULL);
	close(fd);
	if (rc < 0)
		return fail_errno(e, "mount tmpfs on", t->dst);
	return 0;
}

int mounts_build_rootfs(const struct spec *s, struct shim_error *e)
{
	int rootfd, rc = -1;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail_errno(e, "mount --make-rprivate", "/");
	if (mount_overlay(s, e) < 0)
		return -1;
	rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return fail_errno(e, "open", s->rootfs);
	if (mount_fresh(rootfd, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, e) < 0 ||
	    mount_fresh(rootfd, "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | (s->sysfs_rw ? 0 : MS_RDONLY), e) < 0 ||
	    dev_setup(rootfd, s->tty, e) < 0)
		goto out;
	for (size_t i = 0; i < s->nbinds; i++)
		if (bind_one(rootfd, &s->binds[i], e) < 0)
			goto out;
	for (size_t i = 0; i < s->ntmpfs; i++)
		if (tmpfs_one(rootfd, &s->tmpfs[i], e) < 0)
			goto out;
	rc = 0;
out:
	close(rootfd);
	return rc;
}

int mounts_pivot(const char *rootfs, struct shim_error *e)
{
	/* pivot_root(".", ".") stacks the old root on top of the new one; detaching "." then leaves only the container's. */
	if (chdir(rootfs) < 0)
		return fail_errno(e, "chdir", rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail_errno(e, "pivot_root", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return fail_errno(e, "umount2 old root of", rootfs);
	if (chdir("/") < 0)
		return fail_errno(e, "chdir", "/");
	return 0;
}

int mounts_mask(const struct strv *paths, struct shim_error *e)
{
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		struct stat st;

		if (stat(p, &st) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return fail_errno(e, "stat masked path", p);
		}
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", p, "tmpfs", MS_RDONLY, NULL) < 0)
				return fail_errno(e, "mount tmpfs to mask", p);
		} else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
			return fail_errno(e, "bind /dev/null to mask", p);
		}
	}
	return 0;
}

int mounts_readonly(const struct strv *paths, struct shim_error *e)
{
	for (size_t i = 0; i < paths->n; i++) {
		const char *p = paths->v[i];
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return fail_errno(e, "bind mount", p);
		}
		/* mount_setattr keeps the nosuid/nodev/noexec the path had (a remount would have to restate them). */
		if (mount_setattr(AT_FDCWD, p, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			return fail_errno(e, "mount_setattr read-only", p);
	}
	return 0;
}

int mounts_readonly_root(struct shim_error *e)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	/* Not recursive: docker's --read-only leaves /dev, /proc, /dev/shm and volumes writable. */
	if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof(attr)) < 0)
		return fail_errno(e, "mount_setattr read-only", "/");
	return 0;
}
