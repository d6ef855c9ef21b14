/**
 * The image and layer stores on a real state root: import (plain, gzip, garbage),
 * tags and id prefixes, concurrent registration, rollback and crash leftovers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ImageStore } from '../../src/image/image-store.js';
import { importImage } from '../../src/image/import.js';
import { ensureHelloWorld, HELLO_WORLD_REF } from '../../src/image/hello-world.js';
import { LayerStore } from '../../src/storage/layer-store.js';
import { chainIds } from '../../src/storage/chain-id.js';
import { ownerTag } from '../../src/util/owner-tag.js';
import { InvalidArgumentError, NotFoundError } from '../../src/errors.js';
import { busyboxTar } from '../helpers/berth.js';
import { busyboxPath, skipIntegration } from '../helpers/env.js';
import { packTar } from '../helpers/tar.js';

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function* bytes(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe.skipIf(skipIntegration('image store'))('image store', () => {
  let root: string;
  let images: ImageStore;
  let layers: LayerStore;
  let tarFile: string;

  beforeAll(() => {
    root = mkdtempSync('/tmp/berth-it-images-');
    layers = new LayerStore(root);
    images = new ImageStore(root, layers);
    tarFile = busyboxTar(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Nothing of a failed import may remain: no layer, no config, no tag, no temp dir. */
  function expectStoreUnchanged(before: { layers: string[]; configs: string[]; tags: string }): void {
    expect(listing(path.join(root, 'storage', 'layers'))).toEqual(before.layers);
    expect(listing(path.join(root, 'storage', 'tmp'))).toEqual([]);
    expect(listing(path.join(root, 'image', 'configs', 'sha256'))).toEqual(before.configs);
    const repos = path.join(root, 'image', 'repositories.json');
    expect(existsSync(repos) ? readFileSync(repos, 'utf8') : '').toBe(before.tags);
  }
  function snapshot(): { layers: string[]; configs: string[]; tags: string } {
    const repos = path.join(root, 'image', 'repositories.json');
    return {
      layers: listing(path.join(root, 'storage', 'layers')),
      configs: listing(path.join(root, 'image', 'configs', 'sha256')),
      tags: existsSync(repos) ? readFileSync(repos, 'utf8') : '',
    };
  }

  it('refuses a file that is not a tar and leaves nothing behind', async () => {
    const before = snapshot();
    const junk = path.join(root, 'junk.txt');
    writeFileSync(junk, 'this is not a tar archive\n'.repeat(50));
    const err = await importImage(images, layers, { source: createReadStream(junk), ref: 'junk', sourceName: junk }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(`${junk} is not a valid tar archive (invalid tar header)`);
    expectStoreUnchanged(before);
  });

  it('imports a busybox rootfs tar as a one-layer image', async () => {
    const id = await importImage(images, layers, {
      source: createReadStream(tarFile),
      ref: 'busybox:test',
      changes: ['CMD ["sh"]', 'ENV A=1'],
      sourceName: tarFile,
    });
    const tarBytes = readFileSync(tarFile);
    const { config } = await images.resolve('busybox:test');
    expect(config.rootfs.diff_ids).toEqual([sha256(tarBytes)]);
    expect(config.os).toBe('linux');
    expect(config.architecture).toBe(process.arch === 'x64' ? 'amd64' : config.architecture);
    expect(config.config?.Cmd).toEqual(['sh']);
    expect(config.config?.Env).toEqual(['A=1']);
    expect(config.history?.[0]?.comment).toBe(`Imported from ${tarFile}`);
    const stored = readFileSync(path.join(root, 'image', 'configs', 'sha256', id.slice(7)));
    expect(sha256(stored)).toBe(id);

    const [chain] = chainIds(config.rootfs.diff_ids);
    const diff = layers.diffDir(chain!);
    expect(readFileSync(path.join(diff, 'bin', 'busybox')).equals(readFileSync(busyboxPath!))).toBe(true);
    expect(readlinkSync(path.join(diff, 'bin', 'sh'))).toBe('busybox');
    expect(lstatSync(path.join(diff, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(await layers.info(chain!)).toMatchObject({ diffId: config.rootfs.diff_ids[0], parent: null });
    expect(layers.lowerDirs([chain!])).toEqual([diff]);
  });

  it('imports the same tar gzipped onto the same layer', async () => {
    const gz = path.join(root, 'busybox.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(tarFile)));
    const layersBefore = listing(path.join(root, 'storage', 'layers'));
    const id = await importImage(images, layers, { source: createReadStream(gz), ref: 'busybox:gz', message: 'from gzip' });
    const plain = await images.resolve('busybox:test');
    const gzipped = await images.resolve('busybox:gz');
    expect(gzipped.id).toBe(id);
    expect(gzipped.config.rootfs.diff_ids).toEqual(plain.config.rootfs.diff_ids);
    expect(gzipped.config.history?.[0]?.comment).toBe('from gzip');
    expect(listing(path.join(root, 'storage', 'layers'))).toEqual(layersBefore);
  });

  it('resolves names, full ids and unique id prefixes; lists and tags', async () => {
    const { id } = await images.resolve('busybox:test');
    expect((await images.resolve(id)).id).toBe(id);
    expect((await images.resolve(id.slice(7))).id).toBe(id);
    expect((await images.resolve(id.slice(7, 19))).id).toBe(id);
    expect((await images.resolve(`sha256:${id.slice(7, 12)}`)).id).toBe(id);
    await expect(images.resolve('busybox')).rejects.toThrow(NotFoundError);
    await expect(images.resolve('busybox')).rejects.toThrow('No such image: busybox');
    await expect(images.resolve('Bad')).rejects.toThrow(/must be lowercase/);

    expect(await images.tag('busybox:test', 'busybox')).toBe('busybox:latest');
    expect((await images.resolve('busybox')).id).toBe(id);
    await expect(images.tag('busybox:test', 'x@sha256:' + 'a'.repeat(64))).rejects.toThrow(/digest/);
    await expect(images.tag('nosuch', 'y')).rejects.toThrow(NotFoundError);

    const list = await images.list();
    const row = list.find((r) => r.Id === id);
    expect(row?.RepoTags).toEqual(['busybox:latest', 'busybox:test']);
    expect(row?.Size).toBeGreaterThan(1_000_000);
  });

  it('shows an image as docker image inspect does', async () => {
    const { id, config } = await images.resolve('busybox:test');
    const shown = await images.inspect(id.slice(7, 19));
    expect(shown).toMatchObject({
      Id: id,
      RepoTags: ['busybox:latest', 'busybox:test'],
      Os: 'linux',
      Architecture: config.architecture,
      RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
      GraphDriver: { Name: 'overlay2', Data: { UpperDir: layers.diffDir(chainIds(config.rootfs.diff_ids)[0]!) } },
    });
    expect(shown.Size).toBeGreaterThan(1_000_000);
    await expect(images.inspect('nosuch')).rejects.toThrow(NotFoundError);
  });

  it('refuses an ambiguous id prefix', async () => {
    const ids = (await images.list()).map((r) => r.Id.slice(7));
    // Find the longest common prefix length between two ids, if they share a first digit.
    const [a, b] = ids;
    if (a !== undefined && b !== undefined && a[0] === b[0]) {
      await expect(images.resolve(a.slice(0, 1))).rejects.toThrow(/multiple images/);
    } else {
      await expect(images.resolve('')).rejects.toThrow();
    }
  });

  it('leaves nothing when tagging fails after the layer and config were written', async () => {
    const before = snapshot();
    const repos = path.join(root, 'image', 'repositories.json');
    const saved = readFileSync(repos);
    rmSync(repos);
    mkdirSync(repos);
    const tar = await packTar([[{ name: 'only-here' }, 'unique content for rollback']]);
    const err = await importImage(images, layers, { source: bytes(tar), ref: 'rollback:test' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/EISDIR/);
    rmSync(repos, { recursive: true });
    writeFileSync(repos, saved);
    expectStoreUnchanged(before);
  });

  it('refuses bad changes and bad tags before reading the archive', async () => {
    const before = snapshot();
    let read = false;
    async function* source(): AsyncGenerator<Buffer> {
      read = true;
      yield Buffer.alloc(1024);
    }
    await expect(importImage(images, layers, { source: source(), changes: ['FROM x'] })).rejects.toThrow(/FROM is not a valid change command/);
    await expect(importImage(images, layers, { source: source(), ref: 'Bad:tag' })).rejects.toThrow(/lowercase/);
    expect(read).toBe(false);
    expectStoreUnchanged(before);
  });

  it('registers the same layer concurrently: both succeed, one copy is kept', async () => {
    const tar = await packTar([[{ name: 'same' }, 'concurrent']]);
    const results = await Promise.all([1, 2, 3, 4].map(() => layers.register(null, bytes(tar))));
    expect(new Set(results.map((r) => r.chainId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(readFileSync(path.join(layers.diffDir(results[0]!.chainId), 'same'), 'utf8')).toBe('concurrent');
    expect(listing(path.join(root, 'storage', 'tmp'))).toEqual([]);

    const child = await layers.register(results[0]!.chainId, bytes(await packTar([[{ name: 'upper' }, 'u']])));
    expect(child.parent).toBe(results[0]!.chainId);
    expect(layers.lowerDirs([results[0]!.chainId, child.chainId])).toEqual([layers.diffDir(child.chainId), layers.diffDir(results[0]!.chainId)]);
    await expect(layers.register(`sha256:${'0'.repeat(64)}`, bytes(tar))).rejects.toThrow(NotFoundError);

    await layers.remove(child.chainId);
    expect(await layers.has(child.chainId)).toBe(false);
  });

  it('removes what a crashed process left, and keeps what a live one is doing', async () => {
    const tmp = path.join(root, 'storage', 'tmp');
    mkdirSync(tmp, { recursive: true });
    const dead = path.join(tmp, '999999999.12345-deadbeef-unpack');
    const live = path.join(tmp, `${ownerTag()}-cafe-unpack`);
    mkdirSync(path.join(dead, 'diff'), { recursive: true });
    mkdirSync(live);
    const staleTemp = path.join(root, 'image', `.repositories.json.tmp-999999999.1-abcd`);
    writeFileSync(staleTemp, '{}');

    const fresh = new LayerStore(root);
    await fresh.register(null, bytes(await packTar([[{ name: 'after-crash' }, 'x']])));
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    rmSync(live, { recursive: true });

    await new ImageStore(root, fresh).tag('busybox:test', 'after:crash');
    expect(existsSync(staleTemp)).toBe(false);
  });

  it('makes hello-world once, with a stable id', async () => {
    const first = await ensureHelloWorld(images, layers);
    const again = await ensureHelloWorld(images, layers);
    expect(again).toBe(first);
    const { config } = await images.resolve(HELLO_WORLD_REF);
    expect(config.config?.Cmd).toEqual(['/hello']);
    const [chain] = chainIds(config.rootfs.diff_ids);
    const dir = layers.diffDir(chain!);
    expect(readdirSync(dir)).toEqual(['hello']);
    expect(lstatSync(path.join(dir, 'hello'))).toMatchObject({ uid: 0, gid: 0 });
    expect(lstatSync(path.join(dir, 'hello')).mode & 0o7777).toBe(0o755);

    // Another state root makes the very same image.
    const other = mkdtempSync('/tmp/berth-it-images-');
    try {
      const otherLayers = new LayerStore(other);
      expect(await ensureHelloWorld(new ImageStore(other, otherLayers), otherLayers)).toBe(first);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
