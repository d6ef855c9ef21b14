/* The container's filesystem: overlay root, proc, sys, /dev, binds, pivot_root, masks, read-only paths. */
#ifndef BERTH_SHIM_MOUNTS_H
#define BERTH_SHIM_MOUNTS_H

struct spec;
struct strv;
struct shim_error;

/*
 * In the container's new mount namespace, before pivot_root: makes / private so nothing
 * propagates to the host, mounts the overlay on spec->rootfs, then proc, sys, /dev and the binds.
 */
int mounts_build_rootfs(const struct spec *s, struct shim_error *e);

/* pivot_root into rootfs and detach the host's tree from the container's view. */
int mounts_pivot(const char *rootfs, struct shim_error *e);

/* After pivot_root: paths are the container's. */
int mounts_mask(const struct strv *paths, struct shim_error *e);
int mounts_readonly(const struct strv *paths, struct shim_error *e);
int mounts_readonly_root(struct shim_error *e);

#endif
