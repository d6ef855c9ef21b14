/**
 * Running berth in tests: a temporary state root per test file, the CLI binary,
 * and images built from busybox-static.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../../src/engine.js';
import { repoRoot } from './env.js';
import { claimTestBridge } from './test-network.js';
import { busyboxTar } from './busybox.js';

export { busyboxTar };

export const cliPath = path.join(repoRoot, 'bin', 'berth.js');
/** The command users run (bin/berth, the launcher in front of cliPath). */
export const launcherPath = path.join(repoRoot, 'bin', 'berth');

export interface TestRoot {
  root: string;
  runRoot: string;
  engine: Engine;
  /** The root's default bridge and its subnet (test/helpers/test-network.ts). */
  bridge: string;
  subnet: string;
  /** Runs the berth CLI against this root. */
  cli(args: string[], opts?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeout?: number }): CliResult;
  /** Starts the berth CLI without waiting for it. */
  spawnCli(args: string[]): ReturnType<typeof spawn>;
  /** Removes every container of this root and the root itself. */
  cleanup(): Promise<void>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function makeTestRoot(): TestRoot {
  const root = mkdtempSync('/tmp/berth-it-');
  const runRoot = path.join(root, 'run');
  const bridge = claimTestBridge();
  const engine = new Engine({ root, runRoot, defaultBridge: { name: bridge.name, subnet: bridge.subnet } });
  const base = ['--root', root, '--run-root', runRoot];
  const bridgeEnv = { BERTH_BRIDGE: bridge.name, BERTH_BRIDGE_SUBNET: bridge.subnet };
  // Every berth a test starts by hand (spawnSync of the CLI, `script`) uses this root's bridge too.
  Object.assign(process.env, bridgeEnv);
  return {
    root,
    runRoot,
    engine,
    bridge: bridge.name,
    subnet: bridge.subnet,
    cli(args, opts = {}) {
      const r: SpawnSyncReturns<string> = spawnSync(launcherPath, [...base, ...args], {
        input: opts.input,
        env: { ...process.env, ...bridgeEnv, ...opts.env },
        encoding: 'utf8',
        timeout: opts.timeout ?? 60_000,
      });
      return { code: r.status ?? (r.signal ? 128 : -1), stdout: r.stdout, stderr: r.stderr };
    },
    spawnCli(args) {
      return spawn(launcherPath, [...base, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...bridgeEnv } });
    },
    async cleanup() {
      for (const c of await engine.list({ all: true }).catch(() => [])) {
        await engine.remove(c.Id, { force: true }).catch(() => undefined);
      }
      for (const n of await engine.listNetworks().catch(() => [])) {
        if (!['bridge', 'host', 'none'].includes(n.Name)) await engine.removeNetwork(n.Id).catch(() => undefined);
      }
      await engine.close();
      bridge.release(root);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Imports busybox as `busybox:test` (CMD sh) into the test root. */
export function importBusybox(t: TestRoot): string {
  const tar = busyboxTar(t.root);
  const r = t.cli(['import', '--change', 'CMD ["sh"]', tar, 'busybox:test']);
  if (r.code !== 0) throw new Error(`berth import failed: ${r.stderr}`);
  return 'busybox:test';
}

/**
 * A test root with busybox imported, made before a suite's tests and removed (containers and
 * all) after them. Call at the top of a describe; the returned function gives the root once
 * beforeAll has run.
 */
export function busyboxSuite(): () => { t: TestRoot; img: string } {
  let made: { t: TestRoot; img: string } | undefined;
  beforeAll(() => {
    const t = makeTestRoot();
    made = { t, img: importBusybox(t) };
  });
  afterAll(async () => {
    await made?.t.cleanup();
  });
  return () => {
    if (!made) throw new Error('busyboxSuite: the suite has not started');
    return made;
  };
}
