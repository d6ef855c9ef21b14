/**
 * Capability sets as docker computes them: a default set, changed by --cap-add and
 * --cap-drop (where ALL means every capability) or replaced by --privileged.
 */
import { InvalidArgumentError } from '../errors.js';

/** Every capability the kernel knows, by number (linux/capability.h order). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
] as const;

const known = new Set<string>(ALL_CAPABILITIES);

function check(names: readonly string[]): void {
  for (const n of names) {
    if (n !== 'ALL' && !known.has(n)) throw new InvalidArgumentError(`unknown capability: "${n}"`);
  }
}

/**
 * The capability set of a container's process, in kernel order.
 * Names are normalised already (upper case, CAP_ prefix, or ALL).
 */
export function capabilitySet(opts: { capAdd: readonly string[]; capDrop: readonly string[]; privileged: boolean }): string[] {
  check(opts.capAdd);
  check(opts.capDrop);
  if (opts.privileged) return [...ALL_CAPABILITIES];
  const add = new Set(opts.capAdd);
  const drop = new Set(opts.capDrop);
  let set: Set<string>;
  if (add.has('ALL')) set = new Set(ALL_CAPABILITIES);
  else if (drop.has('ALL')) set = new Set();
  else set = new Set(DEFAULT_CAPABILITIES);
  // docker: with --cap-drop ALL the adds still apply; with --cap-add ALL the drops still apply.
  if (!add.has('ALL')) for (const c of add) set.add(c);
  if (!drop.has('ALL')) for (const c of drop) set.delete(c);
  return ALL_CAPABILITIES.filter((c) => set.has(c));
}

/**
 * The capabilities this process can hand on: its bounding set. A container cannot get
 * more, and on hosts without some (CAP_SYS_RESOURCE here) asking for them fails capset.
 */
export function boundingSet(statusText: string): Set<string> {
  const line = /^CapBnd:\s*([0-9a-f]+)$/m.exec(statusText);
  if (!line) return new Set(ALL_CAPABILITIES);
  const mask = BigInt(`0x${line[1]}`);
  return new Set(ALL_CAPABILITIES.filter((_c, i) => (mask >> BigInt(i)) & 1n));
}

/** Splits a wanted set into what the host can give and what it lacks. */
export function clampToBounding(wanted: readonly string[], bounding: ReadonlySet<string>): { granted: string[]; missing: string[] } {
  return { granted: wanted.filter((c) => bounding.has(c)), missing: wanted.filter((c) => !bounding.has(c)) };
}
