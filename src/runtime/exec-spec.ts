/**
 * The spec of an exec: berth-shim in exec mode (native/shim/PROTOCOL.md "Exec mode") joins a
 * running container's namespaces and cgroups instead of building a container.
 */
import { SpecWriter, type ShimSpec } from './shim-spec.js';

/** The process part of a container's spec, plus the running container process to join. */
export interface ExecShimSpec
  extends Pick<
    ShimSpec,
    'args' | 'env' | 'cwd' | 'user' | 'capabilities' | 'noNewPrivileges' | 'cgroupProcs' | 'cgroupTasks' | 'tty' | 'consoleSize' | 'stdin' | 'exitFile' | 'socket'
  > {
  /** Host pid of the container's first process: its namespaces are joined. */
  containerPid: number;
  /** Its start time (process-identity.ts): the shim refuses a pid that now names another process. */
  containerStartTime: number;
}

export function encodeExecSpec(s: ExecShimSpec): Buffer {
  const w = new SpecWriter();
  const one = w.one.bind(w);
  const many = w.many.bind(w);
  one('exec_pid', String(s.containerPid));
  if (s.containerStartTime > 0) one('exec_pid_start', String(s.containerStartTime));
  many('arg', s.args);
  many('env', s.env);
  one('cwd', s.cwd);
  one('user', s.user);
  many('cap', s.capabilities);
  w.flag('no_new_privs', s.noNewPrivileges);
  many('cgroup_procs', s.cgroupProcs);
  many('cgroup_tasks', s.cgroupTasks);
  w.flag('tty', s.tty);
  if (s.consoleSize) {
    one('tty_rows', String(s.consoleSize[0]));
    one('tty_cols', String(s.consoleSize[1]));
  }
  w.flag('stdin', s.stdin);
  one('exit_file', s.exitFile);
  one('socket', s.socket);
  return w.bytes();
}
