/* shim.log beside the spec: the shim's own diagnostics and the exit command's output. */
#ifndef BERTH_SHIM_DIAG_H
#define BERTH_SHIM_DIAG_H

int diag_open(const char *spec_file);
/* -1 until diag_open succeeded. */
int diag_fd(void);
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
