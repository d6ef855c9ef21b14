/**
 * Tars made in tests: through tar-stream (an independent writer) for ordinary
 * archives, and byte by byte for what tar-stream cannot write (binary PAX values,
 * corrupt headers).
 */
import { pack, type Header } from 'tar-stream';

export type PackEntry = [Partial<Header> & Pick<Header, 'name'>, (Buffer | string)?];

/** A tar written by tar-stream. */
export async function packTar(entries: readonly PackEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of p as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const [header, body] of entries) {
    await new Promise<void>((resolve, reject) => {
      p.entry({ mtime: new Date(0), ...header }, body ?? '', (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface RawHeader {
  name: string;
  /** Tar typeflag character: '0' file, '1' hardlink, '2' symlink, '5' dir, 'x' PAX... */
  type?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  linkname?: string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header block. */
export function rawHeader(h: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  block.write(h.name, 0, 100, 'utf8');
  block.write(octal(h.mode ?? 0o644, 8), 100, 'latin1');
  block.write(octal(h.uid ?? 0, 8), 108, 'latin1');
  block.write(octal(h.gid ?? 0, 8), 116, 'latin1');
  block.write(octal(h.size ?? 0, 12), 124, 'latin1');
  block.write(octal(h.mtime ?? 0, 12), 136, 'latin1');
  block.write(h.type ?? '0', 156, 'latin1');
  block.write(h.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function padded(body: Buffer): Buffer {
  const pad = (512 - (body.length % 512)) % 512;
  return Buffer.concat([body, Buffer.alloc(pad)]);
}

/** A tar from raw headers and bodies, with the end-of-archive marker. */
export function rawTar(entries: ReadonlyArray<{ header: RawHeader; body?: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const { header, body } of entries) {
    const data = body ?? Buffer.alloc(0);
    parts.push(rawHeader({ ...header, size: header.size ?? data.length }), padded(data));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** PAX extended header records; values may be arbitrary bytes. */
export function paxRecords(records: Record<string, Buffer | string>): Buffer {
  const out: Buffer[] = [];
  for (const [key, raw] of Object.entries(records)) {
    const value = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const rest = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
    let length = rest.length + 1;
    while (String(length).length + rest.length !== length) length++;
    out.push(Buffer.concat([Buffer.from(String(length)), rest]));
  }
  return Buffer.concat(out);
}
