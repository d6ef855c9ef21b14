#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "health.h"
#include "buf.h"
#include "diag.h"
#include "error.h"
#include "jsonlog.h"
#include "nsjoin.h"
#include "spawn.h"
#include "spec.h"
#include "statefile.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* docker's limits: the last five results, each with at most 4 KiB of output. */
#define LOG_KEEP 5
#define OUTPUT_MAX 4096

struct result {
	struct timespec start, end;
	int exit_code;
	char output[OUTPUT_MAX + 1];
	size_t output_len;
};

struct health {
	const struct spec *spec;
	struct spec check;
	enum { STARTING, HEALTHY, UNHEALTHY } status;
	int failing_streak;
	struct result log[LOG_KEEP];
	int nlog;
};

static long long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void keep_output(struct result *r, const char *p, size_t n)
{
	size_t room = OUTPUT_MAX - r->output_len;

	if (n > room)
		n = room;
	memcpy(r->output + r->output_len, p, n);
	r->output_len += n;
}

/* Go's time.Duration text for whole seconds or milliseconds, as docker's timeout message shows it. */
static void duration_text(long long ms, char *out, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(out, len, "%llds", ms / 1000);
	else
		snprintf(out, len, "%lldms", ms);
}

/* Reads the check's output until it exits or its time is up (from began, monotonic); then it is killed and reaped. */
static void collect(const struct health *h, struct container *c, struct result *r, const struct timespec *began)
{
	struct timespec now;
	bool timed_out = false;
	int status = 0;

	for (;;) {
		struct pollfd p[2] = { { .fd = c->out, .events = POLLIN }, { .fd = c->err, .events = POLLIN } };
		long long left;

		if (c->out < 0 && c->err < 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = h->spec->health_timeout_ms - ms_between(began, &now);
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			int *fd = i == 0 ? &c->out : &c->err;
			char data[4096];
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(*fd, data, sizeof(data));
			if (n > 0) {
				keep_output(r, data, (size_t)n);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	/* Its streams closed, but it may still run (or have handed them on): the timeout holds either way. */
	while (!timed_out) {
		pid_t got = waitpid(c->pid, &status, WNOHANG);

		if (got == c->pid) {
			c->pid = -1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ms_between(began, &now) >= h->spec->health_timeout_ms)
			timed_out = true;
		else
			usleep(10000);
	}
	clock_gettime(CLOCK_REALTIME, &r->end);
	container_destroy(c);
	if (timed_out) {
		char limit[32];

		duration_text(h->spec->health_timeout_ms, limit, sizeof(limit));
		r->output_len = (size_t)snprintf(r->output, sizeof(r->output), "Health check exceeded timeout (%s)", limit);
		r->exit_code = -1;
	} else {
		r->exit_code = exit_code_of(status);
	}
	r->output[r->output_len] = '\0';
}

static void run_check(struct health *h, struct result *r, pid_t container)
{
	struct shim_error e = { 0 };
	struct container c;
	struct timespec mono;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_REALTIME, &r->start);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	h->check.exec_pid = container;
	if (container_spawn(&h->check, &c, &e) < 0 || container_start(&c) < 0) {
		container_destroy(&c);
		clock_gettime(CLOCK_REALTIME, &r->end);
		r->exit_code = e.code ? e.code : EXIT_SETUP;
		keep_output(r, e.msg, strlen(e.msg));
		r->output[r->output_len] = '\0';
		return;
	}
	collect(h, &c, r, &mono);
}

static void write_state(const struct health *h)
{
	static const char *const names[] = { "starting", "healthy", "unhealthy" };
	struct shim_error e = { 0 };
	struct buf out = { 0 };
	char line[256];

	snprintf(line, sizeof(line), "{\"Status\":\"%s\",\"FailingStreak\":%d,\"Log\":[", names[h->status],
		 h->failing_streak);
	buf_appends(&out, line);
	for (int i = 0; i < h->nlog; i++) {
		const struct result *r = &h->log[i];
		char start[64], end[64];

		rfc3339_nano(&r->start, start, sizeof(start));
		rfc3339_nano(&r->end, end, sizeof(end));
		snprintf(line, sizeof(line), "%s{\"Start\":\"%s\",\"End\":\"%s\",\"ExitCode\":%d,\"Output\":\"", i ? "," : "",
			 start, end, r->exit_code);
		buf_appends(&out, line);
		json_escape(&out, r->output, r->output_len);
		buf_appends(&out, "\"}");
	}
	buf_appends(&out, "]}");
	if (statefile_write(h->spec->health_file, buf_head(&out), buf_len(&out), &e) < 0)
		diag("health file: %s", e.msg);
	buf_free(&out);
}

/* docker's rules: a pass makes it healthy; failures count only after the start period, and Retries of them in a row make it unhealthy. */
static void record(struct health *h, const struct result *r, bool in_start_period)
{
	if (h->nlog == LOG_KEEP) {
		memmove(&h->log[0], &h->log[1], sizeof(h->log[0]) * (LOG_KEEP - 1));
		h->nlog--;
	}
	h->log[h->nlog++] = *r;
	if (r->exit_code == 0) {
		h->status = HEALTHY;
		h->failing_streak = 0;
	} else if (!(in_start_period && h->status == STARTING)) {
		if (++h->failing_streak >= h->spec->health_retries)
			h->status = UNHEALTHY;
	}
	write_state(h);
}

__attribute__((noreturn)) static void checker(const struct spec *s, pid_t shim, pid_t container)
{
	static struct health h;
	struct timespec began, now;

	h.spec = s;
	h.check = (struct spec){
		.file = s->file, .cwd = s->cwd, .user = s->user, .hostname = "", .env = s->env, .args = s->health_cmd,
		.caps = s->caps, .no_new_privs = s->no_new_privs, .cgroup_procs = s->cgroup_procs,
		.cgroup_tasks = s->cgroup_tasks, .socket = "",
		/* Once the shim has reaped the container, its pid may name another process before we are killed. */
		.exec_pid_start = nsjoin_start_time(container),
	};
	clock_gettime(CLOCK_MONOTONIC, &began);
	write_state(&h);
	for (;;) {
		struct result r;

		usleep((useconds_t)s->health_interval_ms * 1000);
		if (getppid() != shim)
			_exit(0);
		run_check(&h, &r, container);
		clock_gettime(CLOCK_MONOTONIC, &now);
		record(&h, &r, ms_between(&began, &now) < s->health_start_period_ms);
	}
}

pid_t health_start(const struct spec *s, pid_t container)
{
	pid_t shim = getpid();
	pid_t pid;

	if (s->health_cmd.n == 0 || !s->health_file)
		return 0;
	pid = fork();
	if (pid != 0)
		return pid;
	/* The checker holds nothing of the shim's: a copy of the container's stdin pipe would keep its EOF away. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != shim)
		_exit(0);
	{
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	{
		int keep = diag_fd();

		if (keep > 3)
			close_range(3, (unsigned)keep - 1, 0);
		close_range(keep >= 3 ? (unsigned)keep + 1 : 3, ~0U, 0);
	}
	checker(s, shim, container);
}
