/**
 * Volumes through the CLI binary: named, anonymous and bind mounts, tmpfs, --read-only,
 * --volumes-from, copy-up from the image, and the volume commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { busyboxTar, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';

/** Lines of the host's mount table that name the test root (but the containers' pinned network namespaces). */
function hostMountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(root) && !l.includes(' - nsfs '));
}

describe.skipIf(skipIntegration('volumes'))('volumes', () => {
  let t: TestRoot;
  /** busybox with /data (owned 1000:50, mode 0750, holding sub/file 0640) declared a VOLUME. */
  let img: string;

  const ok = (args: string[], input?: string): string => {
    const r = t.cli(args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const volumeNames = (): string[] => ok(['volume', 'ls', '-q']).split('\n').filter((l) => l !== '');

  beforeAll(() => {
    t = makeTestRoot();
    busyboxTar(t.root);
    const rootfs = path.join(t.root, 'busybox-rootfs');
    mkdirSync(path.join(rootfs, 'data', 'sub'), { recursive: true });
    writeFileSync(path.join(rootfs, 'data', 'sub', 'file'), 'from-image\n');
    chownSync(path.join(rootfs, 'data'), 1000, 50);
    chownSync(path.join(rootfs, 'data', 'sub'), 1000, 50);
    chownSync(path.join(rootfs, 'data', 'sub', 'file'), 1000, 50);
    chmodSync(path.join(rootfs, 'data'), 0o750);
    chmodSync(path.join(rootfs, 'data', 'sub', 'file'), 0o640);
    const tar = path.join(t.root, 'volume-image.tar');
    const r = spawnSync('tar', ['-C', rootfs, '--numeric-owner', '-cf', tar, '.']);
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr.toString()}`);
    ok(['import', '--change', 'CMD ["sh"]', '--change', 'VOLUME /data', tar, 'voltest:1']);
    img = 'voltest:1';
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('keeps data in a named volume from one container to the next, and after rm', () => {
    ok(['run', '--name', 'writer', '-v', 'keep:/store', img, 'sh', '-c', 'echo persisted > /store/f']);
    ok(['rm', 'writer']);
    expect(ok(['run', '--rm', '-v', 'keep:/store', img, 'cat', '/store/f'])).toBe('persisted\n');
    const [v] = JSON.parse(ok(['volume', 'inspect', 'keep'])) as Array<Record<string, unknown>>;
    expect(v).toMatchObject({ Name: 'keep', Driver: 'local', Scope: 'local', Mountpoint: path.join(t.root, 'volumes', 'keep', '_data') });
    expect(readFileSync(path.join(v!['Mountpoint'] as string, 'f'), 'utf8')).toBe('persisted\n');
  });

  it('binds host directories both ways, creating a missing one for -v', () => {
    const host = path.join(t.root, 'host-dir');
    mkdirSync(host);
    writeFileSync(path.join(host, 'in'), 'from-host\n');
    const missing = path.join(t.root, 'made-by-v');
    expect(ok(['run', '--rm', '-v', `${host}:/h`, '-v', `${missing}:/m`, img, 'sh', '-c', 'cat /h/in; echo from-container > /h/out; touch /m/x'])).toBe('from-host\n');
    expect(readFileSync(path.join(host, 'out'), 'utf8')).toBe('from-container\n');
    expect(existsSync(path.join(missing, 'x'))).toBe(true);
    // A -v source removed after create is made again when the container starts, as docker does.
    const later = path.join(t.root, 'removed-before-start');
    const id = ok(['create', '-v', `${later}:/m`, img, 'touch', '/m/y']).trim();
    rmSync(later, { recursive: true });
    expect(t.cli(['start', '-a', id]).code).toBe(0);
    expect(existsSync(path.join(later, 'y'))).toBe(true);
    expect(t.cli(['rm', '-v', id]).code).toBe(0);
    const r = t.cli(['run', '--rm', '--mount', `type=bind,source=${path.join(t.root, 'absent')},target=/x`, img, 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/bind source path does not exist/);
  });

  it('binds a host file with -v, as it is', () => {
    const file = path.join(t.root, 'greeting.txt');
    writeFileSync(file, 'hello file\n');
    expect(ok(['run', '--rm', '-v', `${file}:/etc/greeting:ro`, img, 'cat', '/etc/greeting'])).toBe('hello file\n');
    expect(readFileSync(file, 'utf8')).toBe('hello file\n');
  });

  it('refuses writes through :ro with EROFS', () => {
    const r = t.cli(['run', '--rm', '-v', 'keep:/store:ro', img, 'sh', '-c', 'cat /store/f; touch /store/g']);
    expect(r.stdout).toBe('persisted\n');
    expect(r.stderr).toMatch(/touch: \/store\/g: Read-only file system/);
    expect(r.code).toBe(1);
    const m = t.cli(['run', '--rm', '--mount', 'type=volume,source=keep,target=/store,readonly', img, 'touch', '/store/g']);
    expect(m.stderr).toMatch(/Read-only file system/);
  });

  it("fills a new volume with the image's content, owners and modes kept, and never overwrites a used one", () => {
    const out = ok(['run', '--rm', '-v', 'seeded:/data', img, 'sh', '-c', 'stat -c "%u %g %a %n" /data /data/sub/file; cat /data/sub/file; echo mine > /data/sub/file']);
    expect(out).toBe('1000 50 750 /data\n1000 50 640 /data/sub/file\nfrom-image\n');
    expect(ok(['run', '--rm', '-v', 'seeded:/data', img, 'cat', '/data/sub/file'])).toBe('mine\n');
    // nocopy leaves a new volume empty.
    expect(ok(['run', '--rm', '-v', 'empty:/data:nocopy', img, 'ls', '-A', '/data'])).toBe('');
  });

  it('mounts every volume and bind of another container with --volumes-from, also when it is stopped', () => {
    const host = path.join(t.root, 'shared-bind');
    mkdirSync(host);
    writeFileSync(path.join(host, 'b'), 'bound\n');
    ok(['run', '--name', 'source', '-v', 'keep:/store', '-v', `${host}:/b:ro`, img, 'sh', '-c', 'echo from-source > /data/anon']);
    expect(ok(['inspect', '-f', '{{.State.Status}}', 'source'])).toBe('exited\n');
    expect(ok(['run', '--rm', '--volumes-from', 'source', img, 'cat', '/store/f', '/b/b', '/data/anon'])).toBe('persisted\nbound\nfrom-source\n');
    const ro = t.cli(['run', '--rm', '--volumes-from', 'source:ro', img, 'touch', '/store/x']);
    expect(ro.stderr).toMatch(/Read-only file system/);
    ok(['rm', '-v', 'source']);
  });

  it("removes a container's anonymous volumes with rm -v and --rm, and keeps named ones", () => {
    const before = volumeNames();
    ok(['run', '--rm', '-v', 'named-stays:/n', img, 'sh', '-c', 'echo x > /data/y']);
    expect(volumeNames().sort()).toEqual([...before, 'named-stays'].sort());

    const id = ok(['create', '-v', '/anon', img, 'true']).trim();
    const mounts = JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', id])) as Array<{ Name: string; Destination: string; Type: string }>;
    expect(mounts.map((m) => m.Destination).sort()).toEqual(['/anon', '/data']);
    const anon = mounts.map((m) => m.Name);
    for (const n of anon) expect(n).toMatch(/^[0-9a-f]{64}$/);
    expect(volumeNames()).toEqual(expect.arrayContaining(anon));
    ok(['rm', '-v', id]);
    expect(volumeNames().sort()).toEqual([...before, 'named-stays'].sort());

    // Without -v they stay, dangling.
    const kept = ok(['create', img, 'true']).trim();
    const [vol] = (JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', kept])) as Array<{ Name: string }>).map((m) => m.Name);
    ok(['rm', kept]);
    expect(ok(['volume', 'ls', '-q', '-f', 'dangling=true'])).toContain(vol!);
    expect(ok(['volume', 'prune', '-f'])).toContain(vol!);
    expect(volumeNames()).not.toContain(vol);
    expect(volumeNames()).toContain('named-stays');
  });

  it('refuses to remove a volume any container uses, running or not, and loses nothing', () => {
    const id = ok(['create', '--name', 'user', '-v', 'keep:/store', img, 'true']).trim();
    const r = t.cli(['volume', 'rm', 'keep']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error response from daemon: remove keep: volume is in use - [${id}]\n`);
    const f = t.cli(['volume', 'rm', '-f', 'keep']);
    expect(f.code).toBe(1);
    expect(ok(['volume', 'prune', '-f', '-a'])).not.toMatch(/^keep$/m);
    expect(readFileSync(path.join(t.root, 'volumes', 'keep', '_data', 'f'), 'utf8')).toBe('persisted\n');
    ok(['rm', 'user']);
    expect(ok(['volume', 'rm', 'keep'])).toBe('keep\n');
    expect(volumeNames()).not.toContain('keep');
    expect(t.cli(['volume', 'rm', '-f', 'keep']).code).toBe(0);
    const missing = t.cli(['volume', 'inspect', 'keep']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error: No such volume: keep\n');
  });

  it('gives --tmpfs an empty filesystem at each start, with its options', () => {
    ok(['create', '--name', 'tmp', '--tmpfs', '/scratch:size=1m,mode=700', img, 'sh', '-c', 'ls -A /scratch; touch /scratch/was-here; grep " /scratch " /proc/self/mountinfo']);
    for (let i = 0; i < 2; i++) {
      const out = ok(['start', '-a', 'tmp']);
      expect(out).not.toMatch(/was-here/);
      expect(out).toMatch(/ \/scratch rw,nosuid,nodev,noexec.* - tmpfs tmpfs rw,size=1024k,mode=700/);
    }
    ok(['rm', 'tmp']);
    expect(ok(['run', '--rm', '--mount', 'type=tmpfs,target=/t,tmpfs-size=2m', img, 'grep', ' /t ', '/proc/self/mountinfo'])).toMatch(/size=2048k/);
  });

  it('makes the root read-only with --read-only and leaves volumes and tmpfs writable', () => {
    const r = t.cli(['run', '--rm', '--read-only', '-v', 'rw-vol:/v', '--tmpfs', '/tmp', img, 'sh', '-c', 'touch /v/ok && touch /tmp/ok && echo writable; touch /root-file']);
    expect(r.stdout).toBe('writable\n');
    expect(r.stderr).toMatch(/touch: \/root-file: Read-only file system/);
    expect(r.code).toBe(1);
  });

  it('shows mounts in inspect as docker does', () => {
    const host = path.join(t.root, 'inspect-bind');
    const id = ok(['create', '-v', 'shown:/s:ro', '-v', `${host}:/h`, '--tmpfs', '/t:size=1m', '--read-only', img, 'true']).trim();
    const info = (JSON.parse(ok(['inspect', id])) as Array<Record<string, unknown>>)[0]!;
    const hc = info['HostConfig'] as Record<string, unknown>;
    expect(hc['Binds']).toEqual(['shown:/s:ro', `${host}:/h`]);
    expect(hc['Tmpfs']).toEqual({ '/t': 'size=1m' });
    expect(hc['ReadonlyRootfs']).toBe(true);
    expect((info['Config'] as Record<string, unknown>)['Volumes']).toEqual({ '/data': {} });
    expect(info['Mounts']).toEqual(
      expect.arrayContaining([
        { Type: 'volume', Name: 'shown', Source: path.join(t.root, 'volumes', 'shown', '_data'), Destination: '/s', Driver: 'local', Mode: 'ro', RW: false, Propagation: '' },
        { Type: 'bind', Source: host, Destination: '/h', Mode: '', RW: true, Propagation: 'rprivate' },
      ]),
    );
    expect(ok(['ps', '-a', '-q', '--no-trunc', '-f', 'volume=shown'])).toBe(`${id}\n`);
    expect(ok(['ps', '-a', '-q', '--no-trunc', '-f', 'volume=/h'])).toBe(`${id}\n`);
    expect(ok(['ps', '-a', '-q', '-f', 'volume=nothing-here'])).toBe('');
    expect(ok(['ps', '-a', '--format', '{{.Mounts}} {{.LocalVolumes}}', '-f', `id=${id}`])).toMatch(/^shown,.* 2\n$/);
    ok(['rm', '-v', id]);
  });

  it('prints docker-shaped help for the volume commands', () => {
    const help = ok(['volume', 'ls', '--help']);
    expect(help).toMatch(/^Usage: {2}berth volume ls \[OPTIONS\]\n/);
    expect(help).toMatch(/-q, --quiet +Only display volume names/);
    expect(ok(['--help'])).toMatch(/volume prune +Remove unused local volumes/);
    expect(ok(['run', '--help'])).toMatch(/-v, --volume list +Bind mount a volume/);
  });

  it('lists, filters and formats volumes, and counts them in system df', () => {
    ok(['volume', 'create', '--label', 'team=a', 'labelled']);
    expect(ok(['volume', 'create', 'labelled'])).toBe('labelled\n');
    const anon = ok(['volume', 'create']).trim();
    expect(anon).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(['volume', 'ls', '-q', '-f', 'label=team=a'])).toBe('labelled\n');
    expect(ok(['volume', 'ls', '-q', '-f', 'name=abell'])).toBe('labelled\n');
    expect(ok(['volume', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Label "team"}}', '-f', 'name=labelled'])).toBe('labelled local a\n');
    expect(ok(['volume', 'ls', '-f', 'name=labelled'])).toBe('DRIVER    VOLUME NAME\nlocal     labelled\n');
    expect(ok(['volume', 'inspect', '-f', '{{.Labels.team}} {{.Driver}}', 'labelled'])).toBe('a local\n');
    const bad = t.cli(['volume', 'create', 'bad/name']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/includes invalid characters for a local volume name/);
    const df = ok(['system', 'df']);
    const total = volumeNames().length;
    expect(df).toMatch(new RegExp(`^Local Volumes\\s+${total}\\s+0\\s`, 'm'));
    // prune without -a takes anonymous volumes only.
    const pruned = ok(['volume', 'prune', '-f']);
    expect(pruned).toContain(anon);
    expect(pruned).not.toMatch(/^labelled$/m);
    expect(ok(['volume', 'prune', '-f', '-a'])).toMatch(/^labelled$/m);
    expect(volumeNames()).toEqual([]);
  });

  it('leaves nothing in the host mount table', () => {
    ok(['run', '-d', '--name', 'bg', '-v', 'bgvol:/v', '--tmpfs', '/t', img, 'sleep', '30']);
    expect(hostMountsUnder(t.root)).toEqual([]);
    expect(ok(['exec', 'bg', 'sh', '-c', 'grep -c -E " /(v|t) " /proc/self/mountinfo'])).toBe('2\n');
    ok(['rm', '-f', '-v', 'bg']);
    expect(volumeNames()).toContain('bgvol');
  });

  it('works through the Engine (library) too', async () => {
    const created = await t.engine.createVolume({ name: 'lib', labels: { via: 'engine' } });
    expect(created).toMatchObject({ Name: 'lib', Driver: 'local', Labels: { via: 'engine' }, Scope: 'local' });
    const first = await t.engine.run({ image: img, cmd: ['sh', '-c', 'echo from-lib > /l/f'], binds: ['lib:/l'], readonlyRootfs: true });
    expect((await first.wait()).exitCode).toBe(0);
    const second = await t.engine.run({
      image: img,
      cmd: ['cat', '/again/f'],
      mounts: [{ Type: 'volume', Source: 'lib', Target: '/again', ReadOnly: true }],
      tmpfs: { '/t': 'size=1m' },
      autoRemove: true,
    });
    let out = '';
    second.stdout.on('data', (d: Buffer) => (out += d.toString()));
    expect((await second.wait()).exitCode).toBe(0);
    expect(out).toBe('from-lib\n');
    expect((await t.engine.listVolumes({ label: ['via=engine'] })).map((v) => v.Name)).toEqual(['lib']);
    await expect(t.engine.removeVolume('lib')).rejects.toThrow(`remove lib: volume is in use - [${first.id}]`);
    await t.engine.remove(first.id, { volumes: true });
    expect((await t.engine.diskUsage()).volumes).toMatchObject({ total: (await t.engine.listVolumes()).length, active: 0 });
    await t.engine.removeVolume('lib');
    await expect(t.engine.inspectVolume('lib')).rejects.toThrow('No such volume: lib');
  });
});
