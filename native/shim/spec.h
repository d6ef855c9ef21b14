/* The spec file the engine writes (PROTOCOL.md "Spec file"), parsed once and then read only. */
#ifndef BERTH_SHIM_SPEC_H
#define BERTH_SHIM_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/types.h>

/* A list of strings, kept NULL-terminated so that argv and envp can be handed to execve as they are. */
struct strv {
	char **v;
	size_t n;
};

struct bind_mount {
	const char *src;
	const char *dst;
	bool readonly;
};

struct tmpfs_mount {
	const char *dst;
	unsigned long flags; /* mount(2) MS_* flags */
	const char *data;    /* size=…,mode=…; may be empty */
};

/* A host port to hold for the container (ports.h): `port=tcp|udp<tab>IPv4<tab>PORT`. */
struct port_spec {
	int type; /* SOCK_STREAM or SOCK_DGRAM */
	const char *ip;
	struct in_addr addr;
	unsigned short port;
};

/* Optional paths (log, exit_file, pid_file) are NULL when absent: that output is skipped. */
struct spec {
	const char *file;
	const char *id;
	const char *rootfs;
	const char *upper;
	const char *work;
	const char *hostname;
	const char *cwd;
	const char *user;
	const char *log;
	const char *exit_file;
	const char *pid_file;
	const char *socket;
	struct strv lower;
	struct strv args;
	struct strv env;
	struct strv masks;
	struct strv readonly_paths;
	struct strv cgroup_procs;
	struct strv cgroup_tasks;
	struct strv exit_cmd;
	struct bind_mount *binds;
	size_t nbinds;
	struct tmpfs_mount *tmpfs;
	size_t ntmpfs;
	uint64_t caps;
	bool readonly_rootfs;
	bool no_new_privs;
	bool new_netns;
	const char *netns_path; /* a pinned netns the container joins (setns) instead of a new one; NULL: none */
	struct port_spec *ports;
	size_t nports;
	bool sysfs_rw;
	bool tty;
	bool open_stdin;
	bool has_tty_size;
	unsigned short tty_rows;
	unsigned short tty_cols;
	unsigned long long log_max_size; /* 0: the log is not rotated */
	unsigned log_max_files;
	/* The health check (health.h): argv empty when there is none; times in ms. */
	struct strv health_cmd;
	const char *health_file;
	long long health_interval_ms;
	long long health_timeout_ms;
	long long health_start_period_ms;
	int health_retries;
	/* Exec mode (> 0): join the namespaces and cgroups of this running container process instead of making new ones. */
	pid_t exec_pid;
	unsigned long long exec_pid_start; /* its start time in /proc/PID/stat; 0: not checked */
};

struct shim_error;

/* Values point into one buffer that lives as long as the process. */
int spec_load(const char *file, struct spec *s, struct shim_error *e);

void strv_push(struct strv *l, char *s);

#endif
