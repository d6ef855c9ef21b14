/**
 * What the benchmarks share: medians, and a private dockerd (Debian's docker.io, installed
 * if missing) with its data in a temp dir and its containers' cgroups below this process's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
