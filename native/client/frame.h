/* Frames of the berth service protocol (PROTOCOL.md): a type byte, a u32 BE length, the payload. */
#ifndef BERTH_CLIENT_FRAME_H
#define BERTH_CLIENT_FRAME_H

#include "../shim/buf.h"

#include <stdint.h>

#define FRAME_HEADER 5
#define FRAME_MAX_PAYLOAD (1u << 20)
#define FRAME_MAX_DATA (64u << 10)

struct frame {
	char type;
	const char *payload;
	uint32_t len;
};

void put_u16(struct buf *b, uint16_t v);
void put_u32(struct buf *b, uint32_t v);
uint32_t get_u32(const char *p);

void frame_append(struct buf *b, char type, const void *payload, uint32_t len);

/*
 * 1: a whole frame heads b, and f points into b until b changes; 0: more bytes are needed;
 * -1: the head announces a payload over FRAME_MAX_PAYLOAD, which no well-behaved peer sends.
 */
int frame_peek(const struct buf *b, struct frame *f);

#endif
