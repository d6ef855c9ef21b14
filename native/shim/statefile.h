/* Files the engine reads to learn about the container: written whole or not at all (tmp, fsync, rename). */
#ifndef BERTH_SHIM_STATEFILE_H
#define BERTH_SHIM_STATEFILE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct shim_error;

int statefile_write(const char *path, const char *data, size_t len, struct shim_error *e);

int statefile_write_pid(const char *path, pid_t pid, struct shim_error *e);

/* wait_status as waitpid gave it; error: why execve failed, or NULL. */
int statefile_write_exit(const char *path, int wait_status, const struct timespec *finished, const char *error,
			 struct shim_error *e);

/* docker's convention: the exit status, or 128 + the signal that killed it. */
int exit_code_of(int wait_status);

#endif
