#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "diag.h"
#include "jsonlog.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One sink for the whole process; it is opened once and never closed. */
static int diag_sink = -1;

int diag_open(const char *spec_file)
{
	char path[PATH_MAX];
	const char *slash = strrchr(spec_file, '/');
	int n;

	if (slash)
		n = snprintf(path, sizeof(path), "%.*s/shim.log", (int)(slash - spec_file), spec_file);
	else
		n = snprintf(path, sizeof(path), "shim.log");
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	diag_sink = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	return diag_sink < 0 ? -1 : 0;
}

int diag_fd(void)
{
	return diag_sink;
}

void diag(const char *fmt, ...)
{
	char line[2048];
	char when[64];
	struct timespec now;
	va_list ap;
	int n;

	if (diag_sink < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	rfc3339_nano(&now, when, sizeof(when));
	n = snprintf(line, sizeof(line), "%s berth-shim[%d]: ", when, (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* Diagnostics are best effort: a full disk must not stop supervision. */
	if (write(diag_sink, line, (size_t)n) < 0)
		return;
}
