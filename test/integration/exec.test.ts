/**
 * `berth exec` through the CLI binary and the Engine: a new process in a running container's
 * namespaces and cgroup, with the container's user, env, cwd and capabilities.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cliPath, importBusybox, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';
import { cgroupDirs, type CgroupHandle } from '../../src/cgroup/index.js';
import type { ExecHandle } from '../../src/container/exec.js';

const DEFAULT_CAPS = 0x00000000a80425fbn;

/**
 * Runs argv on a new pty (python's pty module: Node has none), types `typed` once `ready`
 * shows, then the detach keys; prints the output and how the program ended.
 */
const PTY_DRIVER = `
import os, pty, sys, select, json, time
argv, ready, typed, keys = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b''
def read_until(want, limit):
    global out
    end = time.time() + limit
    while want.encode() not in out and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return
read_until(ready, 30)
os.write(fd, typed.encode())
read_until(typed.strip(), 30)
os.write(fd, keys.encode())
end = time.time() + 30
while time.time() < end:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.05)
else:
    os.kill(pid, 9)
    done, status = os.waitpid(pid, 0)
print(json.dumps({"out": out.decode(errors="replace"), "code": os.waitstatus_to_exitcode(status)}))
`;

function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;
}

function collect(s: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (b: Buffer) => (text += b.toString('utf8')));
    s.once('end', () => resolve(text));
  });
}

/** Output read until it holds want (a pty echoes, so exact output is not the point). */
function until(s: NodeJS.ReadableStream, want: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (b: Buffer): void => {
      text += b.toString('utf8');
      if (want.test(text)) {
        s.off('data', onData);
        resolve(text);
      }
    };
    s.on('data', onData);
  });
}

describe.skipIf(skipIntegration('berth exec'))('berth exec', () => {
  let t: TestRoot;
  let img: string;
  let id: string;

  beforeAll(() => {
    t = makeTestRoot();
    img = importBusybox(t);
    const r = t.cli(['run', '-d', '--name', 'box', '-h', 'boat', '-e', 'FROM_RUN=1', '-e', 'SHARED=run', '-w', '/srv', img, 'sh', '-c', 'echo written > /marker; exec sleep 600']);
    if (r.code !== 0) throw new Error(r.stderr);
    id = r.stdout.trim();
    // The marker is written before sleep runs: wait for sleep, so every test sees it.
    for (let i = 0; i < 500 && t.cli(['exec', 'box', 'cat', '/proc/1/comm']).stdout.trim() !== 'sleep'; i++);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const exec = (args: string[], input?: string) => t.cli(['exec', ...args], input === undefined ? {} : { input });

  it("sees the container's pid namespace, hostname and files", () => {
    const r = exec(['box', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; hostname; cat /marker; echo $$']);
    expect(r.code, r.stderr).toBe(0);
    const [init, host, marker, pid] = r.stdout.trim().split('\n');
    expect(init?.trim()).toBe('sleep 600');
    expect(host).toBe('boat');
    expect(marker).toBe('written');
    // A pid of the container's namespace, not the host's.
    expect(Number(pid)).toBeLessThan(100);
  });

  it('passes the exit code through; 127 and 126 when the command cannot run', () => {
    expect(exec(['box', 'sh', '-c', 'exit 3']).code).toBe(3);
    const missing = exec(['box', 'nosuch']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe(
      'berth: OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH\n',
    );
    const notExecutable = exec(['box', '/marker']);
    expect(notExecutable.code).toBe(126);
    expect(notExecutable.stderr).toContain('permission denied');
  });

  it('merges -e and --env-file over the container env, and takes -w and -u', () => {
    const envFile = path.join(t.root, 'exec.env');
    writeFileSync(envFile, 'FROM_FILE=f\nSHARED=file\n');
    const r = exec(['--env-file', envFile, '-e', 'SHARED=exec', '-e', 'EXTRA=x', 'box', 'sh', '-c', 'echo $FROM_RUN $FROM_FILE $SHARED $EXTRA; pwd']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1 f exec x\n/srv\n');
    const u = exec(['-u', 'nobody', '-w', '/tmp', 'box', 'sh', '-c', 'id; pwd; echo $HOME']);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toBe('uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/tmp\n/nonexistent\n');
    const uid = exec(['-u', '1000:50', 'box', 'id']);
    expect(uid.stdout).toBe('uid=1000(user) gid=50(staff) groups=50(staff)\n');
    const noUser = exec(['-u', 'nosuch', 'box', 'true']);
    expect(noUser.code).toBe(126);
    expect(noUser.stderr).toBe('berth: unable to find user nosuch: no matching entries in passwd file\n');
    const noDir = exec(['-w', '/nonexistent', 'box', 'true']);
    expect(noDir.code).toBe(126);
    expect(noDir.stderr).toContain('chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory');
  });

  it("has the container's capabilities and no_new_privs; all with --privileged", () => {
    const status = (args: string[]): { caps: bigint; nnp: string } => {
      const r = exec([...args, 'box', 'grep', '-E', '^(CapEff|NoNewPrivs)', '/proc/self/status']);
      expect(r.code, r.stderr).toBe(0);
      const f = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/:\s+/) as [string, string]));
      return { caps: BigInt(`0x${f['CapEff']}`), nnp: f['NoNewPrivs']! };
    };
    expect(status([])).toEqual({ caps: DEFAULT_CAPS, nnp: '1' });
    const host = BigInt(`0x${/^CapBnd:\s+(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    expect(status(['--privileged']).caps).toBe(host);
  });

  it('pipes stdin with -i, end of input included', () => {
    const r = exec(['-i', 'box', 'sh', '-c', 'cat; echo done'], 'line one\nline two\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('line one\nline two\ndone\n');
    // Without -i the process gets no stdin.
    expect(exec(['box', 'cat'], 'ignored').stdout).toBe('');
  });

  it('gives a pty with -t, sized and resized through the Engine', async () => {
    const r = exec(['-t', 'box', 'tty']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/);
    const h = await t.engine.exec('box', { cmd: ['sh', '-c', 'stty size; read x; stty size'], tty: true, attachStdin: true, consoleSize: [12, 34] });
    const first = await until(h.stdout, /12 34\r\n/);
    expect(first).toContain('12 34');
    h.resize(40, 100);
    h.stdin.write('go\n');
    const [out, code] = await Promise.all([collect(h.stdout), h.wait()]);
    expect(code).toBe(0);
    expect(out).toContain('40 100');
  });

  it.skipIf(!hasPython())('detaches from -it on the detach keys, leaving the process running (needs python3 for a pty)', () => {
    const base = [process.execPath, cliPath, '--root', t.root, '--run-root', t.runRoot];
    const drive = (flags: string[], keys: string) => {
      const argv = [...base, 'exec', '-it', ...flags, 'box', 'sh', '-c', 'echo ready; exec cat'];
      const r = spawnSync('python3', ['-c', PTY_DRIVER, JSON.stringify([argv, 'ready', 'hello\r', keys])], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { out: string; code: number };
    };
    const cats = (): number => exec(['box', 'ps']).stdout.split('\n').filter((l) => / cat$/.test(l)).length;
    const before = cats();
    const byDefault = drive([], '\x10\x11');
    expect(byDefault.code).toBe(0);
    expect(byDefault.out).toContain('hello');
    const custom = drive(['--detach-keys', 'ctrl-x,y'], '\x18y');
    expect(custom.code).toBe(0);
    expect(cats()).toBe(before + 2);
    exec(['box', 'sh', '-c', 'kill $(pidof cat)']);
  });

  it('returns at once with -d; the process runs on', async () => {
    // The detached process cannot finish before this test lets it: -d must return first.
    const r = exec(['-d', 'box', 'sh', '-c', 'while ! test -f /go; do sleep 0.05; done; touch /detached']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(exec(['box', 'touch', '/go']).code).toBe(0);
    const h = await t.engine.exec('box', { cmd: ['sh', '-c', 'while ! test -f /detached; do sleep 0.05; done; echo seen'] });
    const out = collect(h.stdout);
    expect(await h.wait()).toBe(0);
    expect(await out).toBe('seen\n');
  });

  it('runs two execs at once, into the same namespaces', async () => {
    const a = await t.engine.exec('box', { cmd: ['sh', '-c', 'read x; echo A$x'], attachStdin: true });
    const aOut = collect(a.stdout);
    const b = await t.engine.exec('box', { cmd: ['sh', '-c', 'echo B; ls /proc | grep -c "^[0-9]"'] });
    const bOut = collect(b.stdout);
    expect(await b.wait()).toBe(0);
    // sleep (pid 1), the waiting exec's sh, and b's own sh, ls and grep.
    expect((await bOut).split('\n')[0]).toBe('B');
    expect(Number((await bOut).split('\n')[1])).toBeGreaterThanOrEqual(3);
    a.stdin.end('1\n');
    expect(await a.wait()).toBe(0);
    expect(await aOut).toBe('A1\n');
  });

  it("is in the container's cgroup and namespaces, holding only fds 0, 1 and 2", async () => {
    const rec = await t.engine.inspect('box');
    const h: ExecHandle = await t.engine.exec('box', { cmd: ['cat'], attachStdin: true });
    const info = await t.engine.inspectExec(h.id);
    expect(info.Running).toBe(true);
    expect(info.ExitCode).toBeNull();
    const pid = info.Pid;
    for (const dir of cgroupDirs(rec.Runtime.cgroup as CgroupHandle)) {
      expect(readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')).toContain(String(pid));
    }
    for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup']) {
      expect(readlinkSync(`/proc/${pid}/ns/${ns}`), ns).toBe(readlinkSync(`/proc/${rec.State.Pid}/ns/${ns}`));
    }
    expect(readlinkSync(`/proc/${pid}/root`)).toBe('/');
    expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['0', '1', '2']);
    h.stdin.end();
    expect(await h.wait()).toBe(0);
  });

  it('keeps a record as docker inspects an exec, and leaves no supervisor or socket', async () => {
    const h = await t.engine.exec('box', { cmd: ['sh', '-c', 'exit 7'], user: 'nobody' });
    expect(await h.wait()).toBe(7);
    const info = await t.engine.inspectExec(h.id);
    expect(info).toMatchObject({
      ID: h.id,
      ContainerID: id,
      Running: false,
      ExitCode: 7,
      ProcessConfig: { entrypoint: 'sh', arguments: ['-c', 'exit 7'], tty: false, user: 'nobody', privileged: false },
      OpenStdin: false,
      OpenStdout: true,
      OpenStderr: true,
    });
    expect(info.Pid).toBeGreaterThan(0);
    expect(existsSync(`/proc/${info.Pid}`)).toBe(false);
    expect(readdirSync(path.join(t.runRoot, 'x'))).toEqual([]);
    await expect(t.engine.inspectExec('0'.repeat(64))).rejects.toThrow(`No such exec instance: ${'0'.repeat(64)}`);
  });

  it("refuses a missing or stopped container with docker's messages", async () => {
    const none = exec(['nosuch', 'true']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('berth: No such container: nosuch\n');
    const r = t.cli(['run', '--name', 'done', img, 'true']);
    expect(r.code, r.stderr).toBe(0);
    const stopped = exec(['done', 'true']);
    expect(stopped.code).toBe(1);
    const doneId = (await t.engine.inspect('done')).Id;
    expect(stopped.stderr).toBe(`berth: Container ${doneId} is not running\n`);
    await expect(t.engine.exec('done', { cmd: ['true'] })).rejects.toThrow(`Container ${doneId} is not running`);
  });
});
