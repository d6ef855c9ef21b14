/* A new network namespace starts with lo down; docker's containers have it up. */
#ifndef BERTH_SHIM_LOOPBACK_H
#define BERTH_SHIM_LOOPBACK_H

struct shim_error;

int loopback_up(struct shim_error *e);

#endif
