/* The poll loop between the service's socket and our stdin, stdout, stderr and terminal. */
#ifndef BERTH_CLIENT_RELAY_H
#define BERTH_CLIENT_RELAY_H

#include "../shim/buf.h"

/* relay's answer when the service's first frame is F: the caller runs the command itself. */
#define RELAY_FALLBACK (-1)

/*
 * out holds the R frame to send first. winch: winch_open's fd or -1. Returns the exit code the
 * client ends with (the service's, or 125 after printing why), or RELAY_FALLBACK.
 */
int relay(int sock, int winch, struct buf *out);

#endif
