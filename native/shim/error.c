#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The ready pipe protocol is line based: a path with a newline must not split the report. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int fail(struct shim_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	one_line(e->msg);
	e->code = code;
	return -1;
}

const char *errno_text(int err, char *buf, size_t len)
{
	const char *s = strerror_r(err, buf, len);

	if (s != buf)
		snprintf(buf, len, "%s", s);
	buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

int fail_errno(struct shim_error *e, const char *what, const char *path)
{
	int err = errno;
	char text[128];

	errno_text(err, text, sizeof(text));
	if (path)
		return fail(e, EXIT_SETUP, "%s %s: %s", what, path, text);
	return fail(e, EXIT_SETUP, "%s: %s", what, text);
}
