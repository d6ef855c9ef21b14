/**
 * The spec file a berth-shim reads (native/shim/PROTOCOL.md): NUL-terminated
 * `key=value` records, repeated keys forming lists. Policy is decided here and
 * handed down as plain data.
 */
import { isIPv4 } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import type { ShimHealthCheck } from '../container/health.js';
import type { PublishedPort } from '../network/types.js';

export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
}

/** A host port the shim holds bound while the container runs (PROTOCOL.md `port`). */
export type PortReservation = Pick<PublishedPort, 'protocol' | 'hostIp' | 'hostPort'>;

export interface ShimSpec {
  id: string;
  rootfs: string;
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  readonlyRootfs: boolean;
  hostname: string;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  capabilities: string[];
  noNewPrivileges: boolean;
  /** A new netns (lo up), the host's, or a pinned netns file to join (its links set up by the engine). */
  network: 'new' | 'host' | { path: string };
  /** Published ports' host sides, bound by the shim before the container is made; a taken one fails the start. */
  portReservations?: PortReservation[];
  maskedPaths: string[];
  readonlyPaths: string[];
  binds: BindMount[];
  /** tmpfs mounts made after the binds (PROTOCOL.md `tmpfs`). */
  tmpfs?: Array<{ destination: string; flags: number; data: string }>;
  sysfsReadWrite: boolean;
  cgroupProcs: string[];
  cgroupTasks: string[];
  tty: boolean;
  consoleSize?: [number, number];
  stdin: boolean;
  /** Absent for the `none` log driver: the output is not kept. */
  logFile?: string;
  /** json-file rotation (PROTOCOL.md `log_max_size`, `log_max_files`); absent: the file grows without bound. */
  logRotation?: { maxSize: number; maxFiles: number };
  exitFile: string;
  /** For other tools; the engine takes the pid from the ready report and sets none (it costs an fsync per start). */
  pidFile?: string;
  socket: string;
  exitCommand: string[];
  /** The health check the shim runs while the container does (native/shim/health.c). */
  health?: ShimHealthCheck;
}

/** docker's masked and read-only paths for a container that is not privileged. */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi',
  '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Collects spec records in order: a value, a list (the key repeated) or a flag (1/0). */
export class SpecWriter {
  private readonly out: string[] = [];

  one(key: string, value: string): void {
    if (value.includes('\0')) throw new InvalidArgumentError(`${key} must not contain a NUL byte`);
    this.out.push(`${key}=${value}\0`);
  }

  many(key: string, values: readonly string[]): void {
    for (const v of values) this.one(key, v);
  }

  flag(key: string, on: boolean): void {
    this.one(key, on ? '1' : '0');
  }

  bytes(): Buffer {
    return Buffer.from(this.out.join(''), 'utf8');
  }
}

function netnsValue(network: ShimSpec['network']): string {
  if (typeof network === 'string') return network;
  if (!network.path.startsWith('/')) throw new InvalidArgumentError(`network namespace path must be absolute: ${network.path}`);
  return network.path;
}

function portValue(p: PortReservation): string {
  if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw new InvalidArgumentError(`invalid port protocol: ${String(p.protocol)}`);
  if (!isIPv4(p.hostIp)) throw new InvalidArgumentError(`invalid host IP for a published port: "${p.hostIp}" (an IPv4 address)`);
  if (!Number.isInteger(p.hostPort) || p.hostPort < 1 || p.hostPort > 65535) throw new InvalidArgumentError(`invalid host port: ${p.hostPort}`);
  return `${p.protocol}\t${p.hostIp}\t${p.hostPort}`;
}

export function encodeShimSpec(s: ShimSpec): Buffer {
  const w = new SpecWriter();
  const one = w.one.bind(w);
  const many = w.many.bind(w);
  one('id', s.id);
  one('rootfs', s.rootfs);
  many('lower', s.lowerDirs);
  one('upper', s.upperDir);
  one('work', s.workDir);
  w.flag('readonly_rootfs', s.readonlyRootfs);
  one('hostname', s.hostname);
  many('arg', s.args);
  many('env', s.env);
  one('cwd', s.cwd);
  one('user', s.user);
  many('cap', s.capabilities);
  w.flag('no_new_privs', s.noNewPrivileges);
  one('netns', netnsValue(s.network));
  for (const p of s.portReservations ?? []) one('port', portValue(p));
  many('mask', s.maskedPaths);
  many('readonly', s.readonlyPaths);
  for (const b of s.binds) {
    if (b.source.includes('\t') || b.destination.includes('\t')) {
      throw new InvalidArgumentError(`mount paths must not contain a tab: ${b.source}`);
    }
    one('bind', `${b.source}\t${b.destination}\t${b.readonly ? 'ro' : 'rw'}`);
  }
  for (const t of s.tmpfs ?? []) {
    if (t.destination.includes('\t') || t.data.includes('\t')) throw new InvalidArgumentError(`mount paths must not contain a tab: ${t.destination}`);
    one('tmpfs', `${t.destination}\t${t.flags}\t${t.data}`);
  }
  w.flag('sysfs_rw', s.sysfsReadWrite);
  many('cgroup_procs', s.cgroupProcs);
  many('cgroup_tasks', s.cgroupTasks);
  w.flag('tty', s.tty);
  if (s.consoleSize) {
    one('tty_rows', String(s.consoleSize[0]));
    one('tty_cols', String(s.consoleSize[1]));
  }
  w.flag('stdin', s.stdin);
  if (s.logFile) one('log', s.logFile);
  if (s.logFile && s.logRotation) {
    one('log_max_size', String(s.logRotation.maxSize));
    one('log_max_files', String(s.logRotation.maxFiles));
  }
  one('exit_file', s.exitFile);
  if (s.pidFile) one('pid_file', s.pidFile);
  one('socket', s.socket);
  many('exit_cmd', s.exitCommand);
  if (s.health) {
    many('health_cmd', s.health.cmd);
    one('health_interval_ms', String(s.health.intervalMs));
    one('health_timeout_ms', String(s.health.timeoutMs));
    one('health_start_period_ms', String(s.health.startPeriodMs));
    one('health_retries', String(s.health.retries));
    one('health_file', s.health.file);
  }
  return w.bytes();
}
