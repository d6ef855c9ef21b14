/**
 * Pull-based reading of exact byte counts from a stream of chunks: a tar parser
 * needs "the next 512 bytes" and "the next N body bytes", not arbitrary chunks.
 */
export class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** Bytes handed out (read or skipped) so far: the offset used in error messages. */
  position = 0;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.source.next();
    if (r.done === true) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  /** Exactly n bytes, or fewer only when the input ends first. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n) {
      if (!(await this.pull())) break;
    }
    const want = Math.min(n, this.buffered);
    const out = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      const piece = this.takeFirst(want - filled);
      piece.copy(out, filled);
      filled += piece.length;
    }
    return out;
  }

  /** The next piece of at most n bytes, without copying; empty only at the end of input. */
  async readSome(n: number): Promise<Buffer> {
    while (this.buffered === 0) {
      if (!(await this.pull())) return Buffer.alloc(0);
    }
    return this.takeFirst(n);
  }

  /** Skips n bytes; returns how many there were. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const piece = await this.readSome(left);
      if (piece.length === 0) break;
      left -= piece.length;
    }
    return n - left;
  }

  /** Consumes the rest of the input (a digest covers every byte, trailing padding too). */
  async drain(): Promise<void> {
    for (;;) {
      const piece = await this.readSome(Number.MAX_SAFE_INTEGER);
      if (piece.length === 0) return;
    }
  }

  /** Stops the source early (closing a file or socket behind it). */
  async close(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (!this.ended) {
      this.ended = true;
      await this.source.return?.();
    }
  }

  private takeFirst(n: number): Buffer {
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    let piece: Buffer;
    if (first.length <= n) {
      this.chunks.shift();
      piece = first;
    } else {
      this.chunks[0] = first.subarray(n);
      piece = first.subarray(0, n);
    }
    this.buffered -= piece.length;
    this.position += piece.length;
    return piece;
  }
}
