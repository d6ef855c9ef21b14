/**
 * Turns a container record into the spec its supervisor runs: the environment,
 * capabilities, masked paths and files docker gives every container.
 */
import type { ContainerRecord } from '../container/record.js';
import { logRotation } from '../container/log-options.js';
import { jsonLogPath } from '../container/log-files.js';
import { shimHealthCheck } from '../container/health.js';
import { containerBinds, containerTmpfs } from '../volume/container-mounts.js';
import type { StartNetwork } from '../network/container-network.js';
import { MASKED_PATHS, READONLY_PATHS, type BindMount, type ShimSpec } from './shim-spec.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The environment a container's process sees, as docker's daemon builds it. */
export function processEnv(rec: ContainerRecord): string[] {
  const env = [...rec.Config.Env];
  const has = (k: string): boolean => env.some((e) => e.startsWith(`${k}=`));
  const extra: string[] = [];
  if (!has('PATH')) extra.push(DEFAULT_PATH);
  if (!has('HOSTNAME')) extra.push(`HOSTNAME=${rec.Config.Hostname}`);
  if (rec.Config.Tty && !has('TERM')) extra.push('TERM=xterm');
  return [...extra, ...env];
}

/** Merges K=V lists: later entries replace earlier ones with the same key, keeping first positions. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  for (const e of overrides) {
    const key = e.slice(0, e.indexOf('='));
    const i = out.findIndex((x) => x.slice(0, x.indexOf('=')) === key);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

export interface ContainerFiles {
  dir: string;
  lowerDirs: string[];
  socket: string;
  /** Where the container joins its cgroup: cgroup.procs files (the shim writes its pid) and v1 tasks files (it writes itself). */
  cgroup: { procs: string[]; tasks: string[] };
  /** /etc files made for the container (hosts, hostname, resolv.conf), bound over the image's. */
  etcBinds: BindMount[];
  exitCommand: string[];
  /** The capability set, already clamped to what the host can give. */
  capabilities: string[];
  /** The namespace to run in, host ports to hold and link variables (network/container-network.ts). */
  network: StartNetwork;
}

/** Where the output goes and how it rotates; nothing for the `none` driver. */
function jsonLog(rec: ContainerRecord, dir: string): Pick<ShimSpec, 'logFile' | 'logRotation'> {
  const rotation = logRotation(rec.HostConfig.LogConfig);
  return rotation ? { logFile: jsonLogPath(dir, rec.Id), logRotation: rotation } : {};
}

export function buildShimSpec(rec: ContainerRecord, files: ContainerFiles): ShimSpec {
  const privileged = rec.HostConfig.Privileged;
  const at = (name: string): string => `${files.dir}/${name}`;
  return {
    id: rec.Id,
    rootfs: at('rootfs'),
    lowerDirs: files.lowerDirs,
    upperDir: at('upper'),
    workDir: at('work'),
    readonlyRootfs: rec.HostConfig.ReadonlyRootfs,
    hostname: rec.Config.Hostname,
    args: [rec.Path, ...rec.Args],
    env: mergeEnv(files.network.env, processEnv(rec)),
    cwd: rec.Config.WorkingDir || '/',
    user: rec.Config.User,
    capabilities: files.capabilities,
    noNewPrivileges: !privileged,
    network: files.network.network,
    portReservations: files.network.ports.map(({ protocol, hostIp, hostPort }) => ({ protocol, hostIp, hostPort })),
    maskedPaths: privileged ? [] : MASKED_PATHS,
    readonlyPaths: privileged ? [] : READONLY_PATHS,
    binds: [...files.etcBinds, ...containerBinds(rec)],
    tmpfs: containerTmpfs(rec),
    sysfsReadWrite: privileged,
    cgroupProcs: files.cgroup.procs,
    cgroupTasks: files.cgroup.tasks,
    tty: rec.Config.Tty,
    consoleSize: rec.HostConfig.ConsoleSize,
    stdin: rec.Config.OpenStdin,
    ...jsonLog(rec, files.dir),
    exitFile: at('exit.json'),
    socket: files.socket,
    exitCommand: files.exitCommand,
    ...(() => {
      const health = shimHealthCheck(rec.Config.Healthcheck, files.dir);
      return health ? { health } : {};
    })(),
  };
}
