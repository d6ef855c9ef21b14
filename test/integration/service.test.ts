/**
 * `berth system service` and berth-client: with the service up, the berth command hands the
 * commands the service serves to it and runs every other one itself; with it down, all run
 * as before. The client is run with a PATH that has no node, so a command that works proves
 * the service did it, and one handed back fails to start node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { importBusybox, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { repoRoot, skipIntegration } from '../helpers/env.js';
import { hasScript, underTerminal } from '../helpers/terminal.js';

const client = path.join(repoRoot, 'build', 'Release', 'berth-client');
const entry = path.join(repoRoot, 'bin', 'berth.js');

function skipService(): boolean {
  if (skipIntegration('berth system service')) return true;
  if (existsSync(client)) return false;
  if (process.env['CI']) throw new Error(`${client} is missing: node-gyp should have built it`);
  process.stderr.write('SKIPPED berth system service: build/Release/berth-client is not built (npx node-gyp rebuild)\n');
  return true;
}

async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe.skipIf(skipService())('berth system service', () => {
  let t: TestRoot;
  let img: string;
  let service: ChildProcess;
  let socket: string;
  let box: string;
  const base = (): string[] => ['--root', t.root, '--run-root', t.runRoot];

  /** berth-client alone, with no node on PATH: only the service can run the command. */
  const served = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const r = spawnSync(client, [entry, ...base(), ...args], {
      input: opts.input,
      encoding: 'utf8',
      env: { PATH: '/nonexistent', BERTH_BRIDGE: t.bridge, BERTH_BRIDGE_SUBNET: t.subnet, ...opts.env },
      timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  const startService = async (): Promise<ChildProcess> => {
    const child = t.spawnCli(['system', 'service']);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await eventually(() => out.includes('serving') || child.exitCode !== null, 'the service to start');
    if (child.exitCode !== null) throw new Error(`the service ended: ${out}`);
    return child;
  };

  beforeAll(async () => {
    t = makeTestRoot();
    img = importBusybox(t);
    const r = t.cli(['run', '-d', '--network', 'none', '--name', 'box', '-e', 'FROM_RUN=1', img, 'sleep', '600']);
    if (r.code !== 0) throw new Error(r.stderr);
    box = r.stdout.trim();
    socket = path.join(t.runRoot, 'cli.sock');
    service = await startService();
  });
  afterAll(async () => {
    if (service.exitCode === null) {
      service.kill('SIGTERM');
      await exited(service);
    }
    await t.cleanup();
  });

  it('listens on RUNROOT/cli.sock, mode 0600', () => {
    const st = spawnSync('stat', ['-c', '%F %a', socket], { encoding: 'utf8' });
    expect(st.stdout.trim()).toBe('socket 600');
  });

  it('serves ps, inspect, images, port, version and logs', () => {
    const ps = served(['ps', '-a', '--format', '{{.ID}} {{.Names}} {{.State}}']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toBe(`${box.slice(0, 12)} box running\n`);
    expect(served(['inspect', '-f', '{{.State.Status}} {{.Config.Env}}', 'box']).stdout).toContain('running [FROM_RUN=1');
    expect(served(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout).toBe(`${img}\n`);
    expect(served(['version']).stdout).toContain(`Root:              ${t.root}`);
    const port = served(['port', 'box']);
    expect(port.code, port.stderr).toBe(0);
    expect(port.stdout).toBe('');
    const logs = t.cli(['run', '-d', '--network', 'none', img, 'sh', '-c', 'echo out; echo err >&2']);
    expect(logs.code, logs.stderr).toBe(0);
    const id = logs.stdout.trim();
    expect(t.cli(['wait', id]).stdout).toBe('0\n');
    const l = served(['logs', id]);
    expect([l.code, l.stdout, l.stderr]).toEqual([0, 'out\n', 'err\n']);
  });

  it('serves the other reads: networks, volumes, history, disk use, top and one sample of stats', () => {
    const same = (args: string[]): void => {
      const own = t.cli(args);
      expect(own.code, own.stderr).toBe(0);
      expect(served(args)).toEqual(own);
    };
    same(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']);
    same(['network', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'bridge']);
    same(['volume', 'ls']);
    same(['history', '-q', img]);
    same(['system', 'df']);
    const top = served(['top', 'box']);
    expect(top.code, top.stderr).toBe(0);
    expect(top.stdout).toContain('sleep 600');
    const stats = served(['stats', '--no-stream', '--format', '{{.Name}}', 'box']);
    expect([stats.code, stats.stdout]).toEqual([0, 'box\n']);
  });

  it('serves exec: exit code, stdin, env and the caller environment for a bare -e', () => {
    const r = served(['exec', '-e', 'FROM_CALLER', '-e', 'SET=x', 'box', 'sh', '-c', 'echo $FROM_RUN $FROM_CALLER $SET; exit 3'], { env: { FROM_CALLER: 'caller' } });
    expect([r.code, r.stdout, r.stderr]).toEqual([3, '1 caller x\n', '']);
    const cat = served(['exec', '-i', 'box', 'sh', '-c', 'tr a-z A-Z; echo done >&2'], { input: 'hello\nworld\n' });
    expect([cat.code, cat.stdout, cat.stderr]).toEqual([0, 'HELLO\nWORLD\n', 'done\n']);
    const missing = served(['exec', 'box', 'nosuch']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('executable file not found');
  });

  it('errors come back as the CLI prints them', () => {
    for (const args of [['inspect', 'nosuch'], ['exec', 'nosuch', 'true'], ['ps', '--filter', 'bogus=1']]) {
      const own = t.cli(args);
      expect(own.code).not.toBe(0);
      expect(served(args)).toEqual(own);
    }
  });

  it('leaves stdin alone for a command that does not read it', () => {
    const r = spawnSync('sh', ['-c', '"$0" "$@" >/dev/null; cat', client, entry, ...base(), 'ps'], {
      input: 'still here\n',
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', BERTH_BRIDGE: t.bridge, BERTH_BRIDGE_SUBNET: t.subnet },
    });
    expect(r.stdout).toBe('still here\n');
  });

  it.skipIf(!hasScript)('serves exec -it on a terminal: raw mode, the exit code, the terminal put back', async () => {
    const cmd = [client, entry, ...base(), 'exec', '-it', 'box', 'sh', '-c', 'read line; echo "got $line"; exit 4'].map((a) => `'${a}'`).join(' ');
    const r = await underTerminal(`env PATH=/nonexistent ${cmd}; echo "status $?"; stty -a | grep -o -- '-\\?icanon'`, [{ afterMs: 1500, data: 'typed\r' }]);
    expect(r.output).toContain('got typed');
    expect(r.output).toContain('status 4');
    // The terminal is canonical again after the client ends.
    expect(r.output).toMatch(/\bicanon/);
    expect(r.output).not.toMatch(/-icanon/);
  });

  it('hands back what it does not serve, and callers with other settings', () => {
    const run = served(['run', '--rm', '--network', 'none', img, 'true']);
    expect(run.code).toBe(127);
    expect(run.stderr).toContain('berth: cannot run node');
    expect(served(['exec', '--env-file', '/dev/null', 'box', 'true']).code).toBe(127);
    expect(served(['logs', '-f', 'box']).code).toBe(127);
    expect(served(['stats', 'box']).code).toBe(127);
    expect(served(['--log-level', 'debug', 'ps']).code).toBe(127);
    expect(served(['ps'], { env: { BERTH_BRIDGE: 'other0' } }).code).toBe(127);
    expect(served(['--help']).code).toBe(127);
    // Through the launcher, where node is found, the same commands work.
    expect(t.cli(['run', '--rm', '--network', 'none', img, 'true']).code).toBe(0);
    expect(t.cli(['exec', '--env-file', '/dev/null', 'box', 'true']).code).toBe(0);
  });

  it('a caller that goes away mid-command leaves the service serving', async () => {
    const child = spawn(client, [entry, ...base(), 'exec', '-i', 'box', 'sh', '-c', 'cat; echo gone > /tmp/hangup'], {
      env: { PATH: '/nonexistent', BERTH_BRIDGE: t.bridge, BERTH_BRIDGE_SUBNET: t.subnet },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGKILL');
    await exited(child);
    // The exec's stdin ended with its caller, so it finished.
    await eventually(() => served(['exec', 'box', 'cat', '/tmp/hangup']).stdout === 'gone\n', 'the exec to see its stdin end');
    expect(served(['ps', '-q']).code).toBe(0);
  });

  it('refuses a second service on the same run root', () => {
    const r = t.cli(['system', 'service']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(`berth: a berth service already runs on ${socket}\n`);
  });

  /** An `exec -i box cat` through the service, kept going until its stdin ends. */
  const longExec = (): ChildProcess =>
    spawn(client, [entry, ...base(), 'exec', '-i', 'box', 'cat'], {
      env: { PATH: '/nonexistent', BERTH_BRIDGE: t.bridge, BERTH_BRIDGE_SUBNET: t.subnet },
      stdio: ['pipe', 'pipe', 'pipe'],
    });

  it('stops on SIGTERM once the commands under way end, with its socket gone at once', async () => {
    const exec = longExec();
    let out = '';
    exec.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    exec.stdin!.write('before\n');
    await eventually(() => out === 'before\n', 'the exec to echo');
    service.kill('SIGTERM');
    await eventually(() => !existsSync(socket), 'the socket to go');
    // New commands run themselves (and fail here, with no node on PATH); the exec still runs.
    expect(served(['ps']).code).toBe(127);
    exec.stdin!.write('after\n');
    await eventually(() => out === 'before\nafter\n', 'the exec to echo again');
    expect(service.exitCode).toBe(null);
    exec.stdin!.end();
    expect(await exited(exec)).toBe(0);
    expect(await exited(service)).toBe(0);
  });

  it('ends at once on a second signal', async () => {
    const again = await startService();
    const exec = longExec();
    await new Promise((r) => setTimeout(r, 500));
    again.kill('SIGTERM');
    await eventually(() => !existsSync(socket), 'the socket to go');
    again.kill('SIGTERM');
    expect(await exited(again)).toBe(130);
    // The exec's caller lost the service that relayed it.
    expect(await exited(exec)).toBe(125);
  });

  it('after it stops, commands run in their own process again', () => {
    expect(existsSync(socket)).toBe(false);
    expect(readdirSync(t.runRoot).filter((f) => f.startsWith('cli.sock'))).toEqual([]);
    const r = t.cli(['ps', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${box.slice(0, 12)}\n`);
    expect(served(['ps']).code).toBe(127);
  });

  it('takes over a socket file that a killed service left, and sweeps dead temporary ones', async () => {
    const again = await startService();
    again.kill('SIGKILL');
    await exited(again);
    expect(existsSync(socket)).toBe(true);
    mkdirSync(t.runRoot, { recursive: true });
    // The temporary name of a service killed before it took the real one goes; a live one's stays.
    const dead = `${socket}.999999999`;
    const live = `${socket}.${process.pid}`;
    writeFileSync(dead, '');
    writeFileSync(live, '');
    service = await startService();
    expect(served(['ps', '-q']).stdout).toBe(`${box.slice(0, 12)}\n`);
    expect([existsSync(dead), existsSync(live)]).toEqual([false, true]);
    rmSync(live);
  });
});
