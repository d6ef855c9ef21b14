/* docker's json-file log: one JSON object per line of output, split at newlines and at 16 KiB. */
#ifndef BERTH_SHIM_JSONLOG_H
#define BERTH_SHIM_JSONLOG_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

enum log_stream { LOG_STDOUT, LOG_STDERR };

/* fd -1: no log file was asked for; writes are dropped. */
struct jsonlog {
	int fd;
	const char *path;
	unsigned long long size;     /* bytes in the current file */
	unsigned long long max_size; /* 0: never rotated */
	unsigned max_files;	     /* current file included */
	struct buf partial[2]; /* per stream: output since its last newline */
	struct buf entries;    /* the entries of one write(2) */
};

struct shim_error;

/* max_size 0: the file grows without bound; otherwise rotated before an entry would take it past max_size. */
int jsonlog_open(struct jsonlog *l, const char *path, unsigned long long max_size, unsigned max_files, struct shim_error *e);
void jsonlog_write(struct jsonlog *l, enum log_stream s, const char *p, size_t n);
/* The stream ended: a last line without its newline still goes out. */
void jsonlog_flush(struct jsonlog *l, enum log_stream s);
void jsonlog_close(struct jsonlog *l);

/* A JSON string body: escapes quotes, backslash and control chars; invalid UTF-8 bytes become U+FFFD, as Go's encoder does. */
void json_escape(struct buf *out, const char *p, size_t n);

/* RFC 3339 in UTC with nanoseconds: 2026-11-23T11:29:54.123456789Z. */
void rfc3339_nano(const struct timespec *ts, char *out, size_t len);

#endif
