/** After the whole suite: fail if berth left a mount, a supervisor, a cgroup, a link or an nftables table behind. */
import { isRoot } from './env.js';
import { leftoverCgroups, leftoverLinks, leftoverMounts, leftoverNftTables, leftoverShims } from './leaks.js';

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
    ...leftoverLinks().map((l) => `network link: ${l}`),
    ...leftoverNftTables().map((t) => `nftables: ${t}`),
  ];
  if (problems.length > 0) {
    throw new Error(`berth left these behind after the suite:\n${problems.join('\n')}`);
  }
  process.stderr.write('leak check: no berth mount, supervisor, cgroup, link or nftables table left behind\n');
}
