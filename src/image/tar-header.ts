/**
 * Decoding of one 512-byte tar header block and of PAX extended header records
 * (ustar, GNU and v7 layouts, as Go's archive/tar reads them, which is what
 * docker and registries produce).
 */

export type TarFormat = 'ustar' | 'gnu' | 'v7';

export interface RawTarHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  typeflag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
  format: TarFormat;
}

export const BLOCK = 512;

export function isZeroBlock(block: Buffer): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? field.length : end);
}

/** An octal or base-256 numeric field; NaN when malformed or negative. */
function numeric(block: Buffer, start: number, length: number): number {
  const field = block.subarray(start, start + length);
  const lead = field[0] ?? 0;
  if (lead & 0x80) {
    // GNU base-256: a leading 0xff marks a negative number, which no field here may hold.
    if (lead === 0xff) return Number.NaN;
    let value = lead & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + (field[i] ?? 0);
      if (value > Number.MAX_SAFE_INTEGER) return Number.NaN;
    }
    return value;
  }
  const text = field.toString('latin1').replace(/^[ \0]+|[ \0]+$/g, '');
  // Some writers end a field with a NUL and then junk; the number stops at the first NUL or space.
  const digits = /^[0-7]*/.exec(text)?.[0] ?? '';
  if (digits === '') return text === '' ? 0 : Number.NaN;
  return parseInt(digits, 8);
}

function checksumMatches(block: Buffer): boolean {
  const stored = numeric(block, 148, 8);
  if (Number.isNaN(stored)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Old Sun and some other tars summed signed chars.
  return stored === unsigned || stored === signed;
}

/** The header in block, or undefined when the block is not a valid header (bad checksum or numbers). */
export function decodeHeader(block: Buffer): RawTarHeader | undefined {
  if (block.length !== BLOCK || !checksumMatches(block)) return undefined;
  const magic = block.toString('latin1', 257, 263);
  const version = block.toString('latin1', 263, 265);
  const format: TarFormat = magic === 'ustar\0' ? 'ustar' : magic === 'ustar ' && version === ' \0' ? 'gnu' : 'v7';
  let name = cString(block, 0, 100);
  // Only POSIX ustar has a prefix field; GNU keeps access and change times there.
  if (format === 'ustar') {
    const prefix = cString(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const header: RawTarHeader = {
    name,
    mode: numeric(block, 100, 8),
    uid: numeric(block, 108, 8),
    gid: numeric(block, 116, 8),
    size: numeric(block, 124, 12),
    mtime: numeric(block, 136, 12),
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: cString(block, 157, 100),
    devmajor: format === 'v7' ? 0 : numeric(block, 329, 8),
    devminor: format === 'v7' ? 0 : numeric(block, 337, 8),
    format,
  };
  for (const n of [header.mode, header.uid, header.gid, header.size, header.mtime, header.devmajor, header.devminor]) {
    if (Number.isNaN(n)) return undefined;
  }
  return header;
}

/**
 * PAX records (`<len> <key>=<value>\n`). Values stay bytes: SCHILY.xattr values
 * are binary (security.capability) and must not pass through a UTF-8 decoder.
 * Returns undefined when the records are malformed.
 */
export function parsePaxRecords(data: Buffer): Map<string, Buffer> | undefined {
  const records = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    // Writers may pad the record block with NULs.
    if (data[pos] === 0) break;
    const space = data.indexOf(0x20, pos);
    if (space < 0) return undefined;
    const lengthText = data.toString('latin1', pos, space);
    if (!/^[1-9][0-9]*$/.test(lengthText)) return undefined;
    const length = parseInt(lengthText, 10);
    const end = pos + length;
    if (end > data.length || data[end - 1] !== 0x0a) return undefined;
    const eq = data.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= end) return undefined;
    const key = data.toString('utf8', space + 1, eq);
    if (key === '') return undefined;
    records.set(key, data.subarray(eq + 1, end - 1));
    pos = end;
  }
  return records;
}
