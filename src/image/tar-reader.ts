/**
 * A streaming tar reader. berth parses tar itself rather than through a library
 * so that it sees every header field as bytes (binary xattr values, sizes beyond
 * 8 GiB) and decides itself what a malformed archive means.
 */
import { InvalidArgumentError } from '../errors.js';
import type { ByteReader } from './byte-reader.js';
import { BLOCK, decodeHeader, isZeroBlock, parsePaxRecords, type RawTarHeader } from './tar-header.js';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

export interface TarEntry {
  /** The path as written in the archive (after PAX and GNU long-name overrides), not yet normalised. */
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Body size in bytes (0 for everything but regular files). */
  size: number;
  /** Seconds since the epoch, fractional when a PAX record gave sub-second precision. */
  mtime: number;
  atime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.* records: attribute name → raw value. */
  xattrs: Map<string, Buffer>;
}

/**
 * Told every byte of the archive in order, split into what is not file content (headers,
 * extended headers, padding, the end) and the file bodies, so the archive can be made again
 * byte for byte from the unpacked files (storage/tar-split.ts).
 */
export interface TarRecorder {
  raw(bytes: Buffer): void;
  /** A regular file's body of entry.size bytes comes next. */
  body(entry: TarEntry): void;
}

export interface TarItem {
  entry: TarEntry;
  /** The body; read it before asking for the next item (what is left unread is skipped). */
  body: AsyncIterable<Buffer>;
}

/** Extended headers are metadata; anything this large is an attack on memory, not a path. */
const MAX_META_SIZE = 1 << 20;

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
};

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

export class TarReader {
  private headers = 0;

  /** label names the archive in errors ("foo.tar is not a valid tar archive"). */
  constructor(
    private readonly input: ByteReader,
    private readonly label: string,
    private readonly recorder?: TarRecorder,
  ) {}

  /** Passes over n bytes that are not file content, recording them when asked to; returns how many there were. */
  private async pass(n: number): Promise<number> {
    if (!this.recorder) return this.input.skip(n);
    const bytes = await this.input.read(n);
    this.recorder.raw(bytes);
    return bytes.length;
  }

  /** The bytes after the end-of-archive marker, part of the tar and of its digest. */
  async drain(): Promise<void> {
    if (!this.recorder) return this.input.drain();
    for (;;) {
      const piece = await this.input.readSome(1 << 20);
      if (piece.length === 0) return;
      this.recorder.raw(Buffer.from(piece));
    }
  }

  private notTar(why: string): InvalidArgumentError {
    return new InvalidArgumentError(`${this.label} is not a valid tar archive (${why})`);
  }

  private corrupt(why: string, offset: number): InvalidArgumentError {
    return this.headers === 0 ? this.notTar(why) : new InvalidArgumentError(`${this.label}: corrupt tar archive: ${why} at byte ${offset}`);
  }

  private async readMeta(header: RawTarHeader, offset: number): Promise<Buffer> {
    if (header.size > MAX_META_SIZE) throw this.corrupt(`extended header of ${header.size} bytes`, offset);
    const data = await this.input.read(header.size);
    this.recorder?.raw(data);
    if (data.length !== header.size || (await this.pass(padding(header.size))) !== padding(header.size)) {
      throw this.corrupt('unexpected end of data', offset);
    }
    return data;
  }

  /** The entries in order; ends at the end-of-archive marker or at the end of input after a complete entry. */
  async *entries(): AsyncGenerator<TarItem, void, undefined> {
    let pax = new Map<string, Buffer>();
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const offset = this.input.position;
      const block = await this.input.read(BLOCK);
      if (block.length === 0) {
        if (this.headers === 0) throw this.notTar('it is empty');
        if (longName !== undefined || longLink !== undefined || pax.size > 0) throw this.corrupt('unexpected end of data', offset);
        return;
      }
      if (block.length < BLOCK) throw this.corrupt('unexpected end of data', offset);
      this.recorder?.raw(block);
      // The end-of-archive marker; an archive with no entries is a valid, empty layer.
      if (isZeroBlock(block)) return;
      const header = decodeHeader(block);
      if (!header) throw this.corrupt('invalid tar header', offset);
      this.headers++;

      switch (header.typeflag) {
        case 'x': {
          const records = parsePaxRecords(await this.readMeta(header, offset));
          if (!records) throw this.corrupt('malformed PAX header', offset);
          pax = new Map([...pax, ...records]);
          continue;
        }
        case 'g':
          // Global PAX headers are ignored, as Go's archive/tar (and so docker) does.
          await this.readMeta(header, offset);
          continue;
        case 'L':
          longName = nulTerminated(await this.readMeta(header, offset));
          continue;
        case 'K':
          longLink = nulTerminated(await this.readMeta(header, offset));
          continue;
      }

      const entry = this.toEntry(header, pax, longName, longLink, offset);
      pax = new Map();
      longName = undefined;
      longLink = undefined;

      let remaining = entry.size;
      const input = this.input;
      const truncated = (): InvalidArgumentError => this.corrupt(`unexpected end of data in ${JSON.stringify(entry.name)}`, offset);
      const body: AsyncIterable<Buffer> = {
        async *[Symbol.asyncIterator]() {
          while (remaining > 0) {
            const piece = await input.readSome(Math.min(remaining, 1 << 20));
            if (piece.length === 0) throw truncated();
            remaining -= piece.length;
            yield piece;
          }
        },
      };
      if (entry.size > 0) this.recorder?.body(entry);
      yield { entry, body };
      // Body bytes left unread are not recorded: the file made from them holds less, and a remade archive would not match.
      const unread = remaining;
      remaining = 0;
      if ((await input.skip(unread)) !== unread || (await this.pass(padding(entry.size))) !== padding(entry.size)) throw truncated();
    }
  }

  private toEntry(
    header: RawTarHeader,
    pax: Map<string, Buffer>,
    longName: string | undefined,
    longLink: string | undefined,
    offset: number,
  ): TarEntry {
    let name = longName ?? header.name;
    let linkname = longLink ?? header.linkname;
    let { size, uid, gid, mtime } = header;
    let atime: number | undefined;
    const xattrs = new Map<string, Buffer>();
    for (const [key, raw] of pax) {
      const text = raw.toString('utf8');
      if (key.startsWith('SCHILY.xattr.')) {
        xattrs.set(key.slice('SCHILY.xattr.'.length), raw);
        continue;
      }
      if (key.startsWith('GNU.sparse.')) throw this.corrupt(`sparse file ${JSON.stringify(name)} (sparse files are not supported)`, offset);
      // An empty value removes the record (POSIX), leaving the header's own field.
      if (text === '') continue;
      switch (key) {
        case 'path':
          name = text;
          break;
        case 'linkpath':
          linkname = text;
          break;
        case 'size':
          size = this.paxInteger(key, text, offset);
          break;
        case 'uid':
          uid = this.paxInteger(key, text, offset);
          break;
        case 'gid':
          gid = this.paxInteger(key, text, offset);
          break;
        case 'mtime':
          mtime = this.paxTime(key, text, offset);
          break;
        case 'atime':
          atime = this.paxTime(key, text, offset);
          break;
      }
    }

    let type = TYPES[header.typeflag];
    if (type === undefined) {
      const shown = header.typeflag === 'S' ? "'S' (GNU sparse file)" : JSON.stringify(header.typeflag);
      throw this.corrupt(`unsupported entry type ${shown} for ${JSON.stringify(name)}`, offset);
    }
    // Pre-POSIX archives mark directories only by a trailing slash.
    if (header.typeflag === '\0' && name.endsWith('/')) type = 'directory';
    if (name === '') throw this.corrupt('entry with an empty name', offset);

    return {
      name,
      type,
      mode: header.mode,
      uid,
      gid,
      // Go's archive/tar ignores the size field of header-only types, so docker's layers may carry junk there.
      size: type === 'file' ? size : 0,
      mtime,
      atime: atime ?? mtime,
      linkname,
      devmajor: header.devmajor,
      devminor: header.devminor,
      xattrs,
    };
  }

  private paxInteger(key: string, text: string, offset: number): number {
    if (!/^[0-9]+$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) throw this.corrupt(`invalid PAX ${key} ${JSON.stringify(text)}`, offset);
    return Number(text);
  }

  private paxTime(key: string, text: string, offset: number): number {
    if (!/^-?[0-9]+(\.[0-9]*)?$/.test(text)) throw this.corrupt(`invalid PAX ${key} ${JSON.stringify(text)}`, offset);
    return Number(text);
  }
}

function nulTerminated(data: Buffer): string {
  const end = data.indexOf(0);
  return data.toString('utf8', 0, end < 0 ? data.length : end);
}
