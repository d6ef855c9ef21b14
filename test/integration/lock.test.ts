/**
 * withLock: exclusive between processes (flock) and within one (queued), and
 * reentrant for a holder that locks the same file again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { withLock } from '../../src/util/lock.js';
import { repoRoot, skipIntegration } from '../helpers/env.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipIntegration('lock'))('withLock', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync('/tmp/berth-lock-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs holders in one process one at a time, in order', async () => {
    const file = path.join(dir, 'a', 'lock');
    const events: string[] = [];
    let inside = 0;
    await Promise.all(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
        withLock(file, async () => {
          inside++;
          expect(inside).toBe(1);
          events.push(`in${i}`);
          await sleep(5);
          events.push(`out${i}`);
          inside--;
        }),
      ),
    );
    expect(events).toEqual([0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [`in${i}`, `out${i}`]));
  });

  it('lets a holder lock the same file again, and releases on throw', async () => {
    const file = path.join(dir, 'lock');
    const value = await withLock(file, () => withLock(file, async () => 42));
    expect(value).toBe(42);
    await expect(withLock(file, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withLock(file, async () => 'free again')).toBe('free again');
  });

  it('waits for another process holding the lock', async () => {
    const file = path.join(dir, 'shared.lock');
    const addonPath = path.join(repoRoot, 'build', 'Release', 'berth_native.node');
    const script = `
      const a = require(${JSON.stringify(addonPath)});
      a.setErrorClass(Error);
      const fd = require('fs').openSync(${JSON.stringify(file)}, 'a+');
      a.flock(fd, 2).then(() => { process.stdout.write('locked\\n'); setTimeout(() => process.exit(0), 400); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const start = Date.now();
    const waited = await withLock(file, async () => Date.now() - start);
    // The child holds the lock for 400 ms after saying so; the kernel frees it when the child dies.
    expect(waited).toBeGreaterThanOrEqual(300);
    await exited;
  });
});
