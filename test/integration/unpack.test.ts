/**
 * Layer unpacking against real filesystems: a corpus of malicious archives (each
 * refused, nothing written outside), and every kind of entry and metadata.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { unpackLayer } from '../../src/image/unpack.js';
import { addon } from '../../src/native/addon.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { skipIntegration } from '../helpers/env.js';
import { packTar, paxRecords, rawTar, type PackEntry } from '../helpers/tar.js';

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += 4096) yield data.subarray(i, i + 4096);
}

describe.skipIf(skipIntegration('layer unpack'))('layer unpack', () => {
  let parent: string;
  let dest: string;

  beforeEach(() => {
    parent = mkdtempSync('/tmp/berth-unpack-');
    dest = path.join(parent, 'layer');
    mkdirSync(dest);
    writeFileSync(path.join(parent, 'outside'), 'untouched');
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  /** Everything in the temp parent besides the layer dir and the decoy file: must stay empty. */
  function outsideWrites(): string[] {
    return readdirSync(parent).filter((n) => n !== 'layer' && n !== 'outside');
  }

  async function refused(tar: Buffer, pattern: RegExp): Promise<void> {
    // A refused layer's dir is removed by the caller; each attempt starts from an empty one.
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest);
    const err = await unpackLayer(once(tar), dest).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).toMatch(/^layer rejected: entry /);
    expect(outsideWrites()).toEqual([]);
    expect(readFileSync(path.join(parent, 'outside'), 'utf8')).toBe('untouched');
    expect(existsSync('/x')).toBe(false);
  }

  const pack = (entries: PackEntry[]): Promise<Buffer> => packTar(entries);

  describe('refuses malicious layers, writing nothing outside', () => {
    it('../x', async () => {
      await refused(await pack([[{ name: '../x' }, 'evil']]), /"\.\.\/x": its path leads outside the layer/);
    });

    it('/abs/../../x', async () => {
      await refused(await pack([[{ name: '/abs/../../x' }, 'evil']]), /leads outside the layer/);
    });

    it('a symlink to / and then a file through it', async () => {
      await refused(
        await pack([
          [{ name: 'root', type: 'symlink', linkname: '/' }],
          [{ name: 'root/tmp/berth-pwned' }, 'evil'],
        ]),
        /"root\/tmp\/berth-pwned": its parent "root" is a symlink/,
      );
      expect(existsSync('/tmp/berth-pwned')).toBe(false);
    });

    it('a symlink to the parent dir and then a file through it', async () => {
      await refused(
        await pack([
          [{ name: 'up', type: 'symlink', linkname: '..' }],
          [{ name: 'up/escaped' }, 'evil'],
        ]),
        /its parent "up" is a symlink/,
      );
    });

    it('a hard link to /etc/passwd', async () => {
      await refused(await pack([[{ name: 'pw', type: 'link', linkname: '/etc/passwd' }]]), /link target "\/etc\/passwd" is not an entry of the layer/);
      await refused(await pack([[{ name: 'pw2', type: 'link', linkname: '../outside' }]]), /link target "\.\.\/outside" leads outside the layer/);
    });

    it('a hard link through or to a symlink', async () => {
      await refused(
        await pack([
          [{ name: 'up', type: 'symlink', linkname: '..' }],
          [{ name: 'pw', type: 'link', linkname: 'up/outside' }],
        ]),
        /link target "up\/outside" is not an entry of the layer/,
      );
      await refused(
        await pack([
          [{ name: 's', type: 'symlink', linkname: '/etc/passwd' }],
          [{ name: 'pw', type: 'link', linkname: 's' }],
        ]),
        /link target "s" is a symlink/,
      );
    });

    it('a directory swapped for a symlink between entries', async () => {
      await refused(
        await pack([
          [{ name: 'd/', type: 'directory' }],
          [{ name: 'd/a' }, 'fine'],
          [{ name: 'd', type: 'symlink', linkname: '..' }],
          [{ name: 'd/b' }, 'evil'],
        ]),
        /"d\/b": its parent "d" is a symlink/,
      );
    });

    it('a NUL byte in a PAX path', async () => {
      const tar = rawTar([
        { header: { name: 'PaxHeaders/x', type: 'x' }, body: paxRecords({ path: 'a\0b' }) },
        { header: { name: 'x' }, body: Buffer.from('x') },
      ]);
      await refused(tar, /contains a NUL byte/);
    });

    it('a NUL byte in an xattr name', async () => {
      const tar = rawTar([
        { header: { name: 'PaxHeaders/x', type: 'x' }, body: paxRecords({ 'SCHILY.xattr.trusted.overlay\0.x': 'y' }) },
        { header: { name: 'x' }, body: Buffer.from('x') },
      ]);
      await refused(tar, /invalid xattr name/);
    });

    it('a whiteout through a symlink', async () => {
      await refused(
        await pack([
          [{ name: 'up', type: 'symlink', linkname: '..' }],
          [{ name: 'up/.wh.outside' }],
        ]),
        /its parent "up" is a symlink/,
      );
    });
  });

  it('replaces a symlink pointing outside with a file instead of writing through it', async () => {
    await unpackLayer(
      once(
        await pack([
          [{ name: 'link', type: 'symlink', linkname: '../outside' }],
          [{ name: 'link' }, 'inside'],
        ]),
      ),
      dest,
    );
    expect(readFileSync(path.join(parent, 'outside'), 'utf8')).toBe('untouched');
    expect(lstatSync(path.join(dest, 'link')).isFile()).toBe(true);
    expect(readFileSync(path.join(dest, 'link'), 'utf8')).toBe('inside');
  });

  it('writes every kind of entry with its owner, mode, times and xattrs', async () => {
    const mtime = new Date('2020-05-06T07:08:09Z');
    const tar = await pack([
      [{ name: './', type: 'directory', mode: 0o755, mtime }],
      [{ name: 'dir/', type: 'directory', mode: 0o711, uid: 5, gid: 6, mtime }],
      [{ name: 'dir/suid', mode: 0o4755, uid: 1000, gid: 1000, mtime }, 'setuid program'],
      [{ name: 'dir/sgid', mode: 0o2750, uid: 0, gid: 50, mtime }, ''],
      [{ name: 'dir/sticky/', type: 'directory', mode: 0o1777, mtime }],
      [{ name: 'dir/link', type: 'symlink', linkname: 'suid', uid: 7, gid: 8, mtime }],
      [{ name: 'hard', type: 'link', linkname: 'dir/suid' }],
      [{ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 }],
      [{ name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660 }],
      [{ name: 'dev/fifo', type: 'fifo', mode: 0o600 }],
      [{ name: 'implicit/parent/file', mode: 0o600 }, 'x'],
    ]);
    const result = await unpackLayer(once(tar), dest);
    expect(result.diffId).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    expect(result.size).toBe('setuid program'.length + 1);

    const st = (p: string) => lstatSync(path.join(dest, p));
    expect(st('.').mode & 0o7777).toBe(0o755);
    expect(st('dir')).toMatchObject({ uid: 5, gid: 6 });
    expect(st('dir').mode & 0o7777).toBe(0o711);
    // Directory times survive the entries written into them afterwards.
    expect(st('dir').mtimeMs).toBe(mtime.getTime());
    expect(st('dir/suid')).toMatchObject({ uid: 1000, gid: 1000 });
    expect(st('dir/suid').mode & 0o7777).toBe(0o4755);
    expect(st('dir/suid').mtimeMs).toBe(mtime.getTime());
    expect(st('dir/sgid').mode & 0o7777).toBe(0o2750);
    expect(st('dir/sticky').mode & 0o7777).toBe(0o1777);
    expect(st('dir/link').isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(dest, 'dir/link'))).toBe('suid');
    expect(st('dir/link')).toMatchObject({ uid: 7, gid: 8 });
    expect(st('dir/link').mtimeMs).toBe(mtime.getTime());
    expect(st('hard').ino).toBe(st('dir/suid').ino);
    expect(st('dev/null').isCharacterDevice()).toBe(true);
    expect(st('dev/null').rdev).toBe(statSync('/dev/null').rdev);
    expect(st('dev/null').mode & 0o777).toBe(0o666);
    expect(st('dev/loop9').isBlockDevice()).toBe(true);
    expect(st('dev/fifo').isFIFO()).toBe(true);
    expect(st('implicit/parent').mode & 0o7777).toBe(0o755);
    expect(readFileSync(path.join(dest, 'implicit/parent/file'), 'utf8')).toBe('x');
  });

  it('sets PAX xattrs byte-exact, and ignores overlay attributes from the tar', async () => {
    const binary = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0xc3, 0x28]);
    const tar = rawTar([
      {
        header: { name: 'PaxHeader', type: 'x' },
        body: paxRecords({ 'SCHILY.xattr.user.bin': binary, 'SCHILY.xattr.user.text': 'hello', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' }),
      },
      { header: { name: 'file', mode: 0o644 }, body: Buffer.from('content') },
    ]);
    await unpackLayer(once(tar), dest);
    const file = path.join(dest, 'file');
    expect(addon().lgetxattr(file, 'user.bin')).toEqual(binary);
    expect(addon().lgetxattr(file, 'user.text')?.toString()).toBe('hello');
    expect(addon().lgetxattr(file, 'trusted.overlay.redirect')).toBeUndefined();
  });

  it('turns AUFS whiteouts into overlay whiteouts', async () => {
    const tar = await pack([
      [{ name: 'etc/', type: 'directory' }],
      [{ name: 'etc/.wh.gone', uid: 3, gid: 4 }],
      [{ name: 'opaque/', type: 'directory' }],
      [{ name: 'opaque/.wh..wh..opq' }],
      [{ name: 'opaque/kept' }, 'k'],
      [{ name: '.wh..wh.plnk/', type: 'directory' }],
      [{ name: '.wh..wh.plnk/1234.5' }, 'aufs hard link store'],
      [{ name: 'bin/linked', type: 'link', linkname: '/.wh..wh.plnk/1234.5' }],
      [{ name: '.wh..wh.aufs' }, ''],
    ]);
    await unpackLayer(once(tar), dest);
    const wh = lstatSync(path.join(dest, 'etc/gone'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect(wh).toMatchObject({ uid: 3, gid: 4 });
    expect(existsSync(path.join(dest, 'etc/.wh.gone'))).toBe(false);
    expect(addon().lgetxattr(path.join(dest, 'opaque'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(readdirSync(path.join(dest, 'opaque'))).toEqual(['kept']);
    expect(readdirSync(dest).sort()).toEqual(['bin', 'etc', 'opaque']);
    expect(readFileSync(path.join(dest, 'bin/linked'), 'utf8')).toBe('aufs hard link store');
  });

  it('lets a later entry replace an earlier one (a dir stays a dir)', async () => {
    const tar = await pack([
      [{ name: 'a' }, 'file first'],
      [{ name: 'a/', type: 'directory', mode: 0o700 }],
      [{ name: 'a/child' }, 'c'],
      [{ name: 'b/', type: 'directory' }],
      [{ name: 'b/child' }, 'c'],
      [{ name: 'b' }, 'now a file'],
      [{ name: 'c/', type: 'directory', mode: 0o755 }],
      [{ name: 'c/keep' }, 'kept'],
      [{ name: 'c/', type: 'directory', mode: 0o750 }],
      [{ name: 'f' }, 'old'],
      [{ name: 'f' }, 'new'],
    ]);
    await unpackLayer(once(tar), dest);
    expect(lstatSync(path.join(dest, 'a')).isDirectory()).toBe(true);
    expect(readdirSync(path.join(dest, 'a'))).toEqual(['child']);
    expect(readFileSync(path.join(dest, 'b'), 'utf8')).toBe('now a file');
    expect(readFileSync(path.join(dest, 'c/keep'), 'utf8')).toBe('kept');
    expect(lstatSync(path.join(dest, 'c')).mode & 0o777).toBe(0o750);
    expect(readFileSync(path.join(dest, 'f'), 'utf8')).toBe('new');
  });

  it('gives a gzip layer the diff id of its uncompressed tar, counting trailing bytes', async () => {
    const tar = Buffer.concat([await pack([[{ name: 'f' }, 'data']]), Buffer.alloc(8192)]);
    const expected = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    expect((await unpackLayer(once(gzipSync(tar)), dest)).diffId).toBe(expected);
    const other = path.join(parent, 'layer2');
    mkdirSync(other);
    expect((await unpackLayer(once(tar), other)).diffId).toBe(expected);
    rmSync(other, { recursive: true });
  });

  it('refuses a directory that is not empty, and a non-directory root entry', async () => {
    writeFileSync(path.join(dest, 'x'), '');
    await expect(unpackLayer(once(await pack([[{ name: 'f' }, 'x']])), dest)).rejects.toThrow(/not empty/);
    rmSync(path.join(dest, 'x'));
    await expect(unpackLayer(once(await pack([[{ name: './' }, 'x']])), dest)).rejects.toThrow(/only a directory can stand for the layer root/);
  });
});
