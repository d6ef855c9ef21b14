/* A growable byte queue: append at the end, consume from the front. */
#ifndef BERTH_SHIM_BUF_H
#define BERTH_SHIM_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t start;
	size_t end;
	size_t cap;
};

static inline size_t buf_len(const struct buf *b)
{
	return b->end - b->start;
}

static inline const char *buf_head(const struct buf *b)
{
	return b->data + b->start;
}

/* Aborts when memory runs out: a shim that cannot buffer has no sane way on, and its death takes the container with it. */
void buf_append(struct buf *b, const void *p, size_t n);
void buf_appends(struct buf *b, const char *s);
void buf_consume(struct buf *b, size_t n);
void buf_clear(struct buf *b);
void buf_free(struct buf *b);

#endif
