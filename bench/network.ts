/**
 * The network benchmarks of issue 5, side by side with a private dockerd in one run:
 * HTTP throughput (ab, keep-alive) to busybox httpd through berth's published port vs the
 * container's own address (target ≥ 0.9) and vs docker's published port (target ≥ 1.0), and
 * `run --rm IMG true` on the default bridge, berth vs docker (target ≤ 0.5). Medians and
 * ratios printed. Run as root: `npm run bench:network`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { busyboxTar } from '../test/helpers/busybox.js';
import { repoRoot } from '../test/helpers/env.js';
import { natTableName } from '../src/network/root-names.js';
import { ensureDocker, median, must, printRatio, removePeerCgroups, startDockerd, stopDockerd, timeRuns, type Dockerd } from './peers.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const AB_ROUNDS = Number(process.env['BENCH_AB_ROUNDS'] ?? 7);
// Small enough that a round's closed connections (TIME_WAIT) never run the client out of ports.
const AB_REQUESTS = Number(process.env['BENCH_AB_REQUESTS'] ?? 4000);
// The launcher, as users run berth (it keeps NODE_EXTRA_CA_CERTS out of Node's start).
const cli = path.join(repoRoot, 'bin', 'berth');
/** Bridges of the bench's own, on subnets the tests do not use. */
const BERTH_BRIDGE = 'berthbench0';
const BERTH_SUBNET = '10.230.0.0/24';
const DOCKER_BRIDGE = 'berthbenchd0';
const DOCKER_GATEWAY = '10.230.1.1/24';
const HTTPD = ['httpd', '-f', '-p', '80', '-h', '/www'];

/** Requests per second of one ab run (keep-alive, 16 at once). */
function ab(url: string): number {
  const r = spawnSync('ab', ['-q', '-k', '-c', '16', '-n', String(AB_REQUESTS), url], { encoding: 'utf8' });
  const m = /Requests per second:\s+([\d.]+)/.exec(r.stdout);
  const failed = /Failed requests:\s+(\d+)/.exec(r.stdout);
  if (r.status !== 0 || !m || (failed && failed[1] !== '0')) throw new Error(`ab ${url} failed: ${r.stderr || r.stdout}`);
  return Number(m[1]);
}

/** Medians of interleaved ab rounds over several URLs, so drift on the machine hits each alike. */
function throughput(targets: Record<string, string>): Record<string, number> {
  const runs: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (const url of Object.values(targets)) ab(url); // warm-up
  for (let i = 0; i < AB_ROUNDS; i++) for (const [k, url] of Object.entries(targets)) runs[k]!.push(ab(url));
  const out: Record<string, number> = {};
  for (const [k, xs] of Object.entries(runs)) {
    out[k] = median(xs);
    console.log(`${k.padEnd(34)} median ${out[k].toFixed(0)} req/s over ${AB_ROUNDS} rounds`);
  }
  return out;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (spawnSync('curl', ['-s', '--max-time', '1', '-o', '/dev/null', url]).status === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/network needs root; skipped');
    return;
  }
  for (const tool of ['ab', 'curl', 'nft']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.log(`bench/network needs ${tool} (apt-get install apache2-utils curl nftables); skipped`);
      return;
    }
  }
  const dir = mkdtempSync('/tmp/berth-bench-');
  const root = path.join(dir, 'berth');
  const env = { ...process.env, BERTH_BRIDGE, BERTH_BRIDGE_SUBNET: BERTH_SUBNET };
  const berth = (...args: string[]): string[] => ['--root', root, '--run-root', path.join(root, 'run'), ...args];
  let dockerd: Dockerd | undefined;
  const results: Record<string, number> = {};
  try {
    // A page of 4 KiB in the image (put where busyboxTar builds its rootfs): both engines serve the same bytes.
    const www = path.join(dir, 'busybox-rootfs', 'www');
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'index.html'), 'x'.repeat(4096));
    const tar = busyboxTar(dir);
    must(cli, berth('import', '--change', 'CMD ["sh"]', tar, 'bench:latest'), { env });
    if (ensureDocker()) {
      must('ip', ['link', 'add', DOCKER_BRIDGE, 'type', 'bridge']);
      must('ip', ['addr', 'add', DOCKER_GATEWAY, 'dev', DOCKER_BRIDGE]);
      must('ip', ['link', 'set', DOCKER_BRIDGE, 'up']);
      // docker's own bridge for the bench; published ports through docker-proxy, as docker serves loopback.
      dockerd = await startDockerd(dir, ['--bridge', DOCKER_BRIDGE]);
      must('docker', ['-H', dockerd.host, 'import', '--change', 'CMD ["sh"]', tar, 'bench:latest']);
    } else {
      console.log('docker: not available and could not be installed; berth alone');
    }
    const docker = (...args: string[]): string[] => ['-H', dockerd!.host, ...args];

    const id = must(cli, berth('run', '-d', '-p', '127.0.0.1:18080:80', 'bench', ...HTTPD), { env }).trim();
    const ip = must(cli, berth('inspect', '-f', '{{.NetworkSettings.IPAddress}}', id), { env }).trim();
    const targets: Record<string, string> = {
      'berth published port': 'http://127.0.0.1:18080/index.html',
      'berth container address': `http://${ip}:80/index.html`,
    };
    if (dockerd) {
      must('docker', docker('run', '-d', '-p', '127.0.0.1:18081:80', 'bench', ...HTTPD));
      targets['docker published port'] = 'http://127.0.0.1:18081/index.html';
    }
    for (const url of Object.values(targets)) await waitFor(url);
    Object.assign(results, throughput(targets));

    results['runBerth'] = timeRuns('berth run --rm (bridge) true', cli, berth('run', '--rm', 'bench', 'true'), { runs: RUNS, env });
    if (dockerd) results['runDocker'] = timeRuns('docker run --rm (bridge) true', 'docker', docker('run', '--rm', 'bench', 'true'), { runs: RUNS });

    console.log('');
    const ratio = (a: string, b: string, what: string): void => printRatio(results, a, b, what);
    ratio('berth published port', 'berth container address', 'published ÷ container address (target ≥ 0.9)');
    ratio('berth published port', 'docker published port', 'published: berth ÷ docker (target ≥ 1.0)');
    ratio('runBerth', 'runDocker', 'run --rm true on the bridge: berth ÷ docker (target ≤ 0.5)');
  } finally {
    const ids = spawnSync(cli, berth('ps', '-aq'), { encoding: 'utf8', env }).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) spawnSync(cli, berth('rm', '-f', ...ids), { stdio: 'ignore', env });
    if (dockerd) {
      const dids = spawnSync('docker', ['-H', dockerd.host, 'ps', '-aq'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      if (dids.length > 0) spawnSync('docker', ['-H', dockerd.host, 'rm', '-f', ...dids], { stdio: 'ignore' });
      await stopDockerd(dockerd);
    }
    spawnSync('ip', ['link', 'del', DOCKER_BRIDGE], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', BERTH_BRIDGE], { stdio: 'ignore' });
    spawnSync('nft', ['delete', 'table', 'ip', natTableName(root)], { stdio: 'ignore' });
    removePeerCgroups('docker-bench');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
