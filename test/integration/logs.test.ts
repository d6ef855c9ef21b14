/**
 * `berth logs` and json-file rotation with real containers, through the CLI binary and the Engine.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { busyboxSuite, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z $/;

describe.skipIf(skipIntegration('berth logs'))('berth logs', () => {
  const suite = busyboxSuite();
  let t: TestRoot;
  let img: string;
  beforeAll(() => {
    ({ t, img } = suite());
  });

  /** Starts a detached container and returns its id. */
  const detached = (args: string[]): string => {
    const r = t.cli(['run', '-d', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const exited = (args: string[]): string => {
    const id = detached(args);
    expect(t.cli(['wait', id]).stdout.trim()).toBe('0');
    return id;
  };
  const logFiles = (id: string): string[] => readdirSync(path.join(t.root, 'containers', id)).filter((f) => f.startsWith(`${id}-json.log`));

  /** Polls the CLI until `done` holds for a logs call's stdout (or gives up after a long while). */
  const logsUntil = async (id: string, done: (out: string) => boolean): Promise<string> => {
    for (let i = 0; i < 200; i++) {
      const out = t.cli(['logs', id]).stdout;
      if (done(out)) return out;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`logs of ${id} never reached the expected state`);
  };

  /** Runs `berth logs ARGS` without waiting, resolving with its streams when it ends. */
  const spawnLogs = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = t.spawnCli(['logs', ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('keeps logging after the CLI that started the container has gone', async () => {
    const id = detached([img, 'sh', '-c', 'while true; do date; sleep 1; done']);
    const first = await logsUntil(id, (out) => out.split('\n').length > 1);
    const later = await logsUntil(id, (out) => out.split('\n').length > first.split('\n').length);
    expect(later.startsWith(first)).toBe(true);
    expect(t.cli(['rm', '-f', id]).code).toBe(0);
  });

  it('keeps stdout and stderr apart', () => {
    const id = exited([img, 'sh', '-c', 'echo out1; echo err1 >&2; echo out2; echo err2 >&2']);
    const r = t.cli(['logs', id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('out1\nout2\n');
    expect(r.stderr).toBe('err1\nerr2\n');
  });

  it('follows a container until it exits, then ends with all its output', async () => {
    const id = detached([img, 'sh', '-c', 'echo start; sleep 1; echo middle >&2; sleep 1; echo end']);
    const r = await spawnLogs(['-f', id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('start\nend\n');
    expect(r.stderr).toBe('middle\n');
  });

  it('shows the last lines with --tail, timestamps with -t', () => {
    const id = exited([img, 'seq', '1', '10']);
    expect(t.cli(['logs', '--tail', '3', id]).stdout).toBe('8\n9\n10\n');
    expect(t.cli(['logs', '-n', '0', id]).stdout).toBe('');
    expect(t.cli(['logs', '--tail', 'all', id]).stdout.split('\n')).toHaveLength(11);
    expect(t.cli(['logs', '--tail', '50', id]).stdout.split('\n')).toHaveLength(11);
    const stamped = t.cli(['logs', '-t', '--tail', '2', id]).stdout.split('\n').filter(Boolean);
    expect(stamped).toHaveLength(2);
    for (const [i, line] of stamped.entries()) {
      expect(line.slice(0, 31)).toMatch(TIMESTAMP);
      expect(line.slice(31)).toBe(String(9 + i));
    }
    // --details adds the (empty) attributes and a space, as docker does.
    expect(t.cli(['logs', '--details', '--tail', '1', id]).stdout).toBe(' 10\n');
  });

  it('filters by --since and --until: RFC 3339 times, unix times and durations', () => {
    const id = exited([img, 'sh', '-c', 'for i in 1 2 3 4 5 6; do echo $i; sleep 0.01; done']);
    const stamped = t.cli(['logs', '-t', id]).stdout.split('\n').filter(Boolean);
    const at = (n: number): string => stamped[n - 1]!.slice(0, 30);
    expect(t.cli(['logs', '--since', at(4), id]).stdout).toBe('4\n5\n6\n');
    expect(t.cli(['logs', '--until', at(2), id]).stdout).toBe('1\n2\n');
    expect(t.cli(['logs', '--since', at(2), '--until', at(3), id]).stdout).toBe('2\n3\n');
    const unix = (iso: string): string => `${Math.floor(Date.parse(iso) / 1000)}.${iso.slice(20, 29)}`;
    expect(t.cli(['logs', '--since', unix(at(5)), id]).stdout).toBe('5\n6\n');
    expect(t.cli(['logs', '--since', '1h', id]).stdout).toBe('1\n2\n3\n4\n5\n6\n');
    expect(t.cli(['logs', '--until', '1h', id]).stdout).toBe('');
    const bad = t.cli(['logs', '--since', 'soon', id]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toBe('berth: failed to parse value as time or duration: "soon"\n');
  });

  it('rotates by max-size and max-file and still shows the newest lines in order', () => {
    const id = exited(['--log-opt', 'max-size=2k', '--log-opt', 'max-file=3', img, 'sh', '-c', 'i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo line-$i; done']);
    const files = logFiles(id);
    expect(files.sort()).toEqual([`${id}-json.log`, `${id}-json.log.1`, `${id}-json.log.2`]);
    for (const f of files) expect(statSync(path.join(t.root, 'containers', id, f)).size).toBeLessThanOrEqual(2048);
    // The rotated files are full: each holds about max-size.
    expect(statSync(path.join(t.root, 'containers', id, `${id}-json.log.2`)).size).toBeGreaterThan(1900);
    const lines = t.cli(['logs', id]).stdout.split('\n').filter(Boolean);
    const numbers = lines.map((l) => Number(l.replace('line-', '')));
    expect(numbers.at(-1)).toBe(400);
    expect(numbers.length).toBeLessThan(400);
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
    expect(t.cli(['logs', '--tail', '60', id]).stdout.split('\n').filter(Boolean)).toEqual(lines.slice(-60));
  });

  it('follows across rotations', async () => {
    // Enough files that none is dropped before the follower reads it: every line must arrive.
    const id = detached([
      '--log-opt', 'max-size=1k', '--log-opt', 'max-file=30', img, 'sh', '-c',
      'i=0; while [ $i -lt 200 ]; do i=$((i+1)); echo line-$i; [ $((i % 20)) = 0 ] && sleep 0.3; done; true',
    ]);
    const r = await spawnLogs(['-f', id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(Array.from({ length: 200 }, (_, i) => `line-${i + 1}\n`).join(''));
    expect(logFiles(id).length).toBeGreaterThan(5);
  });

  it('refuses to read a container with the none driver, which keeps no file', () => {
    const id = exited(['--log-driver', 'none', img, 'echo', 'hi']);
    const r = t.cli(['logs', id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe('berth: configured logging driver does not support reading\n');
    expect(logFiles(id)).toEqual([]);
  });

  it('refuses log options json-file does not know, at create', async () => {
    const r = t.cli(['create', '--log-opt', 'colour=red', img]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe("berth: unknown log opt 'colour' for json-file log driver\n");
    await expect(t.engine.create({ image: img, logConfig: { Type: 'json-file', Config: { 'max-file': '0', 'max-size': '1m' } } })).rejects.toThrow(
      'max-file cannot be less than 1',
    );
  });

  it('gives library users entries, and stops following when the signal aborts', async () => {
    const id = exited([img, 'sh', '-c', 'echo a; echo b >&2']);
    const entries = [];
    for await (const e of await t.engine.logs(id)) entries.push(e);
    expect(entries.map((e) => [e.stream, e.data.toString()])).toEqual([['stdout', 'a\n'], ['stderr', 'b\n']]);
    expect(entries[0]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);

    const running = detached([img, 'sh', '-c', 'echo ready; exec sleep 60']);
    const abort = new AbortController();
    const seen: string[] = [];
    for await (const e of await t.engine.logs(running, { follow: true, signal: abort.signal })) {
      seen.push(e.data.toString());
      abort.abort();
    }
    expect(seen).toEqual(['ready\n']);
    await t.engine.remove(running, { force: true });
    await expect(t.engine.logs('no-such-container')).rejects.toThrow('No such container: no-such-container');
    await expect(t.engine.logs(id, { since: 'yesterday' })).rejects.toThrow(/^since: must be unix seconds/);
  });
});
