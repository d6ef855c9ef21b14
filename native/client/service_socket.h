/* Finding and connecting to RUNROOT/cli.sock, the socket of `berth system service`. */
#ifndef BERTH_CLIENT_SERVICE_SOCKET_H
#define BERTH_CLIENT_SERVICE_SOCKET_H

/* args: the command line without the program name. A connected SOCK_CLOEXEC fd, or -1: no service. */
int service_connect(int argc, char *const args[]);

#endif
