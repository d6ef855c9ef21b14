/** After the whole suite: fail if berth left a mount, a supervisor or a cgroup behind. */
import { isRoot } from './env.js';
import { leftoverCgroups, leftoverMounts, leftoverShims } from './leaks.js';

export function setup(): void {}

export function teardown(): void {
  if (!isRoot) {
    process.stderr.write('leak check skipped: it needs root to see cgroups and mounts\n');
    return;
  }
  const problems = [
    ...leftoverMounts().map((m) => `mount: ${m}`),
    ...leftoverShims().map((p) => `berth-shim process: ${p}`),
    ...leftoverCgroups().map((c) => `cgroup: ${c}`),
  ];
  if (problems.length > 0) {
    throw new Error(`berth left these behind after the suite:\n${problems.join('\n')}`);
  }
  process.stderr.write('leak check: no berth mount, supervisor or cgroup left behind\n');
}
