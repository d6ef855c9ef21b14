#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "frame.h"

void put_u16(struct buf *b, uint16_t v)
{
	unsigned char x[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	buf_append(b, x, sizeof(x));
}

void put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			       (unsigned char)v };

	buf_append(b, x, sizeof(x));
}

uint32_t get_u32(const char *p)
{
	const unsigned char *x = (const unsigned char *)p;

	return (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 | (uint32_t)x[3];
}

void frame_append(struct buf *b, char type, const void *payload, uint32_t len)
{
	buf_append(b, &type, 1);
	put_u32(b, len);
	buf_append(b, payload, len);
}

int frame_peek(const struct buf *b, struct frame *f)
{
	const char *head;
	uint32_t len;

	if (buf_len(b) < FRAME_HEADER)
		return 0;
	head = buf_head(b);
	len = get_u32(head + 1);
	/* Checked on the header alone: a bad length must not make the client buffer a gigabyte first. */
	if (len > FRAME_MAX_PAYLOAD)
		return -1;
	if (buf_len(b) - FRAME_HEADER < len)
		return 0;
	f->type = head[0];
	f->payload = head + FRAME_HEADER;
	f->len = len;
	return 1;
}
