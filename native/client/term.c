#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "term.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static volatile sig_atomic_t raw;

/*
 * Signals that end the client with the terminal raw unless it puts it back first. SIGPIPE:
 * a closed stdout ends the client as it ends cat. SIGABRT: buf_append aborts when memory runs out.
 */
static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGABRT };

int term_size(int fd, uint16_t *rows, uint16_t *cols)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}

/* The signal stays blocked in here: raised again, it is delivered with its default action on return. */
static void on_fatal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_fatal_signals(void)
{
	static bool caught;
	struct sigaction sa = { .sa_handler = on_fatal };

	if (caught)
		return;
	caught = true;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction old;

		/* A signal the parent chose to ignore (nohup, a background job) stays ignored. */
		if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(fatal[i], &sa, NULL);
	}
}

void term_raw(void)
{
	struct termios t;

	if (raw || tcgetattr(STDIN_FILENO, &saved) < 0)
		return;
	catch_fatal_signals();
	t = saved;
	/* docker's raw mode (moby/term MakeRaw) is cfmakeraw: the container's pty does its own output processing. */
	cfmakeraw(&t);
	/* Marked raw first: a signal right after tcsetattr must find something to put back. */
	raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		raw = 0;
}

void term_restore(void)
{
	if (!raw)
		return;
	/* Put back before clearing the mark, so a signal in between restores twice rather than never. */
	tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	raw = 0;
}
