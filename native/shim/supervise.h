/* The shim's life after "ok": moves bytes, forwards signals, and ends the container's story. */
#ifndef BERTH_SHIM_SUPERVISE_H
#define BERTH_SHIM_SUPERVISE_H

struct spec;
struct container;
struct attach_server;
struct jsonlog;

/*
 * Runs until the container has exited and its output is drained; then writes the exit record,
 * runs the exit command, sends EXIT to every client and removes the socket. Returns the shim's
 * exit status. sigfd: a signalfd for SIGCHLD and the signals to forward.
 */
int supervise(const struct spec *s, struct container *c, struct attach_server *srv, struct jsonlog *log, int sigfd);

#endif
