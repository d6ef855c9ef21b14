/* The payload of the R frame: the whole command as the service needs it to run it in our place. */
#ifndef BERTH_CLIENT_REQUEST_H
#define BERTH_CLIENT_REQUEST_H

#include "../shim/buf.h"

/* args: the command line without the program name; envp: the whole environment. */
void request_build(struct buf *payload, int argc, char *const args[], char *const envp[], const char *cwd);

#endif
