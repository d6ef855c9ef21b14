/*
 * The channel between the shim and its container child: a SOCK_SEQPACKET pair carrying one tag
 * byte, optional text and at most one fd (SCM_RIGHTS). The child's end is O_CLOEXEC, so a
 * successful execve shows up at the shim as end-of-file.
 */
#ifndef BERTH_SHIM_FDPASS_H
#define BERTH_SHIM_FDPASS_H

#include <stddef.h>

enum sync_tag {
	SYNC_CGROUPS = 'C', /* shim -> child: the pid is in every cgroup */
	SYNC_START = 'S',   /* shim -> child: execve now */
	SYNC_TTY = 'T',	    /* child -> shim: the pty master, as the fd */
	SYNC_READY = 'R',   /* child -> shim: set up, waiting for START */
	SYNC_ERROR = 'E',   /* child -> shim: "CODE MESSAGE", then the child exits */
};

/* text may be NULL; fd -1 sends none. */
int fdpass_send(int sock, char tag, const char *text, int fd);

/*
 * 1: a message (text NUL-terminated, *fd the received fd or -1, O_CLOEXEC); 0: end-of-file;
 * -1: error with errno.
 */
int fdpass_recv(int sock, char *tag, char *text, size_t cap, int *fd);

#endif
