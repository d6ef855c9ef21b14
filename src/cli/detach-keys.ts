/**
 * docker's detach keys: a key sequence on an attached stdin (default ctrl-p ctrl-q) that
 * leaves the container running and ends the client. Bytes that only start the sequence are
 * held back until the next byte shows whether it goes on; if not, they go to the container.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** `ctrl-p,ctrl-q`, `a`, `ctrl-@`…`ctrl-_` as docker's term.ToBytes reads them. */
export function parseDetachKeys(spec: string): Buffer {
  const bytes: number[] = [];
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (part.length === 1) {
      bytes.push(part.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(part);
    const key = m?.[1]?.toLowerCase();
    if (key === undefined || !/^[a-z@[\\\]^_]$/.test(key)) throw new InvalidArgumentError(`Invalid detach keys (${spec}) provided`);
    bytes.push(key >= 'a' && key <= 'z' ? key.charCodeAt(0) - 96 : key.toUpperCase().charCodeAt(0) - 64);
  }
  if (bytes.length === 0) throw new InvalidArgumentError(`Invalid detach keys (${spec}) provided`);
  return Buffer.from(bytes);
}

/** Passes stdin through, calling onDetach (and ending) when the key sequence comes. */
export class DetachKeyFilter extends Transform {
  private matched = 0;

  constructor(
    private readonly keys: Buffer,
    private readonly onDetach: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.matched === 0 && !chunk.includes(this.keys[0]!)) {
      this.push(chunk);
      done();
      return;
    }
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === this.keys[this.matched]) {
        if (this.matched === 0 && i > from) this.push(chunk.subarray(from, i));
        this.matched++;
        from = i + 1;
        if (this.matched === this.keys.length) {
          this.onDetach();
          done();
          return;
        }
      } else if (this.matched > 0) {
        // The sequence broke off: the bytes held back go to the container after all, and
        // this byte is looked at again as a possible start.
        this.push(Buffer.from(this.keys.subarray(0, this.matched)));
        this.matched = 0;
        from = i;
        i--;
      }
    }
    if (this.matched === 0 && from < chunk.length) this.push(chunk.subarray(from));
    done();
  }
}
