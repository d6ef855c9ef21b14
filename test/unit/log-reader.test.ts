/** The json-file reader over files a test writes and rotates as the shim does (no container needed). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { repoRoot } from '../helpers/env.js';
import { readJsonLog, type LogReadOptions } from '../../src/container/log-reader.js';

const ID = 'c'.repeat(64);
let dir: string;
let log: string;

function entry(text: string, n: number, stream = 'stdout'): string {
  const time = `2026-11-23T10:00:${String(n % 60).padStart(2, '0')}.${String(n).padStart(9, '0')}Z`;
  return `${JSON.stringify({ log: `${text}\n`, stream, time })}\n`;
}

async function collect(o: LogReadOptions): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readJsonLog(dir, ID, o)) for (const e of batch) out.push(e.data.toString().trimEnd());
  return out;
}

beforeEach(() => {
  dir = mkdtempSync('/tmp/berth-logreader-');
  log = path.join(dir, `${ID}-json.log`);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('readJsonLog', () => {
  beforeEach(() => {
    writeFileSync(`${log}.2`, entry('l1', 1) + entry('l2', 2));
    writeFileSync(`${log}.1`, entry('l3', 3) + entry('l4', 4));
    writeFileSync(log, entry('l5', 5) + entry('l6', 6, 'stderr'));
  });

  it('reads rotated files oldest first', async () => {
    expect(await collect({})).toEqual(['l1', 'l2', 'l3', 'l4', 'l5', 'l6']);
  });

  it('counts --tail across files', async () => {
    expect(await collect({ tail: 3 })).toEqual(['l4', 'l5', 'l6']);
    expect(await collect({ tail: 2 })).toEqual(['l5', 'l6']);
    expect(await collect({ tail: 0 })).toEqual([]);
    expect(await collect({ tail: 99 })).toEqual(['l1', 'l2', 'l3', 'l4', 'l5', 'l6']);
  });

  it('filters by since and until, bounds included', async () => {
    const at = (n: number): string => `2026-11-23T10:00:${String(n).padStart(2, '0')}.${String(n).padStart(9, '0')}Z`;
    expect(await collect({ since: at(3), until: at(5) })).toEqual(['l3', 'l4', 'l5']);
    expect(await collect({ tail: 4, since: at(4) })).toEqual(['l4', 'l5', 'l6']);
  });

  it('follows across rotations, then ends at the exit record', async () => {
    const exitFile = path.join(dir, 'exit.json');
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of readJsonLog(dir, ID, { tail: 1, follow: { exitFile, running: async () => true } })) {
        for (const e of batch) seen.push(e.data.toString().trimEnd());
      }
    })();
    const until = async (n: number): Promise<void> => {
      for (let i = 0; i < 500 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(1);
    // A line written in two parts is shown once it is complete.
    const half = entry('l7', 7);
    appendFileSync(log, half.slice(0, 10));
    appendFileSync(log, half.slice(10));
    await until(2);
    // Rotation as the shim does it: the current file moves to .1 after its last entry.
    appendFileSync(log, entry('l8', 8));
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, entry('l9', 9));
    await until(4);
    // Two rotations before the reader looks again: it goes through the file between.
    appendFileSync(log, entry('l10', 10));
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, entry('l11', 11));
    renameSync(`${log}.1`, `${log}.2`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, entry('l12', 12));
    await until(7);
    writeFileSync(exitFile, '{}');
    await reading;
    expect(seen).toEqual(['l6', 'l7', 'l8', 'l9', 'l10', 'l11', 'l12']);
  });

  it('follows a log kept in one file (max-file=1), removed and begun anew', async () => {
    rmSync(`${log}.1`);
    rmSync(`${log}.2`);
    const exitFile = path.join(dir, 'exit.json');
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of readJsonLog(dir, ID, { follow: { exitFile, running: async () => true } })) {
        for (const e of batch) seen.push(e.data.toString().trimEnd());
      }
    })();
    for (let i = 0; i < 500 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    unlinkSync(log);
    writeFileSync(log, entry('l7', 7));
    for (let i = 0; i < 500 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    writeFileSync(exitFile, '{}');
    await reading;
    expect(seen).toEqual(['l5', 'l6', 'l7']);
  });

  it('stops following when the container is gone without an exit record, or when aborted', async () => {
    expect(await collect({ tail: 1, follow: { exitFile: path.join(dir, 'exit.json'), running: async () => false } })).toEqual(['l6']);
    const abort = new AbortController();
    abort.abort();
    expect(await collect({ follow: { exitFile: path.join(dir, 'exit.json'), running: async () => true, signal: abort.signal } })).toHaveLength(6);
  });

  it('follows a writer that rotates fast without skipping or repeating a file', async () => {
    // Each round races a separate writer process; a listing taken mid-rotation used to make the
    // follower skip a file or start over from the oldest one.
    const writer = path.join(repoRoot, 'test', 'fixtures', 'rotating-log-writer.mjs');
    for (let round = 0; round < 8; round++) {
      const sub = mkdtempSync(path.join(dir, 'r-'));
      const child = spawn(process.execPath, [writer, sub, ID, '400', '1024', '100'], { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      const got: string[] = [];
      for await (const batch of readJsonLog(sub, ID, { follow: { exitFile: path.join(sub, 'exit.json'), running: async () => true } })) {
        for (const e of batch) got.push(e.data.toString().trimEnd());
      }
      await exited;
      expect(got).toEqual(Array.from({ length: 400 }, (_, i) => `line-${i + 1}`));
    }
  }, 60_000);
});
