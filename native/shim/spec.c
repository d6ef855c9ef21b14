#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "spec.h"
#include "caps.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Generous for any real spec; a bigger file is a mistake, not a container. */
#define SPEC_MAX (16u << 20)

void strv_push(struct strv *l, char *s)
{
	char **v = realloc(l->v, (l->n + 2) * sizeof(*v));

	if (!v)
		abort();
	v[l->n++] = s;
	v[l->n] = NULL;
	l->v = v;
}

static int read_all(const char *file, char **out, size_t *len, struct shim_error *e)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *data;
	size_t have = 0;

	if (fd < 0)
		return fail_errno(e, "open spec", file);
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > SPEC_MAX) {
		close(fd);
		return fail(e, EXIT_SETUP, "spec %s: unreadable or larger than %u bytes", file, SPEC_MAX);
	}
	data = malloc((size_t)st.st_size + 1);
	if (!data)
		abort();
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, data + have, (size_t)st.st_size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			free(data);
			close(fd);
			errno = err;
			return fail_errno(e, "read spec", file);
		}
		have += (size_t)n;
	}
	close(fd);
	data[have] = '\0';
	*out = data;
	*len = have;
	return 0;
}

static int parse_bool(const char *key, const char *v, bool *out, struct shim_error *e)
{
	if (strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "0") == 0 || v[0] == '\0')
		*out = false;
	else
		return fail(e, EXIT_SETUP, "spec: %s must be 0 or 1, not \"%s\"", key, v);
	return 0;
}

static int parse_u16(const char *key, const char *v, unsigned short *out, struct shim_error *e)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n > 0xffff)
		return fail(e, EXIT_SETUP, "spec: %s must be a number up to 65535, not \"%s\"", key, v);
	*out = (unsigned short)n;
	return 0;
}

/* log_max_size and log_max_files: positive decimal numbers. */
static int parse_positive(const char *key, const char *v, unsigned long long max, unsigned long long *out, struct shim_error *e)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || n == 0 || n > max)
		return fail(e, EXIT_SETUP, "spec: %s must be a number from 1 to %llu, not \"%s\"", key, max, v);
	*out = n;
	return 0;
}

static int parse_ms(const char *key, const char *v, long long min, long long *out, struct shim_error *e)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < min || n > 365LL * 24 * 3600 * 1000)
		return fail(e, EXIT_SETUP, "spec: %s must be a whole number from %lld, not \"%s\"", key, min, v);
	*out = n;
	return 0;
}

static int parse_pid(const char *key, const char *v, pid_t *out, struct shim_error *e)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n <= 1 || n > 0x3fffffff)
		return fail(e, EXIT_SETUP, "spec: %s must be a process id above 1, not \"%s\"", key, v);
	*out = (pid_t)n;
	return 0;
}

static int parse_bind(struct spec *s, char *v, struct shim_error *e)
{
	char *dst = strchr(v, '\t');
	char *mode = dst ? strchr(dst + 1, '\t') : NULL;
	struct bind_mount *b;

	if (!mode)
		return fail(e, EXIT_SETUP, "spec: bind must be SRC<tab>DST<tab>ro|rw: %s", v);
	*dst++ = '\0';
	*mode++ = '\0';
	if (v[0] != '/' || dst[0] != '/')
		return fail(e, EXIT_SETUP, "spec: bind paths must be absolute: %s -> %s", v, dst);
	if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
		return fail(e, EXIT_SETUP, "spec: bind mode must be ro or rw, not \"%s\"", mode);
	b = realloc(s->binds, (s->nbinds + 1) * sizeof(*b));
	if (!b)
		abort();
	s->binds = b;
	s->binds[s->nbinds++] = (struct bind_mount){ .src = v, .dst = dst, .readonly = mode[1] == 'o' };
	return 0;
}

static int parse_tmpfs(struct spec *s, char *v, struct shim_error *e)
{
	char *flags = strchr(v, '\t');
	char *data = flags ? strchr(flags + 1, '\t') : NULL;
	char *end;
	unsigned long n;
	struct tmpfs_mount *t;

	if (!data)
		return fail(e, EXIT_SETUP, "spec: tmpfs must be DST<tab>FLAGS<tab>DATA: %s", v);
	*flags++ = '\0';
	*data++ = '\0';
	if (v[0] != '/')
		return fail(e, EXIT_SETUP, "spec: tmpfs path must be absolute: %s", v);
	errno = 0;
	n = strtoul(flags, &end, 10);
	if (errno || end == flags || *end)
		return fail(e, EXIT_SETUP, "spec: tmpfs flags must be a decimal number, not \"%s\"", flags);
	t = realloc(s->tmpfs, (s->ntmpfs + 1) * sizeof(*t));
	if (!t)
		abort();
	s->tmpfs = t;
	s->tmpfs[s->ntmpfs++] = (struct tmpfs_mount){ .dst = v, .flags = n, .data = data };
	return 0;
}

static int parse_port(struct spec *s, char *v, struct shim_error *e)
{
	char *ip = strchr(v, '\t');
	char *num = ip ? strchr(ip + 1, '\t') : NULL;
	struct port_spec p = { 0 };
	struct port_spec *all;
	char *end;
	unsigned long n;

	if (!num)
		return fail(e, EXIT_SETUP, "spec: port must be PROTO<tab>IP<tab>PORT: %s", v);
	*ip++ = '\0';
	*num++ = '\0';
	if (strcmp(v, "tcp") == 0)
		p.type = SOCK_STREAM;
	else if (strcmp(v, "udp") == 0)
		p.type = SOCK_DGRAM;
	else
		return fail(e, EXIT_SETUP, "spec: port protocol must be tcp or udp, not \"%s\"", v);
	if (inet_pton(AF_INET, ip, &p.addr) != 1)
		return fail(e, EXIT_SETUP, "spec: port address must be an IPv4 address, not \"%s\"", ip);
	errno = 0;
	n = strtoul(num, &end, 10);
	if (errno || end == num || *end || num[0] == '-' || n == 0 || n > 65535)
		return fail(e, EXIT_SETUP, "spec: port must be a number from 1 to 65535, not \"%s\"", num);
	p.ip = ip;
	p.port = (unsigned short)n;
	all = realloc(s->ports, (s->nports + 1) * sizeof(*all));
	if (!all)
		abort();
	s->ports = all;
	s->ports[s->nports++] = p;
	return 0;
}

static int set_record(struct spec *s, const char *key, char *v, bool *seen_tty_rows, bool *seen_tty_cols,
		      struct shim_error *e)
{
	static const struct {
		const char *key;
		size_t offset;
	} scalars[] = {
		{ "id", offsetof(struct spec, id) },
		{ "rootfs", offsetof(struct spec, rootfs) },
		{ "upper", offsetof(struct spec, upper) },
		{ "work", offsetof(struct spec, work) },
		{ "hostname", offsetof(struct spec, hostname) },
		{ "cwd", offsetof(struct spec, cwd) },
		{ "user", offsetof(struct spec, user) },
		{ "log", offsetof(struct spec, log) },
		{ "exit_file", offsetof(struct spec, exit_file) },
		{ "pid_file", offsetof(struct spec, pid_file) },
		{ "socket", offsetof(struct spec, socket) },
		{ "health_file", offsetof(struct spec, health_file) },
	};
	static const struct {
		const char *key;
		size_t offset;
	} lists[] = {
		{ "lower", offsetof(struct spec, lower) },
		{ "arg", offsetof(struct spec, args) },
		{ "env", offsetof(struct spec, env) },
		{ "mask", offsetof(struct spec, masks) },
		{ "readonly", offsetof(struct spec, readonly_paths) },
		{ "cgroup_procs", offsetof(struct spec, cgroup_procs) },
		{ "cgroup_tasks", offsetof(struct spec, cgroup_tasks) },
		{ "exit_cmd", offsetof(struct spec, exit_cmd) },
		{ "health_cmd", offsetof(struct spec, health_cmd) },
	};
	static const struct {
		const char *key;
		size_t offset;
	} flags[] = {
		{ "readonly_rootfs", offsetof(struct spec, readonly_rootfs) },
		{ "no_new_privs", offsetof(struct spec, no_new_privs) },
		{ "sysfs_rw", offsetof(struct spec, sysfs_rw) },
		{ "tty", offsetof(struct spec, tty) },
		{ "stdin", offsetof(struct spec, open_stdin) },
	};
	char *base = (char *)s;

	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++)
		if (strcmp(key, scalars[i].key) == 0) {
			const char **slot = (const char **)(base + scalars[i].offset);

			if (*slot)
				return fail(e, EXIT_SETUP, "duplicate spec key: %s", key);
			*slot = v;
			return 0;
		}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (strcmp(key, lists[i].key) == 0) {
			strv_push((struct strv *)(base + lists[i].offset), v);
			return 0;
		}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(key, flags[i].key) == 0)
			return parse_bool(key, v, (bool *)(base + flags[i].offset), e);
	if (strcmp(key, "cap") == 0) {
		int cap = cap_from_name(v);

		if (cap < 0)
			return fail(e, EXIT_SETUP, "spec: unknown capability: %s", v);
		s->caps |= UINT64_C(1) << cap;
		return 0;
	}
	if (strcmp(key, "netns") == 0) {
		if (v[0] == '/') {
			s->netns_path = v;
			s->new_netns = false;
			return 0;
		}
		if (strcmp(v, "new") != 0 && strcmp(v, "host") != 0)
			return fail(e, EXIT_SETUP, "spec: netns must be new, host or the path of a netns file, not \"%s\"", v);
		s->netns_path = NULL;
		s->new_netns = v[0] == 'n';
		return 0;
	}
	if (strcmp(key, "port") == 0)
		return parse_port(s, v, e);
	if (strcmp(key, "bind") == 0)
		return parse_bind(s, v, e);
	if (strcmp(key, "tmpfs") == 0)
		return parse_tmpfs(s, v, e);
	if (strcmp(key, "log_max_size") == 0)
		return parse_positive(key, v, ULLONG_MAX, &s->log_max_size, e);
	if (strcmp(key, "log_max_files") == 0) {
		unsigned long long n = 0;

		if (parse_positive(key, v, 1000000, &n, e) < 0)
			return -1;
		s->log_max_files = (unsigned)n;
		return 0;
	}
	if (strcmp(key, "health_interval_ms") == 0)
		return parse_ms(key, v, 1, &s->health_interval_ms, e);
	if (strcmp(key, "health_timeout_ms") == 0)
		return parse_ms(key, v, 1, &s->health_timeout_ms, e);
	if (strcmp(key, "health_start_period_ms") == 0)
		return parse_ms(key, v, 0, &s->health_start_period_ms, e);
	if (strcmp(key, "health_retries") == 0) {
		long long n = 0;

		if (parse_ms(key, v, 1, &n, e) < 0)
			return -1;
		s->health_retries = n > 1000000 ? 1000000 : (int)n;
		return 0;
	}
	if (strcmp(key, "exec_pid") == 0)
		return parse_pid(key, v, &s->exec_pid, e);
	if (strcmp(key, "exec_pid_start") == 0) {
		char *end;

		errno = 0;
		s->exec_pid_start = strtoull(v, &end, 10);
		if (errno || end == v || *end || v[0] == '-' || s->exec_pid_start == 0)
			return fail(e, EXIT_SETUP, "spec: %s must be a start time in clock ticks, not \"%s\"", key, v);
		return 0;
	}
	if (strcmp(key, "tty_rows") == 0) {
		*seen_tty_rows = true;
		return parse_u16(key, v, &s->tty_rows, e);
	}
	if (strcmp(key, "tty_cols") == 0) {
		*seen_tty_cols = true;
		return parse_u16(key, v, &s->tty_cols, e);
	}
	return fail(e, EXIT_SETUP, "unknown spec key: %s", key);
}

/* An exec joins a container that has its root and mounts already: only the process is described. */
static int check_exec(const struct spec *s, struct shim_error *e)
{
	if (!s->socket || !s->socket[0])
		return fail(e, EXIT_SETUP, "spec: missing key: socket");
	if (s->args.n == 0 || !s->args.v[0][0])
		return fail(e, EXIT_SETUP, "spec: missing key: arg");
	if (s->rootfs || s->lower.n || s->upper || s->work || s->binds || s->tmpfs || s->masks.n || s->readonly_paths.n ||
	    s->hostname[0])
		return fail(e, EXIT_SETUP, "spec: exec_pid excludes the keys that build a container's root");
	if (s->netns_path || s->nports)
		return fail(e, EXIT_SETUP, "spec: exec_pid excludes netns=PATH and port: an exec has the container's network");
	if (s->cwd[0] != '/')
		return fail(e, EXIT_SETUP, "spec: cwd must be an absolute path, not \"%s\"", s->cwd);
	return 0;
}

static int check_required(const struct spec *s, struct shim_error *e)
{
	const struct {
		const char *key;
		bool present;
	} required[] = {
		{ "rootfs", s->rootfs && s->rootfs[0] }, { "lower", s->lower.n > 0 },
		{ "upper", s->upper && s->upper[0] },	 { "work", s->work && s->work[0] },
		{ "socket", s->socket && s->socket[0] }, { "arg", s->args.n > 0 && s->args.v[0][0] },
	};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!required[i].present)
			return fail(e, EXIT_SETUP, "spec: missing key: %s", required[i].key);
	if ((s->log_max_size == 0) != (s->log_max_files == 0))
		return fail(e, EXIT_SETUP, "spec: log_max_size and log_max_files go together");
	if (s->log_max_size && !s->log)
		return fail(e, EXIT_SETUP, "spec: log_max_size without log");
	if (s->cwd[0] != '/')
		return fail(e, EXIT_SETUP, "spec: cwd must be an absolute path, not \"%s\"", s->cwd);
	return 0;
}

int spec_load(const char *file, struct spec *s, struct shim_error *e)
{
	char *data = NULL;
	size_t len = 0;
	bool rows = false, cols = false;

	/* docker's health check defaults. */
	*s = (struct spec){ .file = file, .new_netns = true, .health_interval_ms = 30000, .health_timeout_ms = 30000, .health_retries = 3 };
	if (read_all(file, &data, &len, e) < 0)
		return -1;
	if (len > 0 && data[len - 1] != '\0')
		return fail(e, EXIT_SETUP, "spec %s: the last record is not NUL-terminated", file);
	for (size_t at = 0; at < len;) {
		char *rec = data + at;
		char *eq = strchr(rec, '=');

		at += strlen(rec) + 1;
		if (!eq)
			return fail(e, EXIT_SETUP, "spec: record without '=': %s", rec);
		*eq = '\0';
		if (set_record(s, rec, eq + 1, &rows, &cols, e) < 0)
			return -1;
	}
	if (!s->cwd || s->cwd[0] == '\0')
		s->cwd = "/";
	if (!s->user)
		s->user = "";
	if (!s->hostname)
		s->hostname = "";
	s->has_tty_size = rows && cols;
	return s->exec_pid ? check_exec(s, e) : check_required(s, e);
}
