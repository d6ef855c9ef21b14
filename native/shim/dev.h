/* The container's /dev: a fresh tmpfs with the few nodes docker gives, its own devpts, shm and mqueue. */
#ifndef BERTH_SHIM_DEV_H
#define BERTH_SHIM_DEV_H

#include <stdbool.h>

struct shim_error;

/* rootfd: the container root, before pivot_root. console: leave an empty /dev/console for the pty to be bound on. */
int dev_setup(int rootfd, bool console, struct shim_error *e);

#endif
