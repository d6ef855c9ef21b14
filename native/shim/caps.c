#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "caps.h"
#include "error.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* linux/capability.h order: the index is the capability number. */
static const char *const cap_names[] = {
	"CAP_CHOWN",	       "CAP_DAC_OVERRIDE",  "CAP_DAC_READ_SEARCH",  "CAP_FOWNER",
	"CAP_FSETID",	       "CAP_KILL",	    "CAP_SETGID",	    "CAP_SETUID",
	"CAP_SETPCAP",	       "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",       "CAP_NET_RAW",	    "CAP_IPC_LOCK",	    "CAP_IPC_OWNER",
	"CAP_SYS_MODULE",      "CAP_SYS_RAWIO",	    "CAP_SYS_CHROOT",	    "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",       "CAP_SYS_ADMIN",	    "CAP_SYS_BOOT",	    "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",    "CAP_SYS_TIME",	    "CAP_SYS_TTY_CONFIG",   "CAP_MKNOD",
	"CAP_LEASE",	       "CAP_AUDIT_WRITE",   "CAP_AUDIT_CONTROL",    "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",	    "CAP_SYSLOG",	    "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",    "CAP_PERFMON",	    "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

#define NCAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int cap_from_name(const char *name)
{
	for (int i = 0; i < NCAPS; i++)
		if (strcmp(name, cap_names[i]) == 0)
			return i;
	return -1;
}

int caps_limit_bounding(uint64_t keep, struct shim_error *e)
{
	/* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability, so no /proc read is needed. */
	for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (keep & (UINT64_C(1) << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return fail_errno(e, "prctl PR_CAPBSET_DROP", cap < NCAPS ? cap_names[cap] : "?");
	}
	return 0;
}

int caps_apply(uint64_t caps, bool root, struct shim_error *e)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	uint64_t permitted, want;

	if (syscall(SYS_capget, &hdr, data) < 0)
		return fail_errno(e, "capget", NULL);
	permitted = (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
	/*
	 * A capability this process never had (CAP_SYS_RESOURCE on these hosts) cannot be granted;
	 * a privileged container gets everything there is instead of failing.
	 */
	want = root ? caps & permitted : 0;
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)want;
	data[1].effective = data[1].permitted = (uint32_t)(want >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return fail_errno(e, "capset", NULL);
	/* Kernels before 4.3 have no ambient set, so there is nothing to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail_errno(e, "prctl PR_CAP_AMBIENT_CLEAR_ALL", NULL);
	return 0;
}
