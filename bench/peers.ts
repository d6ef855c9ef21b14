/**
 * What the benchmarks share: medians, and a private dockerd (Debian's docker.io, installed
 * if missing) with its data in a temp dir and its containers' cgroups below this process's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

/** Runs a command, returning its stdout; throws with its stderr when it fails. */
export function must(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, env: opts.env ?? process.env, maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Median wall time of runs of a command after one warm-up run, printed with its label. */
export function timeRuns(label: string, cmd: string, args: string[], opts: { runs: number; env?: NodeJS.ProcessEnv }): number {
  must(cmd, args, { env: opts.env }); // warm-up: caches, lazy set-up
  const times: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    must(cmd, args, { env: opts.env });
    times.push(performance.now() - t0);
  }
  const m = median(times);
  console.log(`${label.padEnd(34)} median ${m.toFixed(1)} ms over ${opts.runs} runs`);
  return m;
}

/** Prints results[a] ÷ results[b] as `what: R`, when both were measured. */
export function printRatio(results: Readonly<Record<string, number>>, a: string, b: string, what: string): void {
  const x = results[a];
  const y = results[b];
  if (x !== undefined && y !== undefined) console.log(`${what}: ${(x / y).toFixed(2)}`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The memory cgroup this process is in: peers' cgroups go below it, never at a root. */
export function ownMemoryCgroup(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /:memory:/.test(l) || l.startsWith('0::'));
  return line?.split(':')[2] ?? '/';
}

export function ensureDocker(): boolean {
  if (existsSync('/usr/sbin/dockerd') || existsSync('/usr/bin/dockerd')) return true;
  console.log('dockerd is not installed; installing Debian docker.io …');
  const r = spawnSync('apt-get', ['install', '-y', '-qq', 'docker.io'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

export interface Dockerd {
  proc: ChildProcess;
  /** The -H value for the docker client. */
  host: string;
}

/** Starts dockerd with everything under dir and no networking of its own; resolves once it answers. */
export async function startDockerd(dir: string, extraArgs: string[] = []): Promise<Dockerd> {
  const sock = path.join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const proc = spawn(
    'dockerd',
    [
      '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'),
      '-H', host, '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
      '--cgroup-parent', `${ownMemoryCgroup().replace(/\/$/, '')}/docker-bench`, '--storage-driver', 'overlay2',
      ...extraArgs,
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

/** Stops a dockerd started here, by its pid, and waits for it. */
export async function stopDockerd(d: Dockerd): Promise<void> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  d.proc.kill('SIGTERM');
  await new Promise((r) => d.proc.once('exit', r));
}

/** Removes the cgroups a peer made below this process's (dockerd's --cgroup-parent, runc's cgroupsPath), deepest first. */
export function removePeerCgroups(name: string): void {
  // '' is the root of a pure cgroup v2 host.
  for (const ctrl of ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd', 'unified', '']) {
    const p = path.join('/sys/fs/cgroup', ctrl, ownMemoryCgroup(), name);
    spawnSync('find', [p, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
  }
}
