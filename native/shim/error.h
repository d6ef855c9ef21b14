/* A setup failure on its way to the ready pipe or an ERROR frame. */
#ifndef BERTH_SHIM_ERROR_H
#define BERTH_SHIM_ERROR_H

#include <stddef.h>

/* docker's exit codes: the engine tells these three apart. */
enum {
	EXIT_SETUP = 125,
	EXIT_NOT_RUNNABLE = 126,
	EXIT_NOT_FOUND = 127,
};

struct shim_error {
	int code;
	char msg[1024];
};

/* Both return -1 so that a failing step can `return fail(...)`. The message is kept to one line. */
int fail(struct shim_error *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "WHAT PATH: errno text" (code 125), errno read at the call. */
int fail_errno(struct shim_error *e, const char *what, const char *path);

/* strerror spelled as Go spells it (lower case first letter): docker's users see errno that way. */
const char *errno_text(int err, char *buf, size_t len);

#endif
