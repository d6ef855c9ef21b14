/**
 * The lifecycle benchmarks of issue 4, side by side with a private dockerd in one run:
 * `exec C true` (target ≤ 0.5 × docker), `ps -a` over 200 containers (target ≤ 0.5 × docker)
 * and `logs` of 100 MB of output (target: at least docker's throughput). Prints medians and
 * ratios (berth ÷ docker). Run as root: `npm run bench:lifecycle`.
 *
 * docker's client talks to a warm dockerd; berth is timed both ways it runs: the berth command
 * with `berth system service` up (the command handed to a warm process, as docker's is), and
 * without one (Node started for the command, `node bin/berth.js`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { busyboxTar } from '../test/helpers/busybox.js';
import { repoRoot } from '../test/helpers/env.js';
import { ensureDocker, median, must, printRatio, removePeerCgroups, startDockerd, stopDockerd, timeRuns, type Dockerd } from './peers.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const CONTAINERS = 200;
const LOG_BYTES = 100 * 1000 * 1000;
// The launcher, as users run berth (it keeps NODE_EXTRA_CA_CERTS out of Node's start).
const cli = path.join(repoRoot, 'bin', 'berth');
// berth without the service: Node started for every command, as the launcher starts it.
const node = process.execPath;
const entry = path.join(repoRoot, 'bin', 'berth.js');
const nodeEnv = { ...process.env, NODE_EXTRA_CA_CERTS: undefined };

/** Starts `berth system service` and waits until it serves. */
async function startService(args: string[]): Promise<ChildProcess> {
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`berth system service ended with ${code}`)));
  });
  return child;
}

/** A container command printing LOG_BYTES of 100-byte lines, then sleeping so logs can be read while it runs. */
const PRINTER = ['sh', '-c', `yes '${'x'.repeat(99)}' | head -c ${LOG_BYTES}; sleep 1000`];

/** Median seconds of `cmd args > /dev/null` (the output is read and dropped, not buffered). */
function timeToNull(label: string, cmd: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync('sh', ['-c', `"$0" "$@" > /dev/null 2>&1`, cmd, ...args]);
    if (r.status !== 0) throw new Error(`${label} failed with ${r.status}`);
    times.push(performance.now() - t0);
  }
  const m = median(times) / 1000;
  console.log(`${label.padEnd(34)} median ${(m * 1000).toFixed(0)} ms over ${runs} runs: ${(LOG_BYTES / 1e6 / m).toFixed(0)} MB/s`);
  return m;
}

/** Waits until the container's log holds all of the printer's output. */
async function logged(count: () => number): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (count() < LOG_BYTES) {
    if (Date.now() > deadline) throw new Error('the printer did not finish within 5 minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/lifecycle needs root; skipped');
    return;
  }
  const dir = mkdtempSync('/tmp/berth-bench-');
  const root = path.join(dir, 'berth');
  const berth = (...args: string[]): string[] => ['--root', root, '--run-root', path.join(root, 'run'), ...args];
  let dockerd: Dockerd | undefined;
  let service: ChildProcess | undefined;
  const results: Record<string, number> = {};
  try {
    const tar = busyboxTar(dir);
    must(cli, berth('import', '--change', 'CMD ["sh"]', tar, 'bench:latest'));
    const haveDocker = ensureDocker();
    if (haveDocker) {
      dockerd = await startDockerd(dir);
      must('docker', ['-H', dockerd.host, 'import', '--change', 'CMD ["sh"]', tar, 'bench:latest']);
    } else {
      console.log('docker: not available and could not be installed; berth alone');
    }
    const docker = (...args: string[]): string[] => ['-H', dockerd!.host, ...args];

    // exec C true
    const id = must(cli, berth('run', '-d', '--network', 'none', 'bench', 'sleep', '100000')).trim();
    results['execNode'] = timeRuns('berth exec C true, no service', node, [entry, ...berth('exec', id, 'true')], { runs: RUNS, env: nodeEnv });
    service = await startService(berth('system', 'service'));
    results['execBerth'] = timeRuns('berth exec C true, service', cli, berth('exec', id, 'true'), { runs: RUNS });
    if (dockerd) {
      const did = must('docker', docker('run', '-d', '--network', 'none', 'bench', 'sleep', '100000')).trim();
      results['execDocker'] = timeRuns('docker exec C true', 'docker', docker('exec', did, 'true'), { runs: RUNS });
    }

    // logs of 100 MB
    const printer = must(cli, berth('run', '-d', '--network', 'none', '--log-opt', 'max-size=1g', 'bench', ...PRINTER)).trim();
    const logFile = path.join(root, 'containers', printer, `${printer}-json.log`);
    await logged(() => Number(spawnSync('sh', ['-c', `grep -c . ${logFile} 2>/dev/null || echo 0`], { encoding: 'utf8' }).stdout.trim()) * 100);
    const logRuns = Math.max(3, Math.floor(RUNS / 3));
    results['logsBerth'] = timeToNull('berth logs (100 MB)', cli, berth('logs', printer), logRuns);
    if (dockerd) {
      const dp = must('docker', docker('run', '-d', '--network', 'none', 'bench', ...PRINTER)).trim();
      const dockerLog = must('docker', docker('inspect', '-f', '{{.LogPath}}', dp)).trim();
      await logged(() => Number(spawnSync('sh', ['-c', `grep -c . ${dockerLog} 2>/dev/null || echo 0`], { encoding: 'utf8' }).stdout.trim()) * 100);
      results['logsDocker'] = timeToNull('docker logs (100 MB)', 'docker', docker('logs', dp), logRuns);
    }

    // ps -a over 200 containers (plus the ones above)
    for (let i = 0; i < CONTAINERS; i++) must(cli, berth('create', '--network', 'none', 'bench', 'true'));
    results['psNode'] = timeRuns(`berth ps -a (${CONTAINERS}), no service`, node, [entry, ...berth('ps', '-a')], { runs: RUNS, env: nodeEnv });
    results['psBerth'] = timeRuns(`berth ps -a (${CONTAINERS}), service`, cli, berth('ps', '-a'), { runs: RUNS });
    if (dockerd) {
      for (let i = 0; i < CONTAINERS; i++) must('docker', docker('create', '--network', 'none', 'bench', 'true'));
      results['psDocker'] = timeRuns(`docker ps -a (${CONTAINERS} containers)`, 'docker', docker('ps', '-a'), { runs: RUNS });
    }

    console.log('');
    const ratio = (a: string, b: string, what: string): void => printRatio(results, a, b, what);
    ratio('execBerth', 'execDocker', 'exec, berth with its service ÷ docker (target ≤ 0.5)');
    ratio('execNode', 'execDocker', 'exec, berth without a service ÷ docker');
    ratio('psBerth', 'psDocker', 'ps -a, berth with its service ÷ docker (target ≤ 0.5)');
    ratio('psNode', 'psDocker', 'ps -a, berth without a service ÷ docker');
    ratio('logsDocker', 'logsBerth', 'logs throughput: berth ÷ docker (target ≥ 1)');
  } finally {
    if (service) {
      service.kill('SIGTERM');
      await new Promise((r) => service!.once('exit', r));
    }
    spawnSync(cli, berth('rm', '-f', ...must(cli, berth('ps', '-aq')).split('\n').filter(Boolean)), { stdio: 'ignore' });
    if (dockerd) {
      const ids = spawnSync('docker', ['-H', dockerd.host, 'ps', '-aq'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) spawnSync('docker', ['-H', dockerd.host, 'rm', '-f', ...ids], { stdio: 'ignore' });
      await stopDockerd(dockerd);
    }
    removePeerCgroups('docker-bench');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
