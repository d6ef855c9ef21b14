/**
 * The attach socket's framing (native/shim/PROTOCOL.md): an 8-byte header
 * [type][0][0][0][length u32 BE] then the payload — docker's stdcopy header.
 */
export const FrameType = {
  STDIN: 0,
  STDOUT: 1,
  STDERR: 2,
  HELLO: 10,
  START: 11,
  STDIN_CLOSE: 12,
  RESIZE: 13,
  STARTED: 20,
  EXIT: 21,
  ERROR: 22,
} as const;

export interface Frame {
  type: number;
  payload: Buffer;
}

export function encodeFrame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Incremental decoder: feed chunks, get whole frames. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= 8) {
      const len = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + len) break;
      frames.push({ type: this.pending.readUInt8(0), payload: this.pending.subarray(8, 8 + len) });
      this.pending = this.pending.subarray(8 + len);
    }
    return frames;
  }
}
