/*
 * The container's health check (docker's HEALTHCHECK), run without a daemon: a process of
 * the shim's runs each check in the container with the exec join (nsjoin), kills it at the
 * timeout, and keeps docker's State.Health in the spec's health_file.
 */
#ifndef BERTH_SHIM_HEALTH_H
#define BERTH_SHIM_HEALTH_H

#include <sys/types.h>

struct spec;

/*
 * Starts the checker for the container process pid, once it runs; returns the checker's pid
 * (the shim's child, it dies with the shim), 0 when the spec has no health check, -1 on error.
 */
pid_t health_start(const struct spec *s, pid_t container);

#endif
