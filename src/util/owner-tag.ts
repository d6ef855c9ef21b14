/**
 * Names of temporary files and dirs carry the identity of the process that made
 * them (pid and start time), so a cleaner can tell a dead writer's leftovers from
 * work another live process (CLI or daemon) still has in progress.
 */
import { processStartTime } from '../runtime/process-identity.js';

let own: string | undefined;

/** `<pid>.<starttime>` of this process. */
export function ownerTag(): string {
  own ??= `${process.pid}.${processStartTime(process.pid) ?? 0}`;
  return own;
}

/** False when the tag is malformed or names a process that no longer runs (a recycled pid has another start time). */
export function isOwnerTagAlive(tag: string): boolean {
  const m = /^(\d+)\.(\d+)$/.exec(tag);
  if (!m) return false;
  const start = processStartTime(Number(m[1]));
  return start !== undefined && start === Number(m[2]);
}
