/* The engine's cleanup after the container exited (cgroups, --rm): run once, waited for. */
#ifndef BERTH_SHIM_EXIT_CMD_H
#define BERTH_SHIM_EXIT_CMD_H

struct strv;

/* Output goes to shim.log (log_fd); the shim waits however long it takes. */
void exit_cmd_run(const struct strv *argv, int log_fd);

#endif
