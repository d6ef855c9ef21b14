/* argv[0] to an executable path, with docker's (Go's exec.LookPath) errors and exit codes. */
#ifndef BERTH_SHIM_LOOKPATH_H
#define BERTH_SHIM_LOOKPATH_H

#include <limits.h>

struct shim_error;

/* envp: the container's environment (its PATH is searched). Call after pivot_root and chdir(cwd). */
int lookpath(const char *arg0, char *const envp[], char out[PATH_MAX], struct shim_error *e);

#endif
