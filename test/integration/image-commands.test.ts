/**
 * tag, rmi, history, images (filters, --digests, --format) and image prune through the
 * CLI, on images imported into a test root.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { busyboxTar, importBusybox, makeTestRoot, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';

describe.skipIf(skipIntegration('image commands'))('image commands', () => {
  let t: TestRoot;
  let img: string;
  const layers = (): string[] => readdirSync(path.join(t.root, 'storage', 'layers')).sort();
  const ok = (args: string[]): string => {
    const r = t.cli(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(() => {
    t = makeTestRoot();
    img = importBusybox(t);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('tags, and untags a name while others are left, deleting the image with its last name', () => {
    const id = ok(['images', '-q', '--no-trunc', img]).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    ok(['tag', img, 'first:one']);
    ok(['tag', 'first:one', 'localhost:5000/team/second']);
    const listed = ok(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n').sort();
    expect(listed).toEqual(['busybox:test', 'first:one', 'localhost:5000/team/second:latest']);

    expect(ok(['rmi', 'first:one'])).toBe('Untagged: first:one\n');
    // By id while two names are left: refused without -f.
    const byId = t.cli(['rmi', id.slice(7, 19)]);
    expect(byId.code).toBe(1);
    expect(byId.stderr).toMatch(/conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/);

    // A container made from it keeps it: refused, then forced untags but keeps the image.
    const before = layers();
    const c = ok(['create', 'localhost:5000/team/second', 'true']).trim();
    ok(['rmi', 'busybox:test']);
    const used = t.cli(['rmi', 'localhost:5000/team/second']);
    expect(used.code).toBe(1);
    expect(used.stderr).toMatch(/container [0-9a-f]{12} is using its referenced image/);
    expect(ok(['rmi', '-f', 'localhost:5000/team/second'])).toBe('Untagged: localhost:5000/team/second:latest\n');
    expect(layers()).toEqual(before);
    expect(ok(['run', '--rm', id, 'echo', 'still here'])).toBe('still here\n');
    ok(['rm', c]);

    // Nothing uses it now: deleting it removes its layer too.
    const gone = ok(['rmi', id]);
    expect(gone).toMatch(new RegExp(`^Deleted: ${id}\nDeleted: sha256:[0-9a-f]{64}\n$`));
    expect(layers()).toEqual([]);
    const again = t.cli(['rmi', 'busybox:test']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('berth: No such image: busybox:test\n');
    img = importBusybox(t);
  });

  it('shows history newest first with layer sizes', () => {
    const tar = busyboxTar(t.root);
    ok(['import', '-m', 'a comment', '--change', 'ENV A=1', tar, 'hist:1']);
    const out = ok(['history', 'hist:1']).split('\n');
    expect(out[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(out[1]).toMatch(/^[0-9a-f]{12}\s+(Less than a second|\d+ seconds?) ago\s+.*\d(\.\d+)?[kM]B\s+a comment$/);
    expect(ok(['history', '-q', '--no-trunc', 'hist:1']).trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    const raw = ok(['history', '-H=false', 'hist:1']);
    expect(raw).toMatch(/\s\d{5,}\s/);
  });

  it('filters, shows digests and formats the image list', () => {
    ok(['tag', img, 'filtered/app:v1']);
    expect(ok(['images', '-f', 'reference=filtered/*', '--format', '{{.Repository}} {{.Tag}}'])).toBe('filtered/app v1\n');
    expect(ok(['images', '-f', 'reference=*/app:v?', '--format', '{{.Repository}}'])).toBe('filtered/app\n');
    expect(ok(['images', '-f', 'dangling=true', '-q'])).toBe('');
    const json = ok(['images', '--format', 'json', '-f', 'reference=filtered/app']).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ Repository: 'filtered/app', Tag: 'v1', Digest: '<none>', ID: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(ok(['images', '--digests', '-f', 'reference=filtered/app'])).toMatch(/^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    expect(ok(['images', '--format', 'table {{.Repository}}\t{{.Tag}}', '-f', 'reference=filtered/app'])).toMatch(/^REPOSITORY\s+TAG\nfiltered\/app\s+v1\n$/);
    for (const [args, msg] of [
      [['-f', 'nosuch=1'], "invalid filter 'nosuch'"],
      [['-f', 'dangling'], 'bad format of filter'],
      [['--format', '{{.Repository'], 'template parsing error: template: :1: unclosed action'],
      [['--format', '{{.Nope}}'], "can't evaluate field Nope"],
    ] as const) {
      const r = t.cli(['images', ...args]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(msg);
    }
    ok(['rmi', 'filtered/app:v1']);
  });

  it('shows disk usage as docker system df does', () => {
    const c = ok(['create', img, 'sh', '-c', 'true']).trim();
    const df = ok(['system', 'df']).split('\n');
    expect(df[0]).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    const images = df.find((l) => l.startsWith('Images'))!.split(/\s{2,}/);
    expect(Number(images[1])).toBeGreaterThanOrEqual(1);
    expect(images[2]).toBe('1');
    // busybox is a megabyte or more, and in use: not all of it is reclaimable.
    expect(images[3]).toMatch(/MB$/);
    expect(df.find((l) => l.startsWith('Containers'))).toMatch(/^Containers\s+1\s+0\s+/);
    expect(df).toContainEqual(expect.stringMatching(/^Local Volumes\s+0\s+0\s+0B\s+0B$/));
    ok(['rm', c]);
  });

  it('prunes dangling images, and with -a every unused one, after asking', () => {
    // An image made dangling by moving its only tag to a newer one.
    const layersBefore = layers();
    ok(['import', busyboxTar(t.root), 'dangle:1']);
    ok(['import', '-m', 'other', busyboxTar(t.root), 'dangle:1']);
    expect(ok(['images', '-f', 'dangling=true', '-q'])).toMatch(/^[0-9a-f]{12}\n$/);

    const asked = t.cli(['image', 'prune'], { input: 'n\n' });
    expect(asked.stdout).toBe('WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
    expect(ok(['images', '-f', 'dangling=true', '-q'])).not.toBe('');

    const pruned = t.cli(['image', 'prune'], { input: 'y\n' });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n/);
    expect(pruned.stdout).toMatch(/Total reclaimed space: /);
    expect(ok(['images', '-f', 'dangling=true', '-q'])).toBe('');

    // -a: every image no container uses; the one a container uses stays.
    const c = ok(['create', img, 'true']).trim();
    const all = ok(['image', 'prune', '-a', '-f']);
    expect(all).toMatch(/untagged: dangle:1\n/);
    expect(ok(['images', '--format', '{{.Repository}}:{{.Tag}}'])).toBe(`${img}\n`);
    // The same busybox content in every import: one layer, kept for the image left.
    expect(layers()).toEqual(layersBefore);
    ok(['rm', c]);
  });
});
