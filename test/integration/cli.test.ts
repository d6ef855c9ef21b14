/**
 * The rest of the foundation through the CLI binary: terminals, limits in the
 * cgroup files, network modes, import, listing commands and help.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { busyboxTar, cliPath, importBusybox, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';
import { hasScript, underTerminal } from '../helpers/terminal.js';

function cgroupFile(handle: unknown, controller: string, file: string): string {
  const h = handle as { dir?: string; dirs?: Record<string, string> };
  const dir = h.dir ?? Object.entries(h.dirs ?? {}).find(([k]) => k.split(',').includes(controller))?.[1];
  if (!dir) throw new Error(`no ${controller} cgroup in ${JSON.stringify(handle)}`);
  return readFileSync(path.join(dir, file), 'utf8').trim();
}


describe.skipIf(skipIntegration('berth CLI'))('berth CLI', () => {
  let t: TestRoot;
  let img: string;
  const base = (): string => `${process.execPath} ${cliPath} --root ${t.root} --run-root ${t.runRoot}`;

  beforeAll(() => {
    t = makeTestRoot();
    img = importBusybox(t);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it.skipIf(!hasScript)('gives -t a real terminal whose Ctrl-C reaches the container', async () => {
    const tty = await underTerminal(`${base()} run --rm -t ${img} tty`, []);
    expect(tty.code).toBe(0);
    expect(tty.output).toMatch(/\/dev\/pts\/0/);
    const interrupted = await underTerminal(
      `${base()} run --rm -it ${img} sh -c 'trap "echo got-interrupt; exit 5" INT; echo ready; while true; do sleep 0.1; done'`,
      [{ afterMs: 2500, data: '\x03' }],
    );
    expect(interrupted.output).toMatch(/ready/);
    expect(interrupted.output).toMatch(/got-interrupt/);
    expect(interrupted.code).toBe(5);
  });

  it.skipIf(!hasScript)('detaches run -it with ctrl-p ctrl-q and leaves the container running', async () => {
    const r = await underTerminal(`${base()} run -it --name tty-detach ${img} sh -c 'echo ready; while true; do sleep 0.1; done'`, [
      { afterMs: 2500, data: '\x10\x11' },
    ]);
    expect(r.output).toMatch(/ready/);
    expect(r.code).toBe(0);
    expect((await t.engine.inspect('tty-detach')).State.Running).toBe(true);
    await t.engine.remove('tty-detach', { force: true });
  });

  it('sizes the terminal and follows resizes (library)', async () => {
    const h = await t.engine.run({ image: img, cmd: ['sh', '-c', 'stty size; sleep 1; stty size'], tty: true, consoleSize: [30, 100], autoRemove: true });
    let out = '';
    h.stdout.on('data', (d: Buffer) => (out += d.toString()));
    setTimeout(() => h.resize(50, 132), 400);
    const { exitCode } = await h.wait();
    expect(exitCode).toBe(0);
    expect(out.replace(/\r/g, '').trim().split('\n')).toEqual(['30 100', '50 132']);
  });

  it('runs through the library with streams and wait()', async () => {
    const h = await t.engine.run({ image: img, cmd: ['sh', '-c', 'read line; echo "got $line"; echo oops >&2; exit 4'], openStdin: true, autoRemove: true });
    let out = '';
    let err = '';
    h.stdout.on('data', (d: Buffer) => (out += d.toString()));
    h.stderr.on('data', (d: Buffer) => (err += d.toString()));
    h.stdin.end('hello\n');
    expect(await h.wait()).toEqual({ exitCode: 4, oomKilled: false });
    expect(out).toBe('got hello\n');
    expect(err).toBe('oops\n');
    expect(await t.engine.list({ all: true })).toEqual([]);
  });

  it('writes --memory, --cpus, --cpu-shares and --pids-limit into the cgroup below berth\'s own', async () => {
    const r = t.cli(['run', '-d', '--memory', '48m', '--cpus', '0.5', '--cpu-shares', '512', '--pids-limit', '33', img, 'sleep', '30']);
    expect(r.code, r.stderr).toBe(0);
    const rec = await t.engine.inspect(r.stdout.trim());
    const handle = rec.Runtime.cgroup;
    const v1 = (handle as { version: number }).version === 1;
    if (v1) {
      expect(cgroupFile(handle, 'memory', 'memory.limit_in_bytes')).toBe(String(48 * 1024 * 1024));
      expect(cgroupFile(handle, 'cpu', 'cpu.cfs_quota_us')).toBe('50000');
      expect(cgroupFile(handle, 'cpu', 'cpu.shares')).toBe('512');
      expect(cgroupFile(handle, 'pids', 'pids.max')).toBe('33');
      expect(cgroupFile(handle, 'memory', 'cgroup.procs').split('\n')).toContain(String(rec.State.Pid));
    } else {
      expect(cgroupFile(handle, 'memory', 'memory.max')).toBe(String(48 * 1024 * 1024));
      expect(cgroupFile(handle, 'cpu', 'cpu.max')).toBe('50000 100000');
      expect(cgroupFile(handle, 'pids', 'pids.max')).toBe('33');
    }
    const own = readFileSync('/proc/self/cgroup', 'utf8');
    const memLine = own.split('\n').find((l) => l.split(':')[1]?.split(',').includes('memory')) ?? own.split('\n').find((l) => l.startsWith('0::'))!;
    const ownMem = memLine.split(':')[2]!;
    const procCgroup = readFileSync(`/proc/${rec.State.Pid}/cgroup`, 'utf8');
    expect(procCgroup).toContain(`${ownMem === '/' ? '' : ownMem}/berth/${rec.Id}`);
    // Inside, the cgroup namespace hides where the container sits.
    expect(t.cli(['run', '--rm', img, 'cat', '/proc/self/cgroup']).stdout).not.toContain('berth');
    expect(t.cli(['rm', '-f', rec.Id]).code).toBe(0);
  });

  it('puts containers below --cgroup-parent', async () => {
    const r = t.cli(['run', '-d', '--cgroup-parent', 'berth-test-parent', img, 'sleep', '30']);
    expect(r.code, r.stderr).toBe(0);
    const rec = await t.engine.inspect(r.stdout.trim());
    expect(readFileSync(`/proc/${rec.State.Pid}/cgroup`, 'utf8')).toContain(`/berth-test-parent/${rec.Id}`);
    expect(t.cli(['rm', '-f', rec.Id]).code).toBe(0);
    const refused = t.cli(['run', '--rm', '--cgroup-parent', '/', img, 'true']);
    expect(refused.code).toBe(125);
    expect(refused.stderr.split('\n')[0]).toMatch(/^berth: .*root/);
  });

  it('lists a management command\'s subcommands as docker does, and refuses an unknown one', () => {
    const group = t.cli(['network']);
    expect(group.code).toBe(0);
    expect(group.stdout).toMatch(/^Usage: {2}berth network COMMAND\n\nManage networks\n\nCommands:\n/);
    expect(group.stdout).toMatch(/\n {2}connect {5}Connect a container to a network\n/);
    expect(t.cli(['image', '--help']).stdout).toMatch(/\n {2}ls {10}List images\n/);
    const bad = t.cli(['network', 'bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("berth: 'network bogus' is not a berth command.\nSee 'berth network --help'\n");
  });

  it('gives --network none loopback only and --network host the host interfaces', () => {
    const none = t.cli(['run', '--rm', '--network', 'none', img, 'cat', '/proc/net/dev']);
    const ifaces = (s: string): string[] => s.split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean);
    expect(ifaces(none.stdout)).toEqual(['lo']);
    expect(t.cli(['run', '--rm', '--network', 'none', img, 'sh', '-c', 'cat /sys/class/net/lo/operstate; cat /sys/class/net/lo/flags']).stdout).toMatch(/0x9/);
    const host = t.cli(['run', '--rm', '--network', 'host', img, 'cat', '/proc/net/dev']);
    // Tests running beside this one add and remove their bridges and veths meanwhile.
    const stable = (names: string[]): string[] => names.filter((n) => !/^(vb|berth)/.test(n)).sort();
    expect(stable(ifaces(host.stdout))).toEqual(stable(ifaces(readFileSync('/proc/net/dev', 'utf8'))));
  });

  it('imports plain, gzip and stdin tarballs and refuses what is not a tar', () => {
    const tar = busyboxTar(t.root);
    const gz = path.join(t.root, 'rootfs.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(tar)));
    const a = t.cli(['import', '-c', 'ENV A=1', '-c', 'CMD ["sh", "-c", "echo $A"]', gz, 'gz:1']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(t.cli(['run', '--rm', 'gz:1']).stdout).toBe('1\n');
    const b = t.cli(['import', '-', 'fromstdin'], { input: readFileSync(tar) });
    expect(b.code, b.stderr).toBe(0);
    expect(t.cli(['run', '--rm', 'fromstdin', '/bin/echo', 'ok']).stdout).toBe('ok\n');
    const before = t.cli(['images', '-q', '--no-trunc']).stdout;
    const junk = path.join(t.root, 'junk.tar');
    writeFileSync(junk, 'this is not a tar archive\n'.repeat(100));
    const bad = t.cli(['import', junk, 'junk']);
    expect(bad.code).toBe(125);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(t.cli(['images', '-q', '--no-trunc']).stdout).toBe(before);
    expect(t.cli(['import', path.join(t.root, 'missing.tar')]).code).toBe(125);
  });

  it('lists images and containers with docker\'s columns', () => {
    const images = t.cli(['images']);
    expect(images.code).toBe(0);
    expect(images.stdout.split('\n')[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(images.stdout).toMatch(/^busybox\s+test\s+[0-9a-f]{12}\s+/m);
    const c = t.cli(['create', '--name', 'listed', img, 'sleep', '5']);
    expect(c.code, c.stderr).toBe(0);
    const ps = t.cli(['ps', '-a']);
    expect(ps.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect(ps.stdout).toMatch(/busybox:test\s+"sleep 5"\s+.* ago\s+Created\s+listed/);
    expect(t.cli(['ps', '-q']).stdout).not.toContain(c.stdout.trim().slice(0, 12));
    expect(t.cli(['start', 'listed']).code).toBe(0);
    expect(t.cli(['ps']).stdout).toMatch(/Up (Less than a second|\d+ seconds?)\s+listed/);
    expect(t.cli(['wait', 'listed']).stdout).toBe('0\n');
    expect(t.cli(['ps', '-a']).stdout).toMatch(/Exited \(0\) .* ago\s+listed/);
    expect(t.cli(['rm', 'listed']).stdout).toBe('listed\n');
  });

  it('kills with a signal and waits for the exit code', () => {
    const r = t.cli(['run', '-d', img, 'sh', '-c', 'trap "exit 9" TERM; while true; do sleep 0.1; done']);
    const id = r.stdout.trim();
    expect(t.cli(['kill', '-s', 'TERM', id.slice(0, 8)]).code).toBe(0);
    expect(t.cli(['wait', id]).stdout).toBe('9\n');
    const k = t.cli(['run', '-d', img, 'sleep', '30']).stdout.trim();
    expect(t.cli(['kill', k]).code).toBe(0);
    expect(t.cli(['wait', k]).stdout).toBe('137\n');
    expect(t.cli(['rm', id, k]).code).toBe(0);
    expect(t.cli(['kill', 'nosuch']).stderr).toMatch(/No such container: nosuch/);
  });

  it('starts a created container attached and passes its exit code', () => {
    const id = t.cli(['create', '-i', img, 'sh', '-c', 'cat; exit 3']).stdout.trim();
    const r = t.cli(['start', '-a', '-i', id], { input: 'through stdin\n' });
    expect(r.stdout).toBe('through stdin\n');
    expect(r.code).toBe(3);
    expect(t.cli(['rm', id]).code).toBe(0);
  });

  it('prints version and --help for every command', () => {
    expect(t.cli(['version']).stdout).toMatch(/Version:\s+\d+\.\d+\.\d+/);
    const top = t.cli(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['run', 'create', 'start', 'ps', 'rm', 'kill', 'wait', 'inspect', 'import', 'images', 'version']) {
      expect(top.stdout).toMatch(new RegExp(`^  ${cmd}\\s`, 'm'));
      const h = t.cli([cmd, '--help']);
      expect(h.code, cmd).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage:\\s+berth ${cmd}`));
    }
    expect(t.cli(['run', '--help']).stdout).toMatch(/-m, --memory bytes/);
    const unknown = t.cli(['run', '--nosuchflag', img]);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toBe("berth: unknown flag: --nosuchflag\nSee 'berth run --help'.\n");
  });

  it('runs from a V8 code cache, and replaces one that V8 refuses', () => {
    const cache = path.join(path.dirname(cliPath), '..', 'dist', 'bundle', 'cli.cjs.cache');
    expect(t.cli(['version']).code).toBe(0);
    expect(existsSync(cache)).toBe(true);
    // Garbage in the cache: V8 rejects it, the CLI still runs and writes a good one.
    writeFileSync(cache, 'not a code cache');
    const r = t.cli(['run', '--rm', img, 'echo', 'cached']);
    expect(r.stdout).toBe('cached\n');
    expect(r.stderr).toBe('');
    expect(readFileSync(cache).length).toBeGreaterThan(1000);
  });

  it('leaves no socket or container dir after --rm runs, attached or detached', async () => {
    const containers = path.join(t.root, 'containers');
    const count = (): number => (existsSync(containers) ? readdirSync(containers).length : 0);
    const before = count();
    expect(t.cli(['run', '--rm', img, 'true']).code).toBe(0);
    const id = t.cli(['run', '-d', '--rm', '--memory', '32m', img, 'sleep', '0.5']).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // The supervisor's exit command removes a detached --rm container once it exits.
    for (let i = 0; i < 200 && existsSync(path.join(containers, id)); i++) await new Promise((res) => setTimeout(res, 25));
    expect(existsSync(path.join(containers, id))).toBe(false);
    expect(count()).toBe(before);
    const sockets = path.join(t.runRoot, 's');
    const left = existsSync(sockets) ? readFileSync('/proc/net/unix', 'utf8').split('\n').filter((l) => l.includes(sockets)) : [];
    expect(left).toEqual([]);
  });
});
