/* SIGWINCH as a readable fd for the poll loop (a self-pipe). */
#ifndef BERTH_CLIENT_WINCH_H
#define BERTH_CLIENT_WINCH_H

/* The read end, or -1 when no pipe could be made (resizes then go unreported). */
int winch_open(void);

/* Empties the pipe: any number of signals since the last look is one resize. */
void winch_drain(int fd);

#endif
