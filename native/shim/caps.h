/* Capabilities of the container process: the bounding set, then effective/permitted, by raw syscalls. */
#ifndef BERTH_SHIM_CAPS_H
#define BERTH_SHIM_CAPS_H

#include <stdbool.h>
#include <stdint.h>

struct shim_error;

/* -1 for a name the shim does not know. */
int cap_from_name(const char *name);

/* Drops every capability not in keep from the bounding set. Needs CAP_SETPCAP: call before changing uid. */
int caps_limit_bounding(uint64_t keep, struct shim_error *e);

/* effective = permitted = caps for root, empty for any other uid; inheritable and ambient empty. */
int caps_apply(uint64_t caps, bool root, struct shim_error *e);

#endif
