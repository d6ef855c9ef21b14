/**
 * save and load: berth's docker-archives load back into berth and into a real dockerd,
 * archives from `docker save` load into berth, layer tars carry whiteouts, links and
 * xattrs and are a fixed point of unpack, and a bad archive changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ByteReader } from '../../src/image/byte-reader.js';
import { TarReader, type TarEntry } from '../../src/image/tar-reader.js';
import { loadImages, saveImages } from '../../src/image/archive.js';
import { saveCommand, loadCommand } from '../../src/cli/commands/archive.js';
import { processIo, type CommandContext } from '../../src/cli/context.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { LayerStore, chainIds } from '../../src/storage/layer-store.js';
import { layerDiffId, layerTar, layerTarSize } from '../../src/storage/layer-tar.js';
import { addon } from '../../src/native/addon.js';
import { busyboxTar, cliPath, importBusybox, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';
import { packTar, type PackEntry } from '../helpers/tar.js';
import { writeOciLayout } from '../helpers/oci-layout.js';

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of source) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function* chunked(data: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += 65536) yield data.subarray(i, i + 65536);
}

interface Item {
  entry: TarEntry;
  data: Buffer;
}

/** The entries of a tar, read with berth's own reader. */
async function readTar(data: Buffer): Promise<Item[]> {
  const out: Item[] = [];
  const input = new ByteReader(chunked(data)[Symbol.asyncIterator]());
  for await (const { entry, body } of new TarReader(input, 'test tar').entries()) out.push({ entry, data: await collect(body) });
  return out;
}

async function fileMap(data: Buffer): Promise<Map<string, Buffer>> {
  return new Map((await readTar(data)).filter((i) => i.entry.type === 'file').map((i) => [i.entry.name, i.data]));
}

interface ManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

function manifestOf(files: Map<string, Buffer>): ManifestEntry[] {
  return JSON.parse(files.get('manifest.json')!.toString()) as ManifestEntry[];
}

function fakeCtx(t: TestRoot): CommandContext & { printed: string[] } {
  const printed: string[] = [];
  return { engine: t.engine, io: processIo(), configDir: path.join(t.root, 'config'), out: (s) => printed.push(s), err: (s) => printed.push(s), printed };
}

/**
 * A second layer on top of busybox:test: adds /etc/added, deletes /bin/wc (whiteout) and
 * replaces /home's content (opaque dir). Returns the tag.
 */
async function addChildImage(t: TestRoot, tag: string): Promise<string> {
  const { images, layers } = t.engine;
  const { config } = await images.resolve('busybox:test');
  const base = chainIds(config.rootfs.diff_ids);
  const tar = await packTar([
    [{ name: 'bin/', type: 'directory', mode: 0o755 }],
    [{ name: 'bin/.wh.wc' }],
    [{ name: 'etc/', type: 'directory', mode: 0o755 }],
    [{ name: 'etc/added', mode: 0o644 }, 'added\n'],
    [{ name: 'home/', type: 'directory', mode: 0o755 }],
    [{ name: 'home/.wh..wh..opq' }],
    [{ name: 'home/new', mode: 0o644 }, 'new\n'],
  ]);
  const prepared = await layers.unpack(base[base.length - 1]!, chunked(tar));
  const child = {
    ...config,
    rootfs: { type: 'layers' as const, diff_ids: [...config.rootfs.diff_ids, prepared.diffId] },
    history: [...(config.history ?? []), { created: '2024-01-01T00:00:00Z', created_by: 'test layer' }],
  };
  await images.create(child, [...base, prepared], { tag });
  return tag;
}

const CHILD_CHECK = ['sh', '-c', 'cat /etc/added; test -e /bin/wc || echo nowc; ls /home'];
const CHILD_OUTPUT = 'added\nnowc\nnew\n';

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe.skipIf(skipIntegration('save and load'))('save and load', () => {
  let src: TestRoot;
  let work: string;
  let savedFile: string;

  beforeAll(async () => {
    src = makeTestRoot();
    work = mkdtempSync('/tmp/berth-it-archive-');
    importBusybox(src);
    await addChildImage(src, 'child:1');
    savedFile = path.join(work, 'saved.tar');
    writeFileSync(savedFile, await collect(saveImages(src.engine.images, src.engine.layers, ['busybox:test', 'child:1'])));
  });
  afterAll(async () => {
    await src?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('writes a classic docker-archive whose config diff_ids are the digests of the layer tars written', async () => {
    const files = await fileMap(readFileSync(savedFile));
    const manifest = manifestOf(files);
    expect(manifest.map((m) => m.RepoTags)).toEqual([['busybox:test'], ['child:1']]);
    for (const m of manifest) {
      expect(m.Config).toMatch(/^[0-9a-f]{64}\.json$/);
      const config = files.get(m.Config)!;
      expect(sha256(config)).toBe(`sha256:${m.Config.slice(0, 64)}`);
      const diffIds = (JSON.parse(config.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
      expect(m.Layers.map((l) => sha256(files.get(l)!))).toEqual(diffIds);
    }
    // The base layer is shared: written once, listed by both images.
    expect([...files.keys()].filter((n) => n.endsWith('/layer.tar'))).toHaveLength(2);
    expect(manifest[1]!.Layers[0]).toBe(manifest[0]!.Layers[0]);
    const repositories = JSON.parse(files.get('repositories')!.toString()) as Record<string, Record<string, string>>;
    expect(repositories).toEqual({ busybox: { test: manifest[0]!.Layers[0]!.split('/')[0] }, child: { '1': manifest[1]!.Layers[1]!.split('/')[0] } });
  });

  it('is deterministic: the same images save to the same bytes', async () => {
    const again = await collect(saveImages(src.engine.images, src.engine.layers, ['busybox:test', 'child:1']));
    expect(sha256(again)).toBe(sha256(readFileSync(savedFile)));
  });

  it('round-trips through load into a fresh root, and the loaded images run', async () => {
    const dst = makeTestRoot();
    try {
      const lines: string[] = [];
      const ids = await loadImages(dst.engine.images, dst.engine.layers, createReadStream(savedFile), { onLoaded: (l) => lines.push(l) });
      expect(lines).toEqual(['Loaded image: busybox:test', 'Loaded image: child:1']);
      expect(ids).toHaveLength(2);
      const run = dst.cli(['run', '--rm', 'busybox:test', 'echo', 'hi']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('hi\n');
      expect(dst.cli(['run', '--rm', 'child:1', ...CHILD_CHECK]).stdout).toBe(CHILD_OUTPUT);

      // A loaded layer is in canonical form already: saving it again keeps the image id.
      const resaved = await fileMap(await collect(saveImages(dst.engine.images, dst.engine.layers, ['child:1'])));
      expect(`sha256:${manifestOf(resaved)[0]!.Config.slice(0, 64)}`).toBe(ids[1]);
      expect(listing(path.join(dst.root, 'storage', 'tmp'))).toEqual([]);
    } finally {
      await dst.cleanup();
    }
  });

  it('saves by bare name (every tag), by id (untagged), and loads gzip archives', async () => {
    await src.engine.images.tag('busybox:test', 'busybox:other');
    const { id } = await src.engine.images.resolve('busybox:test');
    const byName = manifestOf(await fileMap(await collect(saveImages(src.engine.images, src.engine.layers, ['busybox']))));
    expect(byName.map((m) => m.RepoTags)).toEqual([['busybox:other', 'busybox:test']]);
    const byId = await collect(saveImages(src.engine.images, src.engine.layers, [id.slice(7, 19)]));
    expect(manifestOf(await fileMap(byId)).map((m) => m.RepoTags)).toEqual([null]);
    expect((await fileMap(byId)).has('repositories')).toBe(false);

    const dst = makeTestRoot();
    try {
      const lines: string[] = [];
      const [loaded] = await loadImages(dst.engine.images, dst.engine.layers, chunked(gzipSync(byId)), { onLoaded: (l) => lines.push(l) });
      expect(lines).toEqual([`Loaded image ID: ${loaded}`]);
      expect((await dst.engine.images.list()).map((i) => i.RepoTags)).toEqual([[]]);
    } finally {
      await dst.cleanup();
    }
  });

  it("loads docker 25+'s layout: an OCI image layout with manifest.json pointing into blobs/, gzip layers", async () => {
    const layout = path.join(work, 'oci');
    const written = writeOciLayout(layout, { layers: [readFileSync(busyboxTar(src.root))], config: { Cmd: ['sh'] }, gzip: true });
    const hex = (d: string): string => d.slice('sha256:'.length);
    writeFileSync(
      path.join(layout, 'manifest.json'),
      JSON.stringify([{ Config: `blobs/sha256/${hex(written.configDigest)}`, RepoTags: ['oci:25'], Layers: written.layerDigests.map((d) => `blobs/sha256/${hex(d)}`) }]),
    );
    const archive = path.join(work, 'oci.tar');
    expect(spawnSync('tar', ['-C', layout, '-cf', archive, '.']).status).toBe(0);
    const dst = makeTestRoot();
    try {
      const lines: string[] = [];
      const ids = await loadImages(dst.engine.images, dst.engine.layers, createReadStream(archive), { onLoaded: (l) => lines.push(l) });
      expect(lines).toEqual(['Loaded image: oci:25']);
      expect(ids).toEqual([written.configDigest]);
      expect(dst.cli(['run', '--rm', 'oci:25', 'echo', 'hi']).stdout).toBe('hi\n');
    } finally {
      await dst.cleanup();
    }
  });

  it('tells when a load moves a tag off another image', async () => {
    const dst = makeTestRoot();
    try {
      importBusybox(dst);
      const old = (await dst.engine.images.resolve('busybox:test')).id;
      const lines: string[] = [];
      const [id] = await loadImages(dst.engine.images, dst.engine.layers, createReadStream(savedFile), { onLoaded: (l) => lines.push(l) });
      expect(id).not.toBe(old);
      expect(lines[0]).toBe(`The image busybox:test already exists, renaming the old one with ID ${old} to empty string`);
      expect(lines.slice(1)).toEqual(['Loaded image: busybox:test', 'Loaded image: child:1']);
    } finally {
      await dst.cleanup();
    }
  });

  it('saveCommand -o and loadCommand -i', async () => {
    const out = path.join(work, 'cmd.tar');
    const ctx = fakeCtx(src);
    expect(await saveCommand(ctx, { output: out, refs: ['child:1'] })).toBe(0);
    expect(ctx.printed).toEqual([]);
    expect(readdirSync(work).filter((n) => n.startsWith('.'))).toEqual([]);
    const dst = makeTestRoot();
    try {
      const dctx = fakeCtx(dst);
      expect(await loadCommand(dctx, { input: out, quiet: true })).toBe(0);
      expect(dctx.printed).toEqual(['Loaded image: child:1\n']);
    } finally {
      await dst.cleanup();
    }
    // A failed save leaves neither the file nor its temp file.
    const failed = path.join(work, 'failed.tar');
    await expect(saveCommand(ctx, { output: failed, refs: ['child:1', 'nosuch:tag'] })).rejects.toThrow(/No such image: nosuch:tag/);
    expect(readdirSync(work).filter((n) => n === 'failed.tar' || n.startsWith('.'))).toEqual([]);
    await expect(saveCommand(ctx, { output: path.join(work, 'no/such/dir/x.tar'), refs: ['child:1'] })).rejects.toThrow(/invalid output path/);
    await expect(loadCommand(ctx, { input: path.join(work, 'missing.tar'), quiet: false })).rejects.toThrow(/no such file/);
  });

  describe('a bad archive is refused and changes nothing', () => {
    let dst: TestRoot;
    let good: Item[];

    beforeAll(async () => {
      dst = makeTestRoot();
      good = await readTar(readFileSync(savedFile));
    });
    afterAll(async () => {
      await dst?.cleanup();
    });

    function repack(change: (items: Item[]) => PackEntry[]): Promise<Buffer> {
      return packTar(change(good));
    }
    const asPack = (items: Item[]): PackEntry[] =>
      items.map(({ entry, data }) => [
        { name: entry.name, type: entry.type === 'directory' ? 'directory' : entry.type === 'symlink' ? 'symlink' : 'file', linkname: entry.linkname, mode: entry.mode },
        data,
      ]);

    async function refused(archive: Buffer, pattern: RegExp): Promise<void> {
      const lines: string[] = [];
      const err = await loadImages(dst.engine.images, dst.engine.layers, chunked(archive), { onLoaded: (l) => lines.push(l), label: 'bad.tar' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(pattern);
      expect((err as Error).message).not.toContain('\n');
      expect(lines).toEqual([]);
      expect(await dst.engine.images.list()).toEqual([]);
      expect(listing(path.join(dst.root, 'storage', 'layers'))).toEqual([]);
      expect(listing(path.join(dst.root, 'storage', 'tmp'))).toEqual([]);
    }

    it('not a tar', async () => {
      await refused(Buffer.from('this is not a tar archive, not even close to one.'.repeat(20)), /^bad\.tar is not a valid tar archive/);
    });

    it('no manifest.json', async () => {
      await refused(await repack((items) => asPack(items.filter((i) => i.entry.name !== 'manifest.json'))), /no manifest\.json/);
    });

    it('an entry or a manifest path climbing out of the archive', async () => {
      await refused(await repack((items) => [[{ name: '../evil' }, 'x'], ...asPack(items)]), /"\.\.\/evil" points outside the archive/);
      await refused(
        await repack((items) =>
          asPack(items).map(([h, body]) => {
            if (h.name !== 'manifest.json') return [h, body];
            const m = JSON.parse(String(body)) as ManifestEntry[];
            m[1]!.Layers[1] = '../../../etc/passwd';
            return [h, JSON.stringify(m)];
          }),
        ),
        /points outside the archive/,
      );
      await refused(
        await repack((items) =>
          asPack(items).map(([h, body]) =>
            h.name === childLayer(items) ? [{ name: h.name, type: 'symlink', linkname: '../../../etc/passwd' }] : [h, body],
          ),
        ),
        /points outside the archive/,
      );
    });

    it("a layer whose content does not match the config's diff_id, in the last image", async () => {
      const other = await packTar([[{ name: 'etc/added' }, 'tampered\n']]);
      const tampered = await repack((items) => asPack(items).map(([h, body]) => (h.name === childLayer(items) ? [h, other] : [h, body])));
      await refused(tampered, /does not match the config's diff_id/);
    });
  });
});

/** The path of child:1's own layer in the saved archive. */
function childLayer(items: Item[]): string {
  const manifest = JSON.parse(items.find((i) => i.entry.name === 'manifest.json')!.data.toString()) as ManifestEntry[];
  return manifest[1]!.Layers[1]!;
}

describe.skipIf(skipIntegration('layer tar'))('layer tar', () => {
  let root: string;
  let layers: LayerStore;

  beforeAll(() => {
    root = mkdtempSync('/tmp/berth-it-layertar-');
    layers = new LayerStore(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('turns overlay whiteouts back into AUFS ones and keeps links, devices, modes, owners and xattrs', async () => {
    const mtime = new Date('2021-02-03T04:05:06Z');
    const input = await packTar([
      [{ name: 'dir/', type: 'directory', mode: 0o750, uid: 3, gid: 4, mtime }],
      [{ name: 'dir/.wh..wh..opq' }],
      [{ name: 'dir/kept', mode: 0o4755, uid: 1000, gid: 1000, mtime, pax: { 'SCHILY.xattr.user.note': 'hello' } }, 'kept'],
      [{ name: 'dir/hard', type: 'link', linkname: 'dir/kept' }],
      [{ name: '.wh.gone', uid: 5, gid: 6 }],
      [{ name: 'sub/', type: 'directory', mode: 0o755, mtime }],
      [{ name: 'sub/.wh.x' }],
      [{ name: 'sub/link', type: 'symlink', linkname: '../dir/kept', mtime }],
      [{ name: 'sub/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime }],
      [{ name: 'sub/fifo', type: 'fifo', mode: 0o600, mtime }],
      [{ name: 'a-very-long-directory-name-'.repeat(3) + '/', type: 'directory', mode: 0o755, mtime }],
      [{ name: `${'a-very-long-directory-name-'.repeat(3)}/${'and-a-long-file-name-'.repeat(3)}`, mode: 0o644, mtime }, 'long'],
    ]);
    const layer = await layers.register(null, chunked(input));
    const diffDir = layers.diffDir(layer.chainId);
    expect(addon().lgetxattr(path.join(diffDir, 'dir'), 'trusted.overlay.opaque')?.toString()).toBe('y');

    const tar = await collect(layerTar(diffDir));
    expect(await layerTarSize(diffDir)).toBe(tar.length);
    expect(await layerDiffId(diffDir)).toBe(sha256(tar));
    const items = await readTar(tar);
    const names = items.map((i) => i.entry.name);
    const longDir = `${'a-very-long-directory-name-'.repeat(3)}/`;
    // In name order of the unpacked layer (a whiteout sorts by the name it hides), the opaque marker right after its dir.
    expect(names).toEqual([
      longDir,
      `${longDir}${'and-a-long-file-name-'.repeat(3)}`,
      'dir/',
      'dir/.wh..wh..opq',
      'dir/hard',
      'dir/kept',
      '.wh.gone',
      'sub/',
      'sub/fifo',
      'sub/link',
      'sub/null',
      'sub/.wh.x',
    ]);
    const by = new Map(items.map((i) => [i.entry.name, i]));
    expect(by.get('.wh.gone')!.entry).toMatchObject({ type: 'file', size: 0, uid: 5, gid: 6 });
    expect(by.get('sub/.wh.x')!.entry).toMatchObject({ type: 'file', size: 0 });
    expect(by.get('dir/.wh..wh..opq')!.entry).toMatchObject({ type: 'file', size: 0, uid: 3, gid: 4 });
    expect(by.get('dir/')!.entry).toMatchObject({ type: 'directory', mode: 0o750, uid: 3, gid: 4, mtime: mtime.getTime() / 1000 });
    expect(by.get('dir/')!.entry.xattrs.size).toBe(0);
    // "hard" sorts before "kept": the first name of the inode carries the body.
    expect(by.get('dir/hard')!.entry).toMatchObject({ type: 'file', mode: 0o4755, uid: 1000, gid: 1000, size: 4 });
    expect(by.get('dir/hard')!.entry.xattrs.get('user.note')?.toString()).toBe('hello');
    expect(by.get('dir/kept')!.entry).toMatchObject({ type: 'hardlink', linkname: 'dir/hard' });
    expect(by.get('sub/link')!.entry).toMatchObject({ type: 'symlink', linkname: '../dir/kept' });
    expect(by.get('sub/null')!.entry).toMatchObject({ type: 'char-device', devmajor: 1, devminor: 3, mode: 0o666 });
    expect(by.get('sub/fifo')!.entry).toMatchObject({ type: 'fifo', mode: 0o600 });

    // Unpacking the tar gives the same layer back, and the tar is a fixed point: same bytes, same diff_id.
    const again = await layers.register(null, chunked(tar));
    expect(again.diffId).toBe(sha256(tar));
    const retar = await collect(layerTar(layers.diffDir(again.chainId)));
    expect(sha256(retar)).toBe(sha256(tar));
  });
});

// ---- against a real dockerd ------------------------------------------------

function ownMemoryCgroup(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /:memory:/.test(l) || l.startsWith('0::'));
  return (line?.split(':')[2] ?? '/').replace(/\/$/, '');
}

function dockerSkipReason(): string | undefined {
  if (!['/usr/sbin/dockerd', '/usr/bin/dockerd'].some((p) => existsSync(p))) return 'dockerd is not installed (apt-get install docker.io)';
  if (spawnSync('docker', ['--version'], { stdio: 'ignore' }).status !== 0) return 'the docker client is not installed';
  return undefined;
}

function skipDocker(suite: string): boolean {
  if (skipIntegration(suite)) return true;
  const reason = dockerSkipReason();
  if (reason) process.stderr.write(`SKIPPED ${suite}: ${reason}\n`);
  return reason !== undefined;
}

const CGROUP_PARENT = `${ownMemoryCgroup()}/berth-archive-test-docker`;

describe.skipIf(skipDocker('save and load against dockerd'))('save and load against dockerd', () => {
  let dir: string;
  let proc: ChildProcess | undefined;
  let host: string;
  let t: TestRoot;

  const docker = (args: string[], input?: Buffer): { code: number; stdout: Buffer; stderr: string } => {
    const r = spawnSync('docker', ['-H', host, ...args], { input, maxBuffer: 1 << 30, timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
  };

  beforeAll(async () => {
    // Not below /tmp/berth-it-*: dockerd's own mounts there would look like berth's to the leak check.
    dir = mkdtempSync('/tmp/archive-dockerd-');
    host = `unix://${path.join(dir, 'docker.sock')}`;
    proc = spawn(
      'dockerd',
      [
        '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'),
        '-H', host, '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
        '--cgroup-parent', CGROUP_PARENT, '--storage-driver', 'overlay2',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    proc.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    for (let i = 0; i < 150 && docker(['version']).code !== 0; i++) await new Promise((r) => setTimeout(r, 200));
    if (docker(['version']).code !== 0) throw new Error(`dockerd did not start:\n${log}`);
    t = makeTestRoot();
    importBusybox(t);
    await addChildImage(t, 'child:1');
  }, 120_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    for (const ctrl of ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd', 'net_cls', 'perf_event', 'hugetlb']) {
      const p = path.join('/sys/fs/cgroup', ctrl, CGROUP_PARENT);
      if (existsSync(p)) spawnSync('find', [p, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';'], { stdio: 'ignore' });
    }
    await t?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("loads docker save's archive (with its symlinked shared layer) and runs it", async () => {
    const tar = busyboxTar(t.root);
    expect(docker(['import', '--change', 'CMD ["sh"]', tar, 'fromdocker:base']).code).toBe(0);
    const made = docker(['run', '--name', 'archive-child', '--network', 'none', 'fromdocker:base', 'sh', '-c', 'echo added > /etc/added; rm /bin/wc']);
    expect(made.stderr).toBe('');
    expect(docker(['commit', 'archive-child', 'fromdocker:child']).code).toBe(0);
    expect(docker(['rm', 'archive-child']).code).toBe(0);
    const saved = docker(['save', 'fromdocker:base', 'fromdocker:child']);
    expect(saved.stderr).toBe('');
    expect((await readTar(saved.stdout)).some((i) => i.entry.type === 'symlink' && i.entry.name.endsWith('/layer.tar'))).toBe(true);

    const lines: string[] = [];
    const ids = await loadImages(t.engine.images, t.engine.layers, chunked(saved.stdout), { onLoaded: (l) => lines.push(l) });
    // docker's manifest.json lists the images in no fixed order.
    expect([...lines].sort()).toEqual(['Loaded image: fromdocker:base', 'Loaded image: fromdocker:child']);
    // docker keeps each layer's original bytes, so the image ids are docker's.
    const dockerIds = docker(['inspect', '--format', '{{.Id}}', 'fromdocker:base', 'fromdocker:child']).stdout.toString().trim().split('\n');
    expect([...ids].sort()).toEqual([...dockerIds].sort());
    expect(t.cli(['run', '--rm', 'fromdocker:base', 'echo', 'hi']).stdout).toBe('hi\n');
    expect(t.cli(['run', '--rm', 'fromdocker:child', 'sh', '-c', 'cat /etc/added; test -e /bin/wc || echo nowc']).stdout).toBe('added\nnowc\n');
  });

  it("berth's archive loads into dockerd and runs there, whiteouts and all", async () => {
    const archive = await collect(saveImages(t.engine.images, t.engine.layers, ['busybox:test', 'child:1']));
    const loaded = docker(['load'], archive);
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout.toString()).toBe('Loaded image: busybox:test\nLoaded image: child:1\n');
    const files = await fileMap(archive);
    const ids = manifestOf(files).map((m) => `sha256:${m.Config.slice(0, 64)}`);
    expect(docker(['inspect', '--format', '{{.Id}}', 'busybox:test', 'child:1']).stdout.toString().trim().split('\n')).toEqual(ids);

    const hi = docker(['run', '--rm', '--network', 'none', 'busybox:test', 'echo', 'hi']);
    expect(hi.stderr).toBe('');
    expect(hi.stdout.toString()).toBe('hi\n');
    expect(docker(['run', '--rm', '--network', 'none', 'child:1', ...CHILD_CHECK]).stdout.toString()).toBe(CHILD_OUTPUT);

    // And back: docker's save of what berth wrote loads into berth with the same ids.
    const back = docker(['save', 'child:1']);
    const dst = makeTestRoot();
    try {
      const [id] = await loadImages(dst.engine.images, dst.engine.layers, chunked(back.stdout), { onLoaded: () => undefined });
      expect(id).toBe(ids[1]);
    } finally {
      await dst.cleanup();
    }
  });
});

// ---- the CLI binary --------------------------------------------------------

describe.skipIf(skipIntegration('berth save and load (CLI)'))('berth save and load (CLI)', () => {
  let src: TestRoot;
  let dst: TestRoot;
  let work: string;

  beforeAll(() => {
    src = makeTestRoot();
    dst = makeTestRoot();
    work = mkdtempSync('/tmp/berth-it-archive-cli-');
    importBusybox(src);
  });
  afterAll(async () => {
    await src?.cleanup();
    await dst?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('save to stdout, load from stdin, then run', () => {
    const saved = spawnSync(process.execPath, [cliPath, '--root', src.root, '--run-root', src.runRoot, 'save', 'busybox:test'], { maxBuffer: 1 << 30 });
    expect(saved.stderr.toString()).toBe('');
    expect(saved.status).toBe(0);
    const loaded = dst.cli(['load'], { input: saved.stdout });
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout).toBe('Loaded image: busybox:test\n');
    expect(dst.cli(['run', '--rm', 'busybox:test', 'echo', 'hi']).stdout).toBe('hi\n');
  });

  it('save -o FILE prints nothing; load -q -i FILE prints the Loaded lines as docker does', () => {
    const file = path.join(work, 'out.tar');
    const saved = src.cli(['save', '-o', file, 'busybox:test']);
    expect(saved).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(dst.cli(['load', '-q', '-i', file])).toMatchObject({ code: 0, stdout: 'Loaded image: busybox:test\n' });
  });

  it('errors are one line with exit 125', () => {
    expect(src.cli(['save', 'nosuch:tag'])).toMatchObject({ code: 125, stdout: '', stderr: 'berth: No such image: nosuch:tag\n' });
    const bad = dst.cli(['load'], { input: 'not a tar archive at all'.repeat(40) });
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/^berth: the standard input is not a valid tar archive .*\n$/);
  });

  it('refuses to write an archive to a terminal', () => {
    const r = spawnSync('script', ['-qec', `${process.execPath} ${cliPath} --root ${src.root} --run-root ${src.runRoot} save busybox:test`, '/dev/null'], {
      encoding: 'utf8',
    });
    expect(r.stdout).toContain('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  });
});
