#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "jsonlog.h"
#include "error.h"
#include "diag.h"
#include "logrotate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* docker's json-file splits longer lines into partial entries of this size. */
#define LINE_MAX_BYTES (16 * 1024)

static const char *const stream_names[] = { "stdout", "stderr" };

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

int jsonlog_open(struct jsonlog *l, const char *path, unsigned long long max_size, unsigned max_files, struct shim_error *e)
{
	struct stat st;

	*l = (struct jsonlog){ .path = path, .max_size = max_size, .max_files = max_files };
	l->fd = open_log(path);
	if (l->fd < 0)
		return fail_errno(e, "open log", path);
	/* A restarted container appends to the file its last run left. */
	if (fstat(l->fd, &st) == 0)
		l->size = (unsigned long long)st.st_size;
	return 0;
}

void rfc3339_nano(const struct timespec *ts, char *out, size_t len)
{
	struct tm tm;
	char secs[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%09ldZ", secs, ts->tv_nsec);
}

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, up to U+10FFFF), 0 if invalid. */
static size_t utf8_valid(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void json_escape(struct buf *out, const char *data, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)data;
	size_t run = 0; /* bytes copied as they are, flushed in one append */

	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		char esc[7];
		const char *rep = NULL;
		size_t len = 1;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			run++;
			i++;
			continue;
		}
		if (c >= 0x80) {
			len = utf8_valid(p + i, n - i);
			if (len) {
				run += len;
				i += len;
				continue;
			}
			len = 1;
			rep = "\\ufffd";
		} else if (c == '"') {
			rep = "\\\"";
		} else if (c == '\\') {
			rep = "\\\\";
		} else if (c == '\n') {
			rep = "\\n";
		} else if (c == '\r') {
			rep = "\\r";
		} else if (c == '\t') {
			rep = "\\t";
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = '\0';
			rep = esc;
		}
		buf_append(out, p + i - run, run);
		run = 0;
		buf_appends(out, rep);
		i += len;
	}
	buf_append(out, p + n - run, run);
}

/* Writes the first n queued bytes; what the disk refuses is dropped with them. */
static void write_out(struct jsonlog *l, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(l->fd, buf_head(&l->entries) + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		/* A log that cannot be written (disk full) must not stop the container's output from flowing. */
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	l->size += done;
	buf_consume(&l->entries, n);
}

static void rotate(struct jsonlog *l)
{
	int fd;

	if (log_rotate(l->path, l->max_files) < 0) {
		diag("rotate log %s: %s", l->path, strerror(errno));
		return;
	}
	fd = open_log(l->path);
	if (fd < 0) {
		/* Keep writing to the file just moved aside rather than losing the output. */
		diag("reopen log %s: %s", l->path, strerror(errno));
		return;
	}
	close(l->fd);
	l->fd = fd;
	l->size = 0;
}

static void add_entry(struct jsonlog *l, enum log_stream s, const char *p, size_t n)
{
	struct timespec now;
	char when[64];
	size_t before = buf_len(&l->entries);

	clock_gettime(CLOCK_REALTIME, &now);
	rfc3339_nano(&now, when, sizeof(when));
	buf_appends(&l->entries, "{\"log\":\"");
	json_escape(&l->entries, p, n);
	buf_appends(&l->entries, "\",\"stream\":\"");
	buf_appends(&l->entries, stream_names[s]);
	buf_appends(&l->entries, "\",\"time\":\"");
	buf_appends(&l->entries, when);
	buf_appends(&l->entries, "\"}\n");
	/* Entries are never split across files: one bigger than max_size gets a file of its own. */
	if (l->max_size && l->size + buf_len(&l->entries) > l->max_size && l->size + before > 0) {
		write_out(l, before);
		rotate(l);
	}
}

/* Where to cut a line that is too long: not inside a UTF-8 sequence, so both halves stay valid. */
static size_t split_point(const unsigned char *p)
{
	size_t cut = LINE_MAX_BYTES;

	for (size_t back = 0; back < 3 && (p[cut - back] & 0xc0) == 0x80; back++)
		if ((p[cut - back - 1] & 0xc0) == 0xc0)
			return cut - back - 1;
	return cut;
}

static void write_entries(struct jsonlog *l)
{
	write_out(l, buf_len(&l->entries));
	buf_clear(&l->entries);
}

void jsonlog_write(struct jsonlog *l, enum log_stream s, const char *p, size_t n)
{
	struct buf *part = &l->partial[s];

	if (l->fd < 0)
		return;
	buf_append(part, p, n);
	for (;;) {
		const char *head = buf_head(part);
		size_t len = buf_len(part);
		const char *nl = memchr(head, '\n', len);

		if (nl) {
			add_entry(l, s, head, (size_t)(nl - head) + 1);
			buf_consume(part, (size_t)(nl - head) + 1);
		} else if (len > LINE_MAX_BYTES) {
			size_t cut = split_point((const unsigned char *)head);

			add_entry(l, s, head, cut);
			buf_consume(part, cut);
		} else {
			break;
		}
	}
	write_entries(l);
}

void jsonlog_flush(struct jsonlog *l, enum log_stream s)
{
	struct buf *part = &l->partial[s];

	if (buf_len(part)) {
		add_entry(l, s, buf_head(part), buf_len(part));
		buf_clear(part);
		write_entries(l);
	}
}

void jsonlog_close(struct jsonlog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	buf_free(&l->partial[0]);
	buf_free(&l->partial[1]);
	buf_free(&l->entries);
}
