/**
 * A process identified by pid and start time, so a recycled pid is never taken
 * for the process berth started (and never signalled by mistake).
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
  startTime: number;
}

/** The fields of /proc/PID/stat after the command name, or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function processStartTime(pid: number): number | undefined {
  const start = statFields(pid)?.[19];
  return start === undefined ? undefined : Number(start);
}

export function identify(pid: number): ProcessIdentity | undefined {
  const startTime = processStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}

/** True while the very process berth started runs: same pid, same start time, not a zombie. */
export function isAlive(p: ProcessIdentity): boolean {
  const fields = statFields(p.pid);
  if (!fields || Number(fields[19]) !== p.startTime) return false;
  return fields[0] !== 'Z' && fields[0] !== 'X';
}
