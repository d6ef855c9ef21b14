/**
 * Image pull, side by side in one run: `berth pull` against `docker pull` (a private
 * dockerd from Debian's docker.io) and a local limit (curl | gunzip | tar -x of every
 * layer blob, all in parallel), from a fixture registry on 127.0.0.1 holding a large
 * multi-layer image made from host files (no network). Prints medians and ratios.
 * Run as root: `npm run bench:pull`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../test/helpers/env.js';
import { ensureDocker, median, must, removePeerCgroups, startDockerd, stopDockerd, type Dockerd } from './peers.js';
import { writeOciLayout, skopeoCopy } from '../test/helpers/oci-layout.js';
import { registrySkipReason, startRegistry, type RegistryFixture } from '../test/helpers/registry.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
// The launcher, as users run berth (it keeps NODE_EXTRA_CA_CERTS out of Node's start).
const cli = path.join(repoRoot, 'bin', 'berth');
/** Unpacked size the image must reach, in bytes. */
const MIN_BYTES = 200 * 1024 * 1024;
const MIN_LAYERS = 4;
const MAX_LAYERS = 6;
/** Host directories (relative to /) tried in order, one layer each, until MIN_BYTES is reached. */
const CANDIDATES = [
  'usr/lib/gcc',
  'usr/lib/python3.11',
  'usr/lib/python3',
  'usr/libexec',
  'usr/share/perl',
  'usr/share/doc',
  'usr/share/locale',
  'usr/lib/x86_64-linux-gnu',
  'usr/bin',
];

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

/** Apparent size in bytes of a host directory (du -sb), or 0 if it is missing. */
function duBytes(rel: string): number {
  const p = path.join('/', rel);
  if (!existsSync(p)) return 0;
  const r = spawnSync('du', ['-sb', p], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0] ?? 0) || 0;
}

/**
 * One uncompressed layer tar of a host directory (GNU tar, read only): its parent
 * directories as plain entries, then the tree. Unreadable files are skipped;
 * sockets are never archived by tar.
 */
function hostLayer(rel: string): Buffer {
  const parts = rel.split('/');
  const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
  const r = spawnSync(
    'tar',
    ['-C', '/', '-cf', '-', '--ignore-failed-read', '--warning=none', '--no-recursion', ...parents, '--recursion', rel],
    { maxBuffer: 2 * 1024 * 1024 * 1024 },
  );
  // GNU tar exits 1 when files changed while read: the archive is still good.
  if (r.status !== 0 && r.status !== 1) throw new Error(`tar of /${rel} failed: ${r.stderr?.toString() || r.error?.message}`);
  return r.stdout;
}

/** Picks host directories until MIN_BYTES and MIN_LAYERS, tars each into a layer. */
function makeLayers(): { layers: Buffer[]; dirs: string[] } {
  const dirs: string[] = [];
  let total = 0;
  for (const c of CANDIDATES) {
    if ((total >= MIN_BYTES && dirs.length >= MIN_LAYERS) || dirs.length >= MAX_LAYERS) break;
    const size = duBytes(c);
    // Skip tiny dirs and nested duplicates of chosen ones.
    if (size < 10 * 1024 * 1024 || dirs.some((d) => c.startsWith(`${d}/`) || d.startsWith(`${c}/`))) continue;
    // Keep one layer from dwarfing the rest: skip a dir if it alone overshoots the target by far.
    if (total + size > MIN_BYTES * 2.5 && total > 0) continue;
    dirs.push(c);
    total += size;
  }
  if (total < MIN_BYTES || dirs.length < MIN_LAYERS) {
    throw new Error(`host directories give only ${mb(total)} in ${dirs.length} layers (need ${mb(MIN_BYTES)}, ${MIN_LAYERS} layers)`);
  }
  return { layers: dirs.map(hostLayer), dirs };
}

/** Wall-clock time of one command (asynchronous, so several can run at once). */
function timed(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(performance.now() - t0);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err.slice(-2000)}`));
    });
  });
}

function report(label: string, times: number[]): number {
  const m = median(times);
  console.log(`${label.padEnd(44)} median ${(m / 1000).toFixed(2)} s over ${times.length} runs  [${times.map((t) => (t / 1000).toFixed(2)).join(', ')}]`);
  return m;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/pull needs root; skipped');
    return;
  }
  const skip = registrySkipReason('anonymous');
  if (skip) {
    console.log(`bench/pull: ${skip}; skipped`);
    return;
  }
  const dir = mkdtempSync('/tmp/berth-bench-pull-');
  let registry: RegistryFixture | undefined;
  let dockerd: Dockerd | undefined;
  try {
    // 1. The image: host directories as layers, gzip, into the registry.
    let t0 = performance.now();
    const { layers, dirs } = makeLayers();
    const unpacked = layers.reduce((n, l) => n + l.length, 0);
    const layout = path.join(dir, 'layout');
    const img = writeOciLayout(layout, { layers, config: { Cmd: ['/bin/sh'] } });
    const compressed = img.layerDigests.reduce((n, d) => n + Number(must('stat', ['-c', '%s', path.join(layout, 'blobs', 'sha256', d.slice(7))])), 0);
    console.log(`image: ${layers.length} layers (${dirs.map((d) => `/${d}`).join(', ')})`);
    console.log(`       ${mb(unpacked)} as tars, ${mb(compressed)} gzipped; made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    layers.length = 0; // let the tars go

    registry = await startRegistry({ auth: 'anonymous' });
    const repo = 'bench/big';
    const image = `${registry.host}/${repo}:latest`;
    t0 = performance.now();
    await skopeoCopy(`oci:${layout}:latest`, `docker://${image}`, { timeoutMs: 600_000 });
    console.log(`pushed ${image} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    rmSync(layout, { recursive: true, force: true });
    // Warm the page cache for the registry's blobs, so the first timed run is not penalised.
    must('sh', ['-c', `cat $(find ${registry.storageDir} -type f -name data) > /dev/null`]);
    console.log('');

    const results: Record<string, number> = {};

    // 2. The three side by side, one round at a time, so a change in the host's load falls on
    //    all of them alike: berth into a fresh state root, docker on a private dockerd (the image
    //    removed after each run), and the local limit, every layer blob fetched, gunzipped and
    //    untarred at once. berth's roots and the limit's dirs are removed only after the last
    //    round: freeing thousands of inodes slows the file creates of whatever runs next (ext4's
    //    allocator skips recently freed inodes), and that cost is the cleanup's, not a pull's.
    //    docker's image must go between its runs; a sync after it keeps its writeback out of the
    //    next run.
    let docker: ((...args: string[]) => string[]) | undefined;
    if (ensureDocker()) {
      dockerd = await startDockerd(path.join(dir, 'docker'), ['--insecure-registry', registry.host]);
      docker = (...args: string[]): string[] => ['-H', dockerd!.host, ...args];
    } else {
      console.log('docker: not available and could not be installed; skipped');
    }
    const hasCurl = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
    const fetcher = hasCurl
      ? (url: string): string => `curl -sfL ${url}`
      : (url: string): string => `${process.execPath} --input-type=module -e 'const r=await fetch(process.argv[1]);for await (const c of r.body) process.stdout.write(c)' ${url}`;
    if (!hasCurl) console.log('curl is missing: the local limit fetches with node fetch instead');
    const berthTimes: number[] = [];
    const dockerTimes: number[] = [];
    const localTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const root = path.join(dir, `berth-${i}`);
      berthTimes.push(await timed(cli, ['--root', root, '--run-root', path.join(root, 'run'), 'pull', '-q', image]));
      must('sync', []);
      if (docker) {
        dockerTimes.push(await timed('docker', docker('pull', '-q', image)));
        must('docker', docker('rmi', image));
        must('docker', docker('image', 'prune', '-af'));
        must('sync', []);
      }
      const t = performance.now();
      await Promise.all(
        img.layerDigests.map((digest, j) => {
          const out = path.join(dir, `local-${i}`, String(j));
          mkdirSync(out, { recursive: true });
          const url = `${registry!.url}/v2/${repo}/blobs/${digest}`;
          return timed('bash', ['-c', `set -o pipefail; ${fetcher(url)} | gunzip | tar -x -C ${out}`]);
        }),
      );
      localTimes.push(performance.now() - t);
      must('sync', []);
    }
    results['berth'] = report('berth pull (CLI)', berthTimes);
    if (docker) results['docker'] = report('docker pull (dockerd)', dockerTimes);
    results['local'] = report(`local limit (${hasCurl ? 'curl' : 'fetch'}|gunzip|tar, parallel)`, localTimes);

    console.log('');
    if (results['docker']) console.log(`berth ÷ docker:      ${(results['berth'] / results['docker']).toFixed(2)} (target ≤ 1.0)`);
    console.log(`berth ÷ local limit: ${(results['berth'] / results['local']).toFixed(2)}`);
  } finally {
    if (dockerd) await stopDockerd(dockerd);
    removePeerCgroups('docker-bench');
    if (registry) await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
