/* The terminal on stdin in raw mode, and put back as it was however the client ends. */
#ifndef BERTH_CLIENT_TERM_H
#define BERTH_CLIENT_TERM_H

#include <stdint.h>

/* 0 and the size of the terminal on fd; -1 when fd is no terminal. */
int term_size(int fd, uint16_t *rows, uint16_t *cols);

/* Does nothing when stdin is no terminal or is raw already. */
void term_raw(void);

/* Puts back what term_raw found; safe to call at any time, also from a signal handler. */
void term_restore(void);

#endif
