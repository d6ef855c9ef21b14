/**
 * docker's restart policies: whether an exited container starts again, and after how long.
 * The delay starts at 100 ms and doubles with every restart in a row, up to a minute; a
 * container that ran for 10 s or more starts the series afresh (moby's restartmanager).
 */
import type { ContainerRecord } from './record.js';

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
const HEALTHY_RUN_MS = 10_000;

/**
 * Whether the policy restarts a container that exited with exitCode. A container stopped by
 * `stop`/`kill` (stoppedByUser) is never restarted, as docker's HasBeenManuallyStopped.
 */
export function shouldRestart(rec: ContainerRecord, exitCode: number): boolean {
  if (rec.Runtime.stoppedByUser || rec.HostConfig.AutoRemove) return false;
  const policy = rec.HostConfig.RestartPolicy;
  switch (policy.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (policy.MaximumRetryCount === 0 || rec.RestartCount < policy.MaximumRetryCount);
    default:
      return false;
  }
}

/** The wait before the next restart, given the previous one and how long the container ran. */
export function nextRestartDelay(previousMs: number, ranMs: number): number {
  if (ranMs >= HEALTHY_RUN_MS || previousMs === 0) return FIRST_DELAY_MS;
  return Math.min(previousMs * 2, MAX_DELAY_MS);
}

/** Whether `system boot` (or a daemon's start) starts the container: always, and unless-stopped unless stopped by hand. */
export function startsAtBoot(rec: ContainerRecord): boolean {
  const name = rec.HostConfig.RestartPolicy.Name;
  return name === 'always' || (name === 'unless-stopped' && !rec.Runtime.stoppedByUser);
}
