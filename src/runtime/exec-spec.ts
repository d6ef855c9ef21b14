/**
 * The spec of an exec: berth-shim in exec mode (native/shim/PROTOCOL.md "Exec mode") joins a
 * running container's namespaces and cgroups instead of building a container.
 */
import { specRecord } from './shim-spec.js';

export interface ExecShimSpec {
  /** Host pid of the container's first process: its namespaces are joined. */
  containerPid: number;
  /** Its start time (process-identity.ts): the shim refuses a pid that now names another process. */
  containerStartTime: number;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  capabilities: string[];
  noNewPrivileges: boolean;
  cgroupProcs: string[];
  cgroupTasks: string[];
  tty: boolean;
  consoleSize?: [number, number];
  stdin: boolean;
  exitFile: string;
  socket: string;
}

export function encodeExecSpec(s: ExecShimSpec): Buffer {
  const out: string[] = [];
  const one = (k: string, v: string): void => {
    out.push(specRecord(k, v));
  };
  const many = (k: string, vs: readonly string[]): void => {
    for (const v of vs) one(k, v);
  };
  one('exec_pid', String(s.containerPid));
  if (s.containerStartTime > 0) one('exec_pid_start', String(s.containerStartTime));
  many('arg', s.args);
  many('env', s.env);
  one('cwd', s.cwd);
  one('user', s.user);
  many('cap', s.capabilities);
  one('no_new_privs', s.noNewPrivileges ? '1' : '0');
  many('cgroup_procs', s.cgroupProcs);
  many('cgroup_tasks', s.cgroupTasks);
  one('tty', s.tty ? '1' : '0');
  if (s.consoleSize) {
    one('tty_rows', String(s.consoleSize[0]));
    one('tty_cols', String(s.consoleSize[1]));
  }
  one('stdin', s.stdin ? '1' : '0');
  one('exit_file', s.exitFile);
  one('socket', s.socket);
  return Buffer.from(out.join(''), 'utf8');
}
