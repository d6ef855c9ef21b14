/* Rotation of the json-file log: X-json.log becomes X-json.log.1, .1 becomes .2, … (PROTOCOL.md "Log file"). */
#ifndef BERTH_SHIM_LOGROTATE_H
#define BERTH_SHIM_LOGROTATE_H

/*
 * Shifts the rotated files up by one, the oldest beyond max_files-1 dropped, and moves the
 * current file to PATH.1 (with max_files 1 it is removed). The caller opens a new PATH.
 * Returns 0, or -1 with errno when the current file could not be moved aside.
 */
int log_rotate(const char *path, unsigned max_files);

#endif
