/**
 * `berth run` through the CLI binary: real containers, real namespaces and cgroups.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { busyboxSuite, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';

const DEFAULT_CAPS = 0x00000000a80425fbn;

describe.skipIf(skipIntegration('berth run'))('berth run', () => {
  const suite = busyboxSuite();
  let t: TestRoot;
  let img: string;
  beforeAll(() => {
    ({ t, img } = suite());
  });

  const run = (args: string[], input?: string) => t.cli(['run', '--rm', ...args], { input });

  it('runs the built-in hello-world isolated', () => {
    const r = run(['hello-world']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pid 1\b/);
  });

  it('gives the process pid 1, its own hostname and no host process', () => {
    const r = run(['-h', 'boat', img, 'sh', '-c', 'echo pid=$$; hostname; ls -d /proc/[0-9]* | wc -l']);
    expect(r.code, r.stderr).toBe(0);
    const [pid, host, count] = r.stdout.trim().split('\n');
    expect(pid).toBe('pid=1');
    expect(host).toBe('boat');
    // sh (pid 1), and the ls and wc of the pipeline.
    expect(Number(count)).toBeLessThanOrEqual(3);
  });

  it('defaults the hostname to the short container id', () => {
    const r = t.cli(['run', '-d', img, 'sleep', '30']);
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const rec = JSON.parse(t.cli(['inspect', id]).stdout) as Array<{ Config: { Hostname: string } }>;
    expect(rec[0]!.Config.Hostname).toBe(id.slice(0, 12));
    expect(t.cli(['rm', '-f', id]).code).toBe(0);
  });

  it('mounts /proc, a read-only /sys and a /dev of its own, and masks host paths', () => {
    const script = [
      'test -c /dev/null && test -c /dev/zero && test -c /dev/full && test -c /dev/random && test -c /dev/urandom && test -c /dev/tty && echo devs-ok',
      'test -c /dev/pts/ptmx && test -d /dev/shm && test -d /dev/mqueue && echo pts-ok',
      'touch /sys/x 2>/dev/null || echo sys-ro',
      'echo 1 > /proc/sys/kernel/domainname 2>/dev/null || echo procsys-ro',
      'echo 1 > /proc/sysrq-trigger 2>/dev/null || echo sysrq-ro',
      // Some kernels have no /proc/kcore; where it exists it must read as empty.
      '! test -s /proc/kcore && echo kcore-masked',
      'test "$(wc -c < /proc/keys)" = 0 && echo keys-masked',
      'test -z "$(ls /sys/firmware)" && echo firmware-masked',
      'grep -q " / / .*overlay" /proc/self/mountinfo && echo overlay-root',
    ].join('; ');
    const r = run([img, 'sh', '-c', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'devs-ok', 'pts-ok', 'sys-ro', 'procsys-ro', 'sysrq-ro', 'kcore-masked', 'keys-masked', 'firmware-masked', 'overlay-root',
    ]);
  });

  it("has docker's default capabilities, changed by --cap-add, --cap-drop and --privileged", () => {
    const capEff = (args: string[]): bigint => {
      const r = run([...args, img, 'grep', 'CapEff', '/proc/self/status']);
      expect(r.code, r.stderr).toBe(0);
      return BigInt(`0x${r.stdout.trim().split(/\s+/)[1]}`);
    };
    expect(capEff([])).toBe(DEFAULT_CAPS);
    expect(capEff(['--cap-drop', 'ALL'])).toBe(0n);
    expect(capEff(['--cap-drop', 'chown'])).toBe(DEFAULT_CAPS & ~1n);
    expect(capEff(['--cap-add', 'SYS_ADMIN'])).toBe(DEFAULT_CAPS | (1n << 21n));
    expect(capEff(['--privileged']) & (1n << 21n)).toBe(1n << 21n);
    const nnp = run([img, 'grep', 'NoNewPrivs', '/proc/self/status']);
    expect(nnp.stdout).toMatch(/NoNewPrivs:\s+1/);
  });

  it('runs as the user asked for, by name or number', () => {
    expect(run(['-u', 'user', img, 'id']).stdout.trim()).toMatch(/^uid=1000\(user\) gid=1000\(user\) groups=(50\(staff\),1000\(user\)|1000\(user\),50\(staff\))$/);
    expect(run(['-u', '1234:55', img, 'id', '-u']).stdout.trim()).toBe('1234');
    const unknown = run(['-u', 'nosuchuser', img, 'id']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toMatch(/unable to find user nosuchuser/);
  });

  it('passes env, working dir and entrypoint', () => {
    const r = run(['-e', 'A=1', '-e=B=two', '-w', '/tmp/work', '--entrypoint', 'sh', img, '-c', 'echo $A $B $(pwd) $PATH']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('1 two /tmp/work /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it('propagates exit codes and reports commands that cannot run', () => {
    expect(run([img, 'sh', '-c', 'exit 3']).code).toBe(3);
    const missing = run([img, 'nosuchcommand']);
    expect(missing.code).toBe(127);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/executable file not found/);
    const notExec = run([img, '/etc/passwd']);
    expect(notExec.code).toBe(126);
  });

  it('forwards stdin and closes it at EOF', () => {
    const r = run(['-i', img, 'sh', '-c', 'cat; echo done'], 'hello from stdin\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello from stdin\ndone\n');
  });

  it('keeps stdout and stderr apart', () => {
    const r = run([img, 'sh', '-c', 'echo out; echo err >&2']);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
  });

  it('ends a container whose memory runs out with 137 and OOMKilled', () => {
    const r = t.cli(['run', '--name', 'hog', '--memory', '32m', img, 'sh', '-c', 'tail /dev/zero']);
    expect(r.code).toBe(137);
    const rec = JSON.parse(t.cli(['inspect', 'hog']).stdout) as Array<{ State: { OOMKilled: boolean; ExitCode: number } }>;
    expect(rec[0]!.State).toMatchObject({ OOMKilled: true, ExitCode: 137 });
    expect(t.cli(['rm', 'hog']).code).toBe(0);
  });

  it('stops a fork bomb at --pids-limit while the host stays fine', async () => {
    // The forking subshell dies when fork fails; pid 1 then execs, needing no new pid.
    const r = t.cli(['run', '-d', '--pids-limit', '20', img, 'sh', '-c', '(for i in $(seq 1 60); do sleep 30 & done) 2>/dev/null; exec sleep 30']);
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    await new Promise((res) => setTimeout(res, 1500));
    const rec = await t.engine.inspect(id);
    const handle = rec.Runtime.cgroup as { dir?: string; dirs?: Record<string, string> };
    const pidsDir = handle.dir ?? Object.entries(handle.dirs ?? {}).find(([k]) => k.split(',').includes('pids'))![1];
    const current = Number(readFileSync(path.join(pidsDir, 'pids.current'), 'utf8'));
    expect(current).toBeLessThanOrEqual(20);
    expect(current).toBeGreaterThan(10);
    expect(readFileSync(path.join(pidsDir, 'pids.events'), 'utf8')).toMatch(/^max [1-9]/m);
    expect(spawnSync('true').status).toBe(0);
    expect(t.cli(['rm', '-f', id]).code).toBe(0);
  });

  it('writes reach neither the image nor another container', () => {
    expect(t.cli(['run', '--name', 'writer', img, 'sh', '-c', 'echo x > /bin/newfile && rm /bin/cat']).code).toBe(0);
    expect(run([img, 'sh', '-c', 'test ! -e /bin/newfile && test -e /bin/cat && echo clean']).stdout.trim()).toBe('clean');
    const layers = path.join(t.root, 'storage', 'layers');
    const busyboxLayers = readdirSync(layers).filter((l) => existsSync(path.join(layers, l, 'diff', 'bin', 'busybox')));
    expect(busyboxLayers).toHaveLength(1);
    for (const l of readdirSync(layers)) expect(existsSync(path.join(layers, l, 'diff', 'bin', 'newfile'))).toBe(false);
    expect(lstatSync(path.join(layers, busyboxLayers[0]!, 'diff', 'bin', 'cat')).isSymbolicLink()).toBe(true);
    expect(t.cli(['rm', 'writer']).code).toBe(0);
  });

  it('keeps a -d container running after the CLI exits, with only fds 0, 1 and 2', async () => {
    const r = t.cli(['run', '-d', '--name', 'bg', img, 'sleep', '60']);
    expect(r.code, r.stderr).toBe(0);
    const ps = t.cli(['ps', '-q', '--no-trunc']);
    expect(ps.stdout.trim().split('\n')).toContain(r.stdout.trim());
    const rec = await t.engine.inspect('bg');
    expect(rec.State.Running).toBe(true);
    expect(readdirSync(`/proc/${rec.State.Pid}/fd`).sort()).toEqual(['0', '1', '2']);
    const refused = t.cli(['rm', 'bg']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/You cannot remove a running container/);
    expect(t.cli(['rm', '-f', 'bg']).code).toBe(0);
    expect(existsSync(`/proc/${rec.State.Pid}`)).toBe(false);
  });

  it('shows a container whose supervisor was killed as exited and releases its cgroup', async () => {
    const r = t.cli(['run', '-d', '--name', 'orphaned', img, 'sleep', '60']);
    expect(r.code, r.stderr).toBe(0);
    const rec = await t.engine.inspect('orphaned');
    const shim = rec.Runtime.shim!;
    const handle = rec.Runtime.cgroup as { dir?: string; dirs?: Record<string, string> };
    const cgroupDirs = handle.dir ? [handle.dir] : Object.values(handle.dirs ?? {});
    process.kill(shim.pid, 'SIGKILL');
    for (let i = 0; i < 100 && existsSync(`/proc/${rec.State.Pid}`); i++) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(`/proc/${rec.State.Pid}`)).toBe(false);
    const ps = t.cli(['ps', '-a']);
    expect(ps.stdout).toMatch(/Exited \(255\) .*orphaned/);
    for (const d of cgroupDirs) expect(existsSync(d)).toBe(false);
    expect(t.cli(['rm', 'orphaned']).code).toBe(0);
  });

  it('drops an --rm container whose supervisor was killed from ps, instead of failing the listing', async () => {
    const r = t.cli(['run', '-d', '--rm', '--name', 'orphaned-rm', img, 'sleep', '60']);
    expect(r.code, r.stderr).toBe(0);
    const rec = await t.engine.inspect('orphaned-rm');
    process.kill(rec.Runtime.shim!.pid, 'SIGKILL');
    for (let i = 0; i < 100 && existsSync(`/proc/${rec.State.Pid}`); i++) await new Promise((res) => setTimeout(res, 20));
    const ps = t.cli(['ps', '-a']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).not.toContain('orphaned-rm');
    expect(existsSync(path.join(t.root, 'containers', rec.Id))).toBe(false);
  });

  it('--rm leaves nothing behind', () => {
    const r = t.cli(['run', '--rm', '--name', 'gone', '--memory', '64m', img, 'true']);
    expect(r.code, r.stderr).toBe(0);
    expect(t.cli(['ps', '-a']).stdout).not.toMatch(/\bgone\b/);
    const before = readdirSync(path.join(t.root, 'containers')).length;
    expect(t.cli(['run', '--rm', img, 'true']).code).toBe(0);
    expect(readdirSync(path.join(t.root, 'containers'))).toHaveLength(before);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(t.root);
  });

  it('--rm through the library leaves nothing once the engine is closed, and sweeps a dead process\'s trash', async () => {
    const trash = path.join(t.root, 'trash');
    const h = await t.engine.run({ image: img, cmd: ['true'], autoRemove: true });
    h.stdout.resume();
    h.stderr.resume();
    expect((await h.wait()).exitCode).toBe(0);
    // The container is gone at once; its files go in the background, and close() waits for that.
    expect(existsSync(path.join(t.root, 'containers', h.id))).toBe(false);
    await t.engine.close();
    expect(existsSync(trash) ? readdirSync(trash) : []).toEqual([]);

    // A process killed while deleting leaves its trash; the next create deletes it.
    const left = path.join(trash, '999999999.1-abc-0000', 'upper', 'etc');
    mkdirSync(left, { recursive: true });
    writeFileSync(path.join(left, 'hosts'), 'x');
    expect(t.cli(['create', img, 'true']).code).toBe(0);
    await t.engine.close();
    const c = t.cli(['create', img, 'true']);
    expect(c.code, c.stderr).toBe(0);
    expect(readdirSync(trash)).toEqual([]);
    expect(t.cli(['rm', c.stdout.trim()]).code).toBe(0);
  });

  it('skips a torn record in listings and removes it with rm -f', () => {
    const r = t.cli(['create', '--name', 'torn', img, 'true']);
    expect(r.code, r.stderr).toBe(0);
    const id = r.stdout.trim();
    writeFileSync(path.join(t.root, 'containers', id, 'config.json'), '');
    const ps = t.cli(['ps', '-a']);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).not.toContain('torn');
    const inspect = t.cli(['inspect', id]);
    expect(inspect.stderr).toMatch(new RegExp(`corrupt container record .*'berth rm -f ${id}'`));
    // Another create must not take the torn record's dir for an orphan.
    expect(t.cli(['run', '--rm', img, 'true']).code).toBe(0);
    expect(existsSync(path.join(t.root, 'containers', id))).toBe(true);
    expect(t.cli(['rm', id]).code).not.toBe(0);
    const rm = t.cli(['rm', '-f', id]);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout.trim()).toBe(id);
    expect(existsSync(path.join(t.root, 'containers', id))).toBe(false);
  });

  it('gives one clear line for bad input and creates nothing', () => {
    const before = readdirSync(path.join(t.root, 'containers')).length;
    for (const args of [['--memory', '12x', img], ['--cpus', '-1', img], [' nosuchimage']]) {
      const r = t.cli(['run', '--rm', ...args, 'true']);
      expect(r.code).toBe(125);
      expect(r.stderr.trim().split('\n')[0]).toMatch(/^berth: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // A missing image is pulled; from a registry that is not there (loopback only: tests never go out) that fails in one line.
    const missing = t.cli(['run', '--rm', '127.0.0.1:9/nosuchimage:1', 'true']);
    expect(missing.code).toBe(125);
    expect(missing.stderr.trim().split('\n')).toEqual([
      "Unable to find image '127.0.0.1:9/nosuchimage:1' locally",
      expect.stringMatching(/^berth: cannot reach registry 127\.0\.0\.1:9: /),
    ]);
    expect(t.cli(['run', '--name', 'taken', img, 'true']).code).toBe(0);
    const dup = t.cli(['run', '--name', 'taken', img, 'true']);
    expect(dup.code).toBe(125);
    expect(dup.stderr).toMatch(/already in use/);
    expect(t.cli(['rm', 'taken']).code).toBe(0);
    expect(t.cli(['inspect', 'taken']).code).toBe(1);
    expect(readdirSync(path.join(t.root, 'containers'))).toHaveLength(before);
  });
});
