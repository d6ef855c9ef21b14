import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { ByteReader } from '../../src/image/byte-reader.js';
import { decompressed } from '../../src/image/compression.js';
import { layerPathComponents } from '../../src/image/layer-path.js';
import { TarReader, type TarEntry } from '../../src/image/tar-reader.js';
import { packTar, paxRecords, rawTar } from '../helpers/tar.js';

async function* chunks(data: Buffer, size = 100): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(data: Buffer, chunkSize?: number): Promise<Array<{ entry: TarEntry; body: string }>> {
  const input = new ByteReader(decompressed(chunks(data, chunkSize), 'test.tar')[Symbol.asyncIterator]());
  const out: Array<{ entry: TarEntry; body: string }> = [];
  for await (const { entry, body } of new TarReader(input, 'test.tar').entries()) {
    const parts: Buffer[] = [];
    for await (const p of body) parts.push(p);
    out.push({ entry, body: Buffer.concat(parts).toString() });
  }
  return out;
}

describe('TarReader', () => {
  it('reads what tar-stream writes, in any chunking, plain or gzip', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const tar = await packTar([
      [{ name: 'dir/', type: 'directory', mode: 0o755, uid: 1, gid: 2, mtime: new Date(1_000_000) }],
      [{ name: 'dir/file', mode: 0o4755, uid: 1000, gid: 1000 }, 'hello'],
      [{ name: 'link', type: 'symlink', linkname: 'dir/file' }],
      [{ name: 'hard', type: 'link', linkname: 'dir/file' }],
      [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }],
      [{ name: long }, 'x'.repeat(1000)],
    ]);
    for (const data of [tar, gzipSync(tar)]) {
      for (const size of [1, 511, 512, 4096]) {
        const items = await readAll(data, size);
        expect(items.map((i) => [i.entry.name, i.entry.type])).toEqual([
          ['dir/', 'directory'],
          ['dir/file', 'file'],
          ['link', 'symlink'],
          ['hard', 'hardlink'],
          ['null', 'char-device'],
          [long, 'file'],
        ]);
        expect(items[0]!.entry).toMatchObject({ mode: 0o755, uid: 1, gid: 2, mtime: 1000 });
        expect(items[1]!.entry).toMatchObject({ mode: 0o4755, uid: 1000, size: 5 });
        expect(items[1]!.body).toBe('hello');
        expect(items[2]!.entry.linkname).toBe('dir/file');
        expect(items[4]!.entry).toMatchObject({ devmajor: 1, devminor: 3 });
        expect(items[5]!.body).toBe('x'.repeat(1000));
      }
    }
  });

  it('keeps binary PAX xattr values byte-exact and applies PAX and GNU long names', async () => {
    const binary = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0xff, 0x00, 0xc3]);
    const tar = rawTar([
      { header: { name: 'PaxHeader', type: 'x' }, body: paxRecords({ 'SCHILY.xattr.security.capability': binary, path: 'über/long', mtime: '12.5' }) },
      { header: { name: 'short' }, body: Buffer.from('a') },
      { header: { name: '././@LongLink', type: 'L' }, body: Buffer.from('gnu/long/name\0') },
      { header: { name: 'trunc', type: '5' } },
    ]);
    const items = await readAll(tar);
    expect(items[0]!.entry.name).toBe('über/long');
    expect(items[0]!.entry.mtime).toBe(12.5);
    expect(items[0]!.entry.xattrs.get('security.capability')).toEqual(binary);
    expect(items[1]!.entry).toMatchObject({ name: 'gnu/long/name', type: 'directory' });
    expect(items[1]!.entry.xattrs.size).toBe(0);
  });

  it('refuses what is not a tar, with one clear line', async () => {
    await expect(readAll(Buffer.from('just some text\n'.repeat(100)))).rejects.toThrow(/^test\.tar is not a valid tar archive \(invalid tar header\)$/);
    await expect(readAll(Buffer.from('short'))).rejects.toThrow(/test\.tar is not a valid tar archive/);
    await expect(readAll(Buffer.alloc(0))).rejects.toThrow(/test\.tar is not a valid tar archive \(it is empty\)/);
    await expect(readAll(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]))).rejects.toThrow(/compressed with xz/);
    await expect(readAll(Buffer.concat([gzipSync(Buffer.alloc(2048)).subarray(0, 15)]))).rejects.toThrow();
  });

  it('refuses truncated archives, sparse files and unknown entry types', async () => {
    const tar = await packTar([[{ name: 'f' }, 'x'.repeat(2000)]]);
    await expect(readAll(tar.subarray(0, 1000))).rejects.toThrow(/unexpected end of data in "f"/);
    await expect(readAll(rawTar([{ header: { name: 'sparse', type: 'S' } }]))).rejects.toThrow(/sparse/);
    await expect(readAll(rawTar([{ header: { name: 'v', type: 'V' } }]))).rejects.toThrow(/unsupported entry type "V"/);
  });

  it('reads an empty archive and one without an end marker', async () => {
    expect(await readAll(Buffer.alloc(1024))).toEqual([]);
    const items = await readAll(rawTar([{ header: { name: 'a' }, body: Buffer.from('1') }]).subarray(0, 1024));
    expect(items.map((i) => i.entry.name)).toEqual(['a']);
  });
});

describe('layerPathComponents', () => {
  it('strips leading slashes and resolves dots inside the root', () => {
    expect(layerPathComponents('./a/b/')).toEqual(['a', 'b']);
    expect(layerPathComponents('/etc/passwd')).toEqual(['etc', 'passwd']);
    expect(layerPathComponents('a/../b')).toEqual(['b']);
    expect(layerPathComponents('./')).toEqual([]);
  });
  it('refuses paths that climb out', () => {
    expect(layerPathComponents('../x')).toBeUndefined();
    expect(layerPathComponents('/abs/../../x')).toBeUndefined();
    expect(layerPathComponents('a/../../x')).toBeUndefined();
  });
});
