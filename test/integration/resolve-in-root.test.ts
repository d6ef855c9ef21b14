/**
 * Path resolution inside a root fd (storage/resolve-in-root.ts) and the detached overlay views
 * (storage/overlay-view.ts), on real directories: symlinks that point out of the root lead to
 * the root's own files, in the kernel's openat2 and in the component-by-component walk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AT, O, addon } from '../../src/native/addon.js';
import { openInRoot, walkInRoot } from '../../src/storage/resolve-in-root.js';
import { openOverlay } from '../../src/storage/overlay-view.js';
import { skipIntegration } from '../helpers/env.js';
import { leftoverMounts } from '../helpers/leaks.js';

describe.skipIf(skipIntegration('resolving paths inside a root'))('resolving paths inside a root', () => {
  let dir: string;
  let root: string;
  let rootFd: number;
  const hostFile = (): string => path.join(dir, 'host-canary');

  beforeAll(() => {
    dir = mkdtempSync('/tmp/berth-it-resolve-');
    root = path.join(dir, 'root');
    mkdirSync(path.join(root, 'etc'), { recursive: true });
    mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(hostFile(), 'host\n');
    writeFileSync(path.join(root, dir, 'host-canary'), 'inside\n');
    symlinkSync('/', path.join(root, 'evil'));
    symlinkSync('../../../../../../..', path.join(root, 'etc', 'up'));
    symlinkSync(`/evil${dir}`, path.join(root, 'chain'));
    symlinkSync('loop2', path.join(root, 'loop1'));
    symlinkSync('loop1', path.join(root, 'loop2'));
    rootFd = addon().openat2(AT.FDCWD, root, O.PATH | O.DIRECTORY, 0, 0);
    inside = statSync(path.join(root, dir, 'host-canary')).ino;
  });
  afterAll(() => {
    closeSync(rootFd);
    rmSync(dir, { recursive: true, force: true });
  });

  const inode = (fd: number): number => {
    try {
      return fstatSync(fd).ino;
    } finally {
      closeSync(fd);
    }
  };
  let inside = 0;

  it.each(['evil/DIR/host-canary', 'etc/up/DIR/host-canary', 'chain/host-canary', '/../../../DIR/host-canary'])('resolves %s to the root\'s own file', (pattern) => {
    const p = pattern.replace('/DIR', dir);
    expect(inode(openInRoot(rootFd, p))).toBe(inside);
    expect(inode(walkInRoot(rootFd, p))).toBe(inside);
    expect(readFileSync(hostFile(), 'utf8')).toBe('host\n');
  });

  it('refuses symlink loops and files used as directories with the kernel\'s errors', () => {
    expect(() => walkInRoot(rootFd, 'loop1/x')).toThrow(expect.objectContaining({ code: 'ELOOP', syscall: 'openat2' }));
    expect(() => walkInRoot(rootFd, `chain/host-canary/x`)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => openInRoot(rootFd, 'missing')).toThrow(expect.objectContaining({ code: 'ENOENT', errno: 2, syscall: 'openat2', path: 'missing' }));
    expect(() => walkInRoot(rootFd, 'etc', { directory: true, follow: true })).not.toThrow();
  });

  it('gives an overlay of layers as an fd that leaves no mount behind, writable with an upper dir', () => {
    const upper = path.join(dir, 'upper');
    const work = path.join(dir, 'work');
    const lower2 = path.join(dir, 'lower2');
    for (const d of [upper, work, lower2]) mkdirSync(d);
    writeFileSync(path.join(lower2, 'top'), 'top\n');
    const view = openOverlay({ lower: [lower2, root], upper: { upper, work } });
    try {
      // A relative symlink with `..` on a detached mount: the kernel answers EAGAIN, the walk resolves it.
      expect(inode(openInRoot(view, `etc/up${dir}/host-canary`))).toBe(inside);
      const parent = openInRoot(view, 'etc', { directory: true });
      const fd = addon().openat2(parent, 'new', O.WRONLY | O.CREAT | O.EXCL, 0o644, 0);
      closeSync(fd);
      closeSync(parent);
      expect(leftoverMounts().filter((l) => l.includes(dir))).toEqual([]);
    } finally {
      closeSync(view);
    }
    expect(statSync(path.join(upper, 'etc', 'new')).isFile()).toBe(true);
    expect(leftoverMounts().filter((l) => l.includes(dir))).toEqual([]);
  });
});
