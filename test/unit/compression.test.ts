/**
 * decompressed() on zstd data, through whichever decoder this Node uses (its own zlib's,
 * else the addon's ZstdDecoder), and the addon's decoder itself: frames made by the zstd
 * CLI, and frames written here block by block (raw and RLE blocks), which need no CLI and
 * make a "bomb" of any size from a few bytes a megabyte.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decompressed } from '../../src/image/compression.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { NativeError, addon } from '../../src/native/addon.js';
import { nativeBuilt, zstdPath } from '../helpers/env.js';
import { zstdSync } from '../helpers/oci-layout.js';

function skip(suite: string, reason: string | undefined): boolean {
  if (reason) process.stderr.write(`SKIPPED ${suite}: ${reason}\n`);
  return reason !== undefined;
}

const BLOCK_MAX = 128 << 10;

type Block = Buffer | { byte: number; size: number };

/**
 * One zstd frame of raw blocks (a Buffer) and RLE blocks (one byte repeated size times), as
 * RFC 8878 lays them out: magic, a frame header with only a window descriptor, then blocks.
 */
function zstdFrame(blocks: Block[], windowLog = 17): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3])];
  blocks.forEach((block, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const [type, size, body] = Buffer.isBuffer(block) ? [0, block.length, block] : [1, block.size, Buffer.from([block.byte])];
    const header = last | (type << 1) | (size << 3);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), body);
  });
  return Buffer.concat(parts);
}

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function decompressAll(data: Buffer, chunkSize = 1000): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of decompressed(chunks(data, chunkSize), 'layer x')) out.push(c);
  return Buffer.concat(out);
}

async function failure(data: Buffer, chunkSize = 1000): Promise<Error> {
  try {
    await decompressAll(data, chunkSize);
  } catch (err) {
    return err as Error;
  }
  throw new Error('decompressed without an error');
}

describe.skipIf(skip('zstd decompression', nativeBuilt ? undefined : "the native addon is not built: run 'npm install'"))('zstd decompression', () => {
  it('decompresses frames written block by block, in any chunking', async () => {
    const raw = randomBytes(3000);
    const frame = zstdFrame([raw.subarray(0, 1000), { byte: 0x61, size: 5000 }, raw.subarray(1000)]);
    const expected = Buffer.concat([raw.subarray(0, 1000), Buffer.alloc(5000, 0x61), raw.subarray(1000)]);
    for (const size of [1, 7, 4096, frame.length]) expect((await decompressAll(frame, size)).equals(expected)).toBe(true);
  });

  it('decompresses concatenated frames as one stream', async () => {
    const a = zstdFrame([Buffer.from('first frame\n')]);
    const b = zstdFrame([{ byte: 0x7a, size: 10 }, Buffer.from('\n')]);
    const out = await decompressAll(Buffer.concat([a, b, a]), 5);
    expect(out.toString()).toBe(`first frame\n${'z'.repeat(10)}\nfirst frame\n`);
  });

  it('skips skippable frames, between frames and at the end (where zstd:chunked keeps its table of contents)', async () => {
    const a = zstdFrame([Buffer.from('before ')]);
    const b = zstdFrame([Buffer.from('after')]);
    const skippable = Buffer.concat([Buffer.from([0x50, 0x2a, 0x4d, 0x18, 9, 0, 0, 0]), Buffer.from('metadata!')]);
    expect((await decompressAll(Buffer.concat([a, skippable, b, skippable]), 3)).toString()).toBe('before after');
    const cut = await failure(Buffer.concat([a, skippable.subarray(0, 12)]));
    expect(cut.message).toBe('layer x: invalid zstd data (unexpected end of file)');
  });

  it('refuses data cut short inside a frame, wherever it is cut, as one clear error naming the layer', async () => {
    const a = zstdFrame([Buffer.from('a whole frame')]);
    const b = zstdFrame([Buffer.from('x'.repeat(100)), { byte: 0x62, size: 1000 }]);
    const whole = Buffer.concat([a, b]);
    for (const cut of [5, 6, 8, a.length - 1, a.length + 3, whole.length - 1]) {
      const err = await failure(whole.subarray(0, cut), 4);
      expect(err, `cut at ${cut}`).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toBe('layer x: invalid zstd data (unexpected end of file)');
    }
    // Ending right after a frame is no truncation.
    expect((await decompressAll(whole.subarray(0, a.length))).toString()).toBe('a whole frame');
  });

  it('refuses garbage, after the magic or after a good frame, as one clear error naming the layer', async () => {
    const good = zstdFrame([Buffer.from('good')]);
    const garbage = Buffer.from('this is not zstd at all, only its magic number in front of it');
    for (const data of [Buffer.concat([good.subarray(0, 4), garbage]), Buffer.concat([good, garbage])]) {
      const err = await failure(data);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toMatch(/^layer x: invalid zstd data \(.*\)$/);
      expect(err.message).not.toContain('\n');
    }
  });

  it('refuses a frame asking for a window over 128 MiB instead of allocating it', async () => {
    const err = await failure(zstdFrame([Buffer.from('tiny')], 31));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(/^layer x: invalid zstd data \(.*(window|memory).*\)$/i);
  });

  it('still refuses bzip2 and xz with a clear error', async () => {
    for (const [kind, magic] of [['bzip2', 'BZh91AY&SY'], ['xz', '\xfd7zXZ\0']] as const) {
      const err = await failure(Buffer.from(`${magic}rest of the data`, 'latin1'));
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toBe(`layer x is compressed with ${kind}, which berth cannot decompress (use an uncompressed, gzip or zstd archive)`);
    }
  });

  it('streams a bomb (1 GiB from 32 KiB) in bounded pieces, letting the event loop run', async () => {
    const blocks = (1 << 30) / BLOCK_MAX;
    const bomb = zstdFrame(Array.from({ length: blocks }, () => ({ byte: 0, size: BLOCK_MAX })));
    expect(bomb.length).toBeLessThan(40 << 10);
    let ticks = 0;
    let longestGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 1);
    let total = 0;
    let largest = 0;
    let peakExternal = 0;
    try {
      // The whole bomb in one input chunk; the consumer takes each piece without waiting.
      for await (const piece of decompressed(chunks(bomb, bomb.length), 'layer x')) {
        total += piece.length;
        largest = Math.max(largest, piece.length);
        if ((total & ((64 << 20) - 1)) === 0) peakExternal = Math.max(peakExternal, process.memoryUsage().arrayBuffers);
      }
    } finally {
      clearInterval(timer);
    }
    expect(total).toBe(1 << 30);
    expect(largest).toBeLessThanOrEqual(BLOCK_MAX);
    expect(peakExternal).toBeLessThan(512 << 20);
    expect(ticks).toBeGreaterThan(10);
    expect(longestGap).toBeLessThan(200);
  }, 60_000);
});

describe.skipIf(skip('ZstdDecoder', nativeBuilt ? undefined : "the native addon is not built: run 'npm install'"))('ZstdDecoder (addon)', () => {
  it('returns at most 1 MiB a call and keeps the rest for the next', () => {
    const decoder = new (addon().ZstdDecoder)();
    try {
      const input = zstdFrame(Array.from({ length: 64 }, () => ({ byte: 1, size: BLOCK_MAX })));
      let rest = input;
      let total = 0;
      let calls = 0;
      for (;;) {
        const step = decoder.decompress(rest);
        calls++;
        const size = step.output.reduce((n, b) => n + b.length, 0);
        expect(size).toBeLessThanOrEqual(1 << 20);
        total += size;
        rest = rest.subarray(step.read);
        if (!step.more) {
          expect(rest.length).toBe(0);
          expect(step.frameEnd).toBe(true);
          break;
        }
      }
      expect(total).toBe(64 * BLOCK_MAX);
      expect(calls).toBeGreaterThanOrEqual(8);
    } finally {
      decoder.close();
    }
  });

  it('says when the input read so far stops inside a frame', () => {
    const decoder = new (addon().ZstdDecoder)();
    const frame = zstdFrame([Buffer.from('hello')]);
    expect(decoder.decompress(frame.subarray(0, 8)).frameEnd).toBe(false);
    const step = decoder.decompress(frame.subarray(8));
    expect(Buffer.concat(step.output).toString()).toBe('hello');
    expect(step.frameEnd).toBe(true);
    // An empty call at a frame boundary changes nothing.
    expect(decoder.decompress(Buffer.alloc(0)).frameEnd).toBe(true);
    decoder.close();
  });

  it('throws a NativeError with the zstd error as code, and EBADF after close', () => {
    const decoder = new (addon().ZstdDecoder)();
    let caught: unknown;
    try {
      decoder.decompress(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, ...Array<number>(20).fill(0xff)]));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NativeError);
    expect((caught as NativeError).code).toMatch(/^ZSTD_error_/);
    expect((caught as NativeError).syscall).toBe('ZSTD_decompressStream');
    decoder.close();
    decoder.close();
    expect(() => decoder.decompress(Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'EBADF' }) as Error);
    expect(() => decoder.decompress('x' as unknown as Buffer)).toThrow(TypeError);
  });
});

describe.skipIf(skip('zstd CLI round trip', !nativeBuilt ? 'the native addon is not built' : zstdPath ? undefined : 'the zstd CLI is not installed (apt-get install zstd)'))('zstd CLI round trip', () => {
  it('decompresses what the zstd CLI writes, at any level, with and without checksum, in any chunking', async () => {
    const text = Buffer.from(Array.from({ length: 20000 }, (_, i) => `line ${i} of a layer\n`).join(''));
    const data = Buffer.concat([text, randomBytes(300_000), text]);
    for (const args of [['-1'], ['-19', '--no-check'], ['--ultra', '-22', '--long=27']]) {
      const z = zstdSync(data, ...args);
      for (const size of [1 << 16, 777]) expect((await decompressAll(z, size)).equals(data), `${args.join(' ')} / ${size}`).toBe(true);
    }
  }, 60_000);

  it('decompresses several CLI frames one after the other', async () => {
    const a = Buffer.from('alpha '.repeat(5000));
    const b = randomBytes(10000);
    const out = await decompressAll(Buffer.concat([zstdSync(a), zstdSync(b), zstdSync(a, '-9')]), 4096);
    expect(out.equals(Buffer.concat([a, b, a]))).toBe(true);
  });

  it('refuses a CLI frame that is cut short or has a flipped byte', async () => {
    const data = Buffer.from('some content that compresses well '.repeat(2000));
    const z = zstdSync(data);
    expect((await failure(z.subarray(0, z.length - 2))).message).toBe('layer x: invalid zstd data (unexpected end of file)');
    const flipped = Buffer.from(z);
    flipped[Math.floor(z.length / 2)]! ^= 0x55;
    const err = await failure(flipped);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toMatch(/^layer x: invalid zstd data \(.+\)$/);
  });
});
