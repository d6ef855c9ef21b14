/**
 * Listing, side by side in one run: `berth ps -a` against `docker ps -a` (dockerd from
 * Debian's docker.io), each over N created containers (default 200). Prints medians and the
 * ratio (berth ÷ docker), and berth's in-process engine.list for the share of Node's start.
 * Run as root: `npm run bench:ps`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine } from '../src/engine.js';
import { busyboxTar } from '../test/helpers/berth.js';
import { repoRoot } from '../test/helpers/env.js';
import { ensureDocker, median, ownMemoryCgroup, startDockerd, stopDockerd, type Dockerd } from './peers.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const COUNT = Number(process.env['BENCH_CONTAINERS'] ?? 200);
const cli = path.join(repoRoot, 'bin', 'berth.js');

function must(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

interface Timed {
  label: string;
  cmd: string;
  args: string[];
  /** Rows the listing must print (a header more), so an empty or failed listing is not timed. */
  rows?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Medians of each command, run in turns (A B C A B C …) so that a busy moment of a shared
 * host weighs on all of them alike.
 */
function timeInTurns(commands: Timed[]): Map<string, number> {
  const times = new Map<string, number[]>(commands.map((c) => [c.label, []]));
  for (const c of commands) {
    const rows = must(c.cmd, c.args, c.env).trimEnd().split('\n').length - 1;
    if (c.rows !== undefined && rows !== c.rows) throw new Error(`${c.label} listed ${rows} rows, not ${c.rows}`);
  }
  for (let i = 0; i < RUNS; i++) {
    for (const c of commands) {
      const t0 = performance.now();
      must(c.cmd, c.args, c.env);
      times.get(c.label)!.push(performance.now() - t0);
    }
  }
  const medians = new Map<string, number>();
  for (const [label, ts] of times) {
    medians.set(label, median(ts));
    console.log(`${label.padEnd(40)} median ${median(ts).toFixed(1)} ms over ${RUNS} runs`);
  }
  return medians;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/ps needs root; skipped');
    return;
  }
  const dir = mkdtempSync('/tmp/berth-bench-');
  const root = path.join(dir, 'berth');
  const berth = (...args: string[]): string[] => [cli, '--root', root, '--run-root', path.join(root, 'run'), ...args];
  let dockerd: Dockerd | undefined;
  const engine = new Engine({ root, runRoot: path.join(root, 'run') });
  try {
    const tar = busyboxTar(dir);
    must(process.execPath, berth('import', '--change', 'CMD ["sh"]', tar, 'bench:latest'));
    for (let i = 0; i < COUNT; i++) await engine.create({ image: 'bench:latest', cmd: ['true'] });
    const lib: number[] = [];
    for (let i = 0; i < Math.max(RUNS, 30); i++) {
      const t0 = performance.now();
      await engine.list({ all: true });
      lib.push(performance.now() - t0);
    }
    console.log(`${'engine.list({ all }) (library, warm)'.padEnd(40)} median ${median(lib).toFixed(1)} ms`);

    const commands: Timed[] = [
      { label: `berth ps -a (CLI, ${COUNT} created)`, cmd: process.execPath, args: berth('ps', '-a'), rows: COUNT },
      { label: 'node -e 0 (Node start alone)', cmd: process.execPath, args: ['-e', '0'] },
    ];
    if (process.env['NODE_EXTRA_CA_CERTS']) {
      // Node reads that bundle at every start, before any of berth's code runs; show its share.
      const env = { ...process.env };
      delete env['NODE_EXTRA_CA_CERTS'];
      commands.push(
        { label: '  berth ps -a, NODE_EXTRA_CA_CERTS unset', cmd: process.execPath, args: berth('ps', '-a'), rows: COUNT, env },
        { label: '  node -e 0, NODE_EXTRA_CA_CERTS unset', cmd: process.execPath, args: ['-e', '0'], env },
      );
    }
    const nodeCommands = commands.length;
    if (ensureDocker()) {
      dockerd = await startDockerd(dir);
      const docker = (...args: string[]): string[] => ['-H', dockerd!.host, ...args];
      must('docker', docker('import', tar, 'bench:latest'));
      for (let i = 0; i < COUNT; i++) must('docker', docker('create', '--network', 'none', 'bench', 'true'));
      commands.push({ label: `docker ps -a (dockerd, ${COUNT} created)`, cmd: 'docker', args: docker('ps', '-a'), rows: COUNT });
    } else {
      console.log('docker: not available and could not be installed; skipped');
    }
    const m = timeInTurns(commands);
    const at = (i: number): number | undefined => (commands[i] ? m.get(commands[i].label) : undefined);
    const berthTime = at(0)!;
    const dockerTime = commands.length > nodeCommands ? at(nodeCommands) : undefined;
    console.log('');
    console.log(`berth ps -a less Node's start: ${(berthTime - at(1)!).toFixed(1)} ms`);
    if (dockerTime !== undefined) {
      console.log(`berth ÷ docker: ${(berthTime / dockerTime).toFixed(2)} (target ≤ 0.5)`);
      if (nodeCommands > 2) console.log(`berth ÷ docker without NODE_EXTRA_CA_CERTS: ${(at(2)! / dockerTime).toFixed(2)}`);
    }
  } finally {
    await engine.close();
    if (dockerd) {
      spawnSync('sh', ['-c', `docker -H ${dockerd.host} ps -aq | xargs -r docker -H ${dockerd.host} rm -f`], { stdio: 'ignore' });
      await stopDockerd(dockerd);
    }
    for (const ctrl of ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd', 'unified']) {
      const p = path.join('/sys/fs/cgroup', ctrl, ownMemoryCgroup(), 'docker-bench');
      spawnSync('find', [p, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
