/**
 * Pausing a container: the cgroup freezer (v1 freezer.state, v2 cgroup.freeze). Freezing
 * is asynchronous in the kernel, so both wait until the cgroup reports itself frozen.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { ConflictError, UnavailableError } from '../errors.js';
import { hostCgroupFs, readCgroupFile, writeCgroupFile, type CgroupFs } from './fs.js';
import { controllerDir } from './handle.js';
import type { CgroupHandle } from './types.js';

const SETTLE_MS = 5_000;

/** Whether the kernel reports the cgroup as wanted: frozen (true) or thawed (false). */
async function reached(fs: CgroupFs, handle: CgroupHandle, dir: string, frozen: boolean): Promise<boolean> {
  if (handle.version === 2) {
    const events = await readCgroupFile(fs, dir, 'cgroup.events');
    return new RegExp(`^frozen ${frozen ? 1 : 0}$`, 'm').test(events);
  }
  const state = (await readCgroupFile(fs, dir, 'freezer.state')).trim();
  return frozen ? state === 'FROZEN' : state === 'THAWED';
}

/** Freezes (pause) or thaws (unpause) every process of the container's cgroup. */
export async function setFrozen(handle: CgroupHandle, frozen: boolean, fs: CgroupFs = hostCgroupFs): Promise<void> {
  const dir = controllerDir(handle, 'freezer');
  if (dir === undefined) throw new UnavailableError('the freezer cgroup controller is not mounted on this host: cannot pause containers');
  const deadline = Date.now() + SETTLE_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 100)) {
    // v1 may fall back to FREEZING when a task is busy; writing again retries it.
    if (handle.version === 2) await writeCgroupFile(fs, dir, 'cgroup.freeze', frozen ? '1' : '0');
    else await writeCgroupFile(fs, dir, 'freezer.state', frozen ? 'FROZEN' : 'THAWED');
    if (await reached(fs, handle, dir, frozen)) return;
    if (Date.now() > deadline) {
      if (frozen) await setFrozen(handle, false, fs).catch(() => undefined);
      throw new ConflictError(`cgroup: ${path.posix.join(dir)} did not become ${frozen ? 'frozen' : 'thawed'} within ${SETTLE_MS / 1000}s`);
    }
    await sleep(delay);
  }
}
