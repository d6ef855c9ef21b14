/**
 * zstd layers end to end: images whose layers the zstd CLI or skopeo compressed, put in a real
 * docker-registry, pulled and run by berth; pushed on (as gzip, with a manifest that agrees);
 * saved; and loaded or imported from archives with zstd layers or compressed whole by zstd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { zstdPath } from '../helpers/env.js';
import { OCI_LAYER_ZSTD, busyboxLayer, sha256, skopeoCopy, skopeoInspect, tarOf, writeOciLayout, zstdSync, type Descriptor, type WrittenImage } from '../helpers/oci-layout.js';
import { skipRegistry, startRegistry, type RegistryFixture } from '../helpers/registry.js';

function skipZstd(suite: string): boolean {
  if (skipRegistry(suite, 'anonymous')) return true;
  if (zstdPath) return false;
  process.stderr.write(`SKIPPED ${suite}: the zstd CLI is not installed (apt-get install zstd)\n`);
  return true;
}

const hex = (d: string): string => d.slice('sha256:'.length);
const layersOf = (t: TestRoot): string[] => {
  const dir = path.join(t.root, 'storage', 'layers');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

/** Files of a plain tar (ustar, as tar(1) and berth write them), by name; enough for the archives here. */
function untar(data: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let pax: string | undefined;
  for (let off = 0; off + 512 <= data.length; ) {
    const header = data.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number): string => header.subarray(start, start + len).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const prefix = field(345, 155);
    const name = pax ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const body = data.subarray(off + 512, off + 512 + size);
    pax = undefined;
    const type = field(156, 1);
    if (type === 'x') pax = /\d+ path=(.*)\n/.exec(body.toString('utf8'))?.[1];
    else if (type === '0' || type === '') files.set(name.replace(/^\.\//, ''), body);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

describe.skipIf(skipZstd('zstd layers'))('zstd layers', () => {
  let t: TestRoot;
  let reg: RegistryFixture;
  let work: string;
  let image: WrittenImage;
  const big = Buffer.concat([Buffer.from('compressible line\n'.repeat(200_000)), randomBytes(1 << 20)]);
  const bigDigest = createHash('sha256').update(big).digest('hex');
  const ref = (repo: string): string => `${reg.host}/${repo}`;

  beforeAll(async () => {
    t = makeTestRoot();
    reg = await startRegistry({ auth: 'anonymous' });
    work = mkdtempSync('/tmp/berth-it-zstd-');
    const layout = path.join(work, 'app');
    // The busybox layer gzip, the top one zstd: an image mixing both, as registries may hold.
    image = writeOciLayout(layout, {
      layers: [busyboxLayer(), tarOf({ 'zstd.txt': 'from a zstd layer\n', 'big.bin': { content: big } })],
      compression: ['gzip', 'zstd'],
      config: { Cmd: ['cat', '/zstd.txt'] },
    });
    await skopeoCopy(`oci:${layout}:latest`, `docker://${ref('zstd/app:1')}`);
  }, 120_000);
  afterAll(async () => {
    await t?.cleanup();
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pulls an image with a zstd layer and runs it, the layer whole', async () => {
    const manifest = (await skopeoInspect(`docker://${ref('zstd/app:1')}`)).manifest;
    expect(manifest.layers?.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip', OCI_LAYER_ZSTD]);

    const r = t.cli(['pull', ref('zstd/app:1')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/: Pull complete$/gm)).toHaveLength(2);
    const run = t.cli(['run', '--rm', ref('zstd/app:1')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('from a zstd layer\n');
    const sum = t.cli(['run', '--rm', ref('zstd/app:1'), 'sh', '-c', 'wc -c < /big.bin']);
    expect(sum.stdout.trim()).toBe(String(big.length));
    // The image is the one the config names: its id is the config's digest, its layers the diff_ids.
    const inspect = JSON.parse(t.cli(['image', 'inspect', ref('zstd/app:1')]).stdout) as Array<{ Id: string; RootFS: { Layers: string[] } }>;
    expect(inspect[0]!.Id).toBe(image.configDigest);
    expect(inspect[0]!.RootFS.Layers).toEqual(image.diffIds);
  });

  it("pulls and runs an image whose layers skopeo's own encoder compressed with zstd", async () => {
    const layout = path.join(work, 'plain');
    writeOciLayout(layout, { layers: [busyboxLayer(), tarOf({ 'who.txt': 'skopeo zstd\n' })], compression: 'none', config: { Cmd: ['cat', '/who.txt'] } });
    await skopeoCopy(`oci:${layout}:latest`, `docker://${ref('zstd/skopeo:1')}`, { destCompress: 'zstd' });
    const manifest = (await skopeoInspect(`docker://${ref('zstd/skopeo:1')}`)).manifest;
    expect(manifest.layers?.map((l) => l.mediaType)).toEqual([OCI_LAYER_ZSTD, OCI_LAYER_ZSTD]);
    const run = t.cli(['run', '--rm', ref('zstd/skopeo:1')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('skopeo zstd\n');
  });

  it('pushes a zstd-pulled image as gzip layers whose digests and media types the manifest states truly', async () => {
    expect(t.cli(['pull', '-q', ref('zstd/app:1')]).code).toBe(0);
    expect(t.cli(['tag', ref('zstd/app:1'), ref('zstd/pushed:1')]).code).toBe(0);
    const r = t.cli(['push', ref('zstd/pushed:1')]);
    expect(r.code, r.stderr).toBe(0);
    const inspected = await skopeoInspect(`docker://${ref('zstd/pushed:1')}`);
    const layers = inspected.manifest.layers ?? [];
    expect(layers.map((l) => l.mediaType)).toEqual(Array(2).fill('application/vnd.docker.image.rootfs.diff.tar.gzip'));
    // Each blob is what its descriptor says, and gunzips to the tar the config's diff_id names.
    const config = JSON.parse(Buffer.from(await (await fetch(`${reg.url}/v2/zstd/pushed/blobs/${inspected.manifest.config!.digest}`)).arrayBuffer()).toString()) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toEqual(image.diffIds);
    for (const [i, layer] of layers.entries()) {
      const blob = Buffer.from(await (await fetch(`${reg.url}/v2/zstd/pushed/blobs/${layer.digest}`)).arrayBuffer());
      expect(sha256(blob)).toBe(layer.digest);
      expect(blob.length).toBe(layer.size);
      expect(sha256(gunzipSync(blob))).toBe(image.diffIds[i]);
    }
    // skopeo, an independent client, copies it out (checking every digest), and another root runs it.
    await skopeoCopy(`docker://${ref('zstd/pushed:1')}`, `oci:${path.join(work, 'pushed-copy')}:1`);
    const other = makeTestRoot();
    try {
      const run = other.cli(['run', '--rm', ref('zstd/pushed:1'), 'sh', '-c', 'cat /zstd.txt; sha256sum /big.bin']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`from a zstd layer\n${bigDigest}  /big.bin\n`);
    } finally {
      await other.cleanup();
    }
  });

  it('saves a zstd-pulled image as plain layer tars matching its diff_ids, which another root loads and runs', async () => {
    expect(t.cli(['pull', '-q', ref('zstd/app:1')]).code).toBe(0);
    const file = path.join(work, 'saved.tar');
    expect(t.cli(['save', '-o', file, ref('zstd/app:1')])).toMatchObject({ code: 0, stderr: '' });
    const files = untar(readFileSync(file));
    const [entry] = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; Layers: string[] }>;
    expect(entry!.Layers.map((l) => sha256(files.get(l)!))).toEqual(image.diffIds);
    expect(sha256(files.get(entry!.Config)!)).toBe(image.configDigest);
    const other = makeTestRoot();
    try {
      expect(other.cli(['load', '-q', '-i', file])).toMatchObject({ code: 0, stdout: `Loaded image: ${ref('zstd/app:1')}\n` });
      expect(other.cli(['run', '--rm', ref('zstd/app:1')]).stdout).toBe('from a zstd layer\n');
    } finally {
      await other.cleanup();
    }
  });

  it('loads an OCI-layout archive with zstd layers, and archives and import tarballs compressed whole with zstd', async () => {
    const layout = path.join(work, 'load');
    const written = writeOciLayout(layout, { layers: [busyboxLayer(), tarOf({ 'loaded.txt': 'loaded zstd\n' })], compression: 'zstd', config: { Cmd: ['cat', '/loaded.txt'] } });
    writeFileSync(
      path.join(layout, 'manifest.json'),
      JSON.stringify([{ Config: `blobs/sha256/${hex(written.configDigest)}`, RepoTags: ['zstdload:1'], Layers: written.layerDigests.map((d) => `blobs/sha256/${hex(d)}`) }]),
    );
    const archive = path.join(work, 'load.tar');
    expect(spawnSync('tar', ['-C', layout, '-cf', archive, '.']).status).toBe(0);
    const other = makeTestRoot();
    try {
      expect(other.cli(['load', '-i', archive])).toMatchObject({ code: 0, stdout: 'Loaded image: zstdload:1\n' });
      expect(other.cli(['run', '--rm', 'zstdload:1']).stdout).toBe('loaded zstd\n');
      expect((JSON.parse(other.cli(['image', 'inspect', 'zstdload:1']).stdout) as Array<{ Id: string }>)[0]!.Id).toBe(written.configDigest);

      const whole = path.join(work, 'load.tar.zst');
      writeFileSync(whole, zstdSync(readFileSync(archive)));
      expect(other.cli(['rmi', 'zstdload:1']).code).toBe(0);
      expect(other.cli(['load', '-i', whole])).toMatchObject({ code: 0, stdout: 'Loaded image: zstdload:1\n' });
      expect(other.cli(['run', '--rm', 'zstdload:1']).stdout).toBe('loaded zstd\n');

      const tarball = path.join(work, 'rootfs.tar.zst');
      writeFileSync(tarball, zstdSync(busyboxLayer()));
      const imported = other.cli(['import', '--change', 'CMD ["echo", "imported"]', tarball, 'zstdimport:1']);
      expect(imported.code, imported.stderr).toBe(0);
      expect(other.cli(['run', '--rm', 'zstdimport:1']).stdout).toBe('imported\n');
    } finally {
      await other.cleanup();
    }
  });

  it('refuses a zstd layer that is cut short or corrupt with one line naming the layer, keeping nothing', async () => {
    const base = busyboxLayer();
    expect(t.cli(['pull', '-q', ref('zstd/app:1')]).code).toBe(0);
    const layersBefore = layersOf(t);
    for (const [name, spoil] of [
      ['truncated', (z: Buffer): Buffer => z.subarray(0, z.length - 7)],
      ['corrupt', (z: Buffer): Buffer => Buffer.concat([z.subarray(0, 4), Buffer.from('definitely not a zstd frame header or block')])],
    ] as const) {
      const layout = path.join(work, name);
      const written = writeOciLayout(layout, { layers: [base, tarOf({ [`${name}.txt`]: randomBytes(4000).toString('hex') })], compression: ['gzip', 'zstd'] });
      // Spoil the zstd blob and name it by its new digest, so only its content is wrong.
      const blobs = path.join(layout, 'blobs', 'sha256');
      const old = written.layerDigests[1]!;
      const spoilt = spoil(readFileSync(path.join(blobs, hex(old))));
      const digest = sha256(spoilt);
      writeFileSync(path.join(blobs, hex(digest)), spoilt);
      const manifest = JSON.parse(readFileSync(path.join(blobs, hex(written.manifestDigest)), 'utf8')) as { layers: Descriptor[] };
      manifest.layers[1] = { ...manifest.layers[1]!, digest, size: spoilt.length };
      const manifestBytes = JSON.stringify(manifest);
      const manifestDigest = sha256(manifestBytes);
      writeFileSync(path.join(blobs, hex(manifestDigest)), manifestBytes);
      const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
      index.manifests[0] = { ...index.manifests[0]!, digest: manifestDigest, size: Buffer.byteLength(manifestBytes) };
      writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
      await skopeoCopy(`oci:${layout}:latest`, `docker://${ref(`zstd/${name}:1`)}`);

      const r = t.cli(['pull', ref(`zstd/${name}:1`)]);
      expect(r.code, name).toBe(125);
      const lines = r.stderr.trim().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(new RegExp(`^berth: layer ${digest} of .*zstd/${name}:1: invalid zstd data \\(.+\\)$`));
      if (name === 'truncated') expect(lines[0]).toContain('(unexpected end of file)');
      expect(layersOf(t)).toEqual(layersBefore);
    }
  });
});
