#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "request.h"
#include "frame.h"
#include "term.h"

#include <string.h>
#include <unistd.h>

static void put_string(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s) + 1);
}

void request_build(struct buf *payload, int argc, char *const args[], char *const envp[], const char *cwd)
{
	uint32_t flags = 0, envc = 0;
	uint16_t rows = 0, cols = 0;

	/* Bit N: fd N is a terminal. */
	for (int fd = 0; fd < 3; fd++)
		if (isatty(fd))
			flags |= 1u << fd;
	if ((flags & 2) && term_size(STDOUT_FILENO, &rows, &cols) < 0)
		rows = cols = 0;
	put_u32(payload, flags);
	put_u16(payload, rows);
	put_u16(payload, cols);
	put_u32(payload, (uint32_t)argc);
	for (int i = 0; i < argc; i++)
		put_string(payload, args[i]);
	while (envp[envc])
		envc++;
	put_u32(payload, envc);
	for (uint32_t i = 0; i < envc; i++)
		put_string(payload, envp[i]);
	put_string(payload, cwd);
}
