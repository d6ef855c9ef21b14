/**
 * Container start, side by side in one run: `berth run --rm IMG true` against
 * `docker run --rm IMG true` (dockerd from Debian's docker.io) and `runc run` of a
 * bundle with the same rootfs, plus the library path (engine.run in a warm process).
 * Prints medians and ratios (berth ÷ peer). Run as root: `npm run bench:start`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { busyboxTar } from '../test/helpers/berth.js';
import { repoRoot } from '../test/helpers/env.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const cli = path.join(repoRoot, 'bin', 'berth.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function must(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

function timeRuns(label: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
  must(cmd, args, { env }); // warm-up: caches, lazy image set-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    must(cmd, args, { env });
    times.push(performance.now() - t0);
  }
  const m = median(times);
  console.log(`${label.padEnd(34)} median ${m.toFixed(1)} ms over ${RUNS} runs`);
  return m;
}

/** The memory cgroup this process is in: peers' cgroups go below it, never at a root. */
function ownMemoryCgroup(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /:memory:/.test(l) || l.startsWith('0::'));
  return line?.split(':')[2] ?? '/';
}

function ensureDocker(): boolean {
  if (existsSync('/usr/sbin/dockerd') || existsSync('/usr/bin/dockerd')) return true;
  console.log('dockerd is not installed; installing Debian docker.io …');
  const r = spawnSync('apt-get', ['install', '-y', '-qq', 'docker.io'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

async function startDockerd(dir: string): Promise<{ proc: ChildProcess; host: string }> {
  const sock = path.join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const proc = spawn(
    'dockerd',
    [
      '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'),
      '-H', host, '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
      '--cgroup-parent', `${ownMemoryCgroup().replace(/\/$/, '')}/docker-bench`, '--storage-driver', 'overlay2',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 150; i++) {
    if (spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore' }).status === 0) return { proc, host };
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGTERM');
  throw new Error(`dockerd did not start:\n${log.slice(-2000)}`);
}

function runcBundle(dir: string, tar: string): string | undefined {
  if (spawnSync('runc', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const bundle = path.join(dir, 'bundle');
  mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  must('tar', ['-C', path.join(bundle, 'rootfs'), '-xf', tar]);
  must('runc', ['spec', '--bundle', bundle]);
  const specPath = path.join(bundle, 'config.json');
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as {
    process: { args: string[]; terminal: boolean };
    linux: { cgroupsPath?: string };
  };
  spec.process.args = ['true'];
  spec.process.terminal = false;
  spec.linux.cgroupsPath = `${ownMemoryCgroup().replace(/\/$/, '')}/runc-bench/bench`;
  writeFileSync(specPath, JSON.stringify(spec));
  return bundle;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/start needs root; skipped');
    return;
  }
  const dir = mkdtempSync('/tmp/berth-bench-');
  const root = path.join(dir, 'berth');
  const berth = (...args: string[]): string[] => [cli, '--root', root, '--run-root', path.join(root, 'run'), ...args];
  let dockerd: { proc: ChildProcess; host: string } | undefined;
  try {
    const tar = busyboxTar(dir);
    must(process.execPath, berth('import', '--change', 'CMD ["sh"]', tar, 'bench:latest'));
    const results: Record<string, number> = {};
    const runArgs = berth('run', '--rm', '--network', 'none', 'bench', 'true');
    results['berth'] = timeRuns('berth run --rm (CLI)', process.execPath, runArgs);
    if (process.env['NODE_EXTRA_CA_CERTS']) {
      // Node reads that bundle at every start, before any of berth's code runs; show its share.
      const env = { ...process.env };
      delete env['NODE_EXTRA_CA_CERTS'];
      results['berthNoCa'] = timeRuns('  same, NODE_EXTRA_CA_CERTS unset', process.execPath, runArgs, env);
    }

    if (ensureDocker()) {
      dockerd = await startDockerd(dir);
      must('docker', ['-H', dockerd.host, 'import', tar, 'bench:latest']);
      results['docker'] = timeRuns('docker run --rm (dockerd)', 'docker', ['-H', dockerd.host, 'run', '--rm', '--network', 'none', 'bench', 'true']);
    } else {
      console.log('docker: not available and could not be installed; skipped');
    }

    const bundle = runcBundle(dir, tar);
    if (bundle) {
      results['runc'] = timeRuns('runc run', 'runc', ['--root', path.join(dir, 'runc-state'), 'run', '--bundle', bundle, 'bench']);
    } else {
      console.log('runc: not installed (it comes with docker.io); skipped');
    }

    // A start takes milliseconds here, so more of them: one noisy moment of the host moves a median of 15.
    const libRuns = Math.max(RUNS, 60);
    const lib = JSON.parse(
      must(process.execPath, [path.join(repoRoot, 'bench', 'library-start.mjs'), root, path.join(root, 'run'), 'bench', String(libRuns)]),
    ) as number[];
    results['library'] = median(lib);
    console.log(`${'engine.run (library, warm)'.padEnd(34)} median ${results['library'].toFixed(1)} ms over ${libRuns} runs (target ≤ 15 ms)`);

    console.log('');
    if (results['docker']) console.log(`berth ÷ docker: ${(results['berth']! / results['docker']).toFixed(2)} (target ≤ 0.5)`);
    if (results['docker'] && results['berthNoCa']) {
      console.log(`berth ÷ docker without NODE_EXTRA_CA_CERTS: ${(results['berthNoCa'] / results['docker']).toFixed(2)}`);
    }
    if (results['runc']) console.log(`berth ÷ runc:   ${(results['berth']! / results['runc']).toFixed(2)}`);
    if (results['docker']) console.log(`library ÷ docker: ${(results['library'] / results['docker']).toFixed(2)}`);
  } finally {
    if (dockerd) {
      dockerd.proc.kill('SIGTERM');
      await new Promise((r) => dockerd!.proc.once('exit', r));
    }
    for (const name of ['runc-bench', 'docker-bench']) {
      for (const ctrl of ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd']) {
        const p = path.join('/sys/fs/cgroup', ctrl, ownMemoryCgroup(), name);
        spawnSync('find', [p, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
