/**
 * Container start, side by side in one run: `berth run --rm IMG true` against
 * `docker run --rm IMG true` (dockerd from Debian's docker.io) and `runc run` of a
 * bundle with the same rootfs, plus the library path (engine.run in a warm process).
 * Prints medians and ratios (berth ÷ peer). Run as root: `npm run bench:start`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { busyboxTar } from '../test/helpers/busybox.js';
import { repoRoot } from '../test/helpers/env.js';
import { ensureDocker, median, must, ownMemoryCgroup, removePeerCgroups, startDockerd, stopDockerd, timeRuns as timeCommand, type Dockerd } from './peers.js';

const timeRuns = (label: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): number => timeCommand(label, cmd, args, { runs: RUNS, env });

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
// The launcher, as users run berth (it keeps NODE_EXTRA_CA_CERTS out of Node's start).
const cli = path.join(repoRoot, 'bin', 'berth');

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
  const berth = (...args: string[]): string[] => ['--root', root, '--run-root', path.join(root, 'run'), ...args];
  let dockerd: Dockerd | undefined;
  try {
    const tar = busyboxTar(dir);
    must(cli, berth('import', '--change', 'CMD ["sh"]', tar, 'bench:latest'));
    const results: Record<string, number> = {};
    const runArgs = berth('run', '--rm', '--network', 'none', 'bench', 'true');
    results['berth'] = timeRuns('berth run --rm (CLI)', cli, runArgs);
    if (process.env['NODE_EXTRA_CA_CERTS']) {
      // Through node directly, Node reads that bundle at every start, before any of berth's code runs; show its share.
      results['berthNode'] = timeRuns('  same, as node bin/berth.js', process.execPath, [`${cli}.js`, ...runArgs]);
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
    if (results['docker'] && results['berthNode']) {
      console.log(`node bin/berth.js ÷ docker: ${(results['berthNode'] / results['docker']).toFixed(2)}`);
    }
    if (results['runc']) console.log(`berth ÷ runc:   ${(results['berth']! / results['runc']).toFixed(2)}`);
    if (results['docker']) console.log(`library ÷ docker: ${(results['library'] / results['docker']).toFixed(2)}`);
  } finally {
    if (dockerd) await stopDockerd(dockerd);
    for (const name of ['runc-bench', 'docker-bench']) removePeerCgroups(name);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
