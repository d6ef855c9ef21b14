#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->end + n > b->cap && b->start > 0) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	if (b->end + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->end + n)
			cap *= 2;
		char *data = realloc(b->data, cap);

		if (!data)
			abort();
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->end, p, n);
	b->end += n;
}

void buf_appends(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_consume(struct buf *b, size_t n)
{
	b->start += n;
	if (b->start >= b->end)
		b->start = b->end = 0;
}

void buf_clear(struct buf *b)
{
	b->start = b->end = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){0};
}
