/**
 * A layer keeps its original archive's bytes (its tar-split record): `save` writes the very tar
 * an image was made from, so the saved image has the id it had; a layer whose record cannot
 * make it again (gone, or a path that became a symlink) is saved from its files instead.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { busyboxSuite, busyboxTar } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';
import { packTar } from '../helpers/tar.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The files of a docker-archive, by name. */
function archiveFiles(file: string, dir: string): Map<string, Buffer> {
  rmSync(dir, { recursive: true, force: true });
  spawnSync('mkdir', ['-p', dir]);
  const r = spawnSync('tar', ['-xf', file, '-C', dir]);
  if (r.status !== 0) throw new Error(`tar -xf ${file}: ${r.stderr.toString()}`);
  const out = new Map<string, Buffer>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === '' ? name.name : `${rel}/${name.name}`;
      if (name.isDirectory()) walk(p);
      else out.set(p, readFileSync(path.join(dir, p)));
    }
  };
  walk('');
  return out;
}

describe.skipIf(skipIntegration('tar-split'))('layers keep their original archives', () => {
  const suite = busyboxSuite();
  const ok = (args: string[]): string => {
    const r = suite().t.cli(args);
    if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const imageId = (ref: string): string => ok(['image', 'inspect', '-f', '{{.Id}}', ref]).trim();
  const layerDir = (ref: string): string => {
    const chain = JSON.parse(ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', ref])) as string[];
    // One layer: its chain id is its diff_id.
    return path.join(suite().t.root, 'storage', 'layers', chain[0]!.slice('sha256:'.length));
  };

  it('saves the tar an image was imported from, byte for byte, and so keeps its id', () => {
    const { t, img } = suite();
    const original = readFileSync(busyboxTar(t.root));
    const out = path.join(t.root, 'saved.tar');
    ok(['save', '-o', out, img]);
    const files = archiveFiles(out, path.join(t.root, 'saved'));
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; Layers: string[] }>;
    expect(manifest[0]!.Config).toBe(`${imageId(img).slice('sha256:'.length)}.json`);
    expect(sha256(files.get(manifest[0]!.Layers[0]!)!)).toBe(sha256(original));
  });

  it('saves from the files when the record is gone or no longer fits, and never follows a symlink', async () => {
    const { t } = suite();
    // "a" is a directory holding "hostname" (as long as the host's), then a later entry makes "a" a
    // symlink to /etc: the record's body a/hostname must not be read through it from the host.
    const hostFile = readFileSync('/etc/hostname');
    const tar = await packTar([
      [{ name: 'a/', type: 'directory', mode: 0o755 }],
      [{ name: 'a/hostname', mode: 0o644 }, 'x'.repeat(hostFile.length)],
      [{ name: 'a', type: 'symlink', linkname: '/etc' }],
      [{ name: 'passwd', mode: 0o644 }, 'not the host\'s\n'],
    ]);
    const file = path.join(t.root, 'swap.tar');
    writeFileSync(file, tar);
    ok(['import', file, 'swap:1']);
    const id = imageId('swap:1');
    expect(existsSync(path.join(layerDir('swap:1'), 'tar-split.gz'))).toBe(true);
    const out = path.join(t.root, 'swap-saved.tar');
    ok(['save', '-o', out, 'swap:1']);
    const files = archiveFiles(out, path.join(t.root, 'swap-saved'));
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as Array<{ Config: string; Layers: string[] }>;
    const layer = files.get(manifest[0]!.Layers[0]!)!;
    // a/hostname cannot be read back through the symlink: the layer is written from its files, with a new id.
    expect(layer.includes(hostFile)).toBe(false);
    expect(manifest[0]!.Config).not.toBe(`${id.slice('sha256:'.length)}.json`);
    expect(spawnSync('tar', ['-tf', '-'], { input: layer, encoding: 'utf8' }).stdout.split('\n')).toEqual(expect.arrayContaining(['a', 'passwd']));

    // Without the record at all, the same.
    const { img } = suite();
    rmSync(path.join(layerDir(img), 'tar-split.gz'));
    const again = path.join(t.root, 'resaved.tar');
    ok(['save', '-o', again, img]);
    const m2 = JSON.parse(archiveFiles(again, path.join(t.root, 'resaved')).get('manifest.json')!.toString()) as Array<{ Config: string }>;
    expect(m2[0]!.Config).toMatch(/^[0-9a-f]{64}\.json$/);
  });
});
