/**
 * Frames of the berth service protocol (native/client/PROTOCOL.md): a type byte, a 32-bit
 * big-endian length and the payload, both ways over the service's unix socket.
 */

/** A payload may be at most this long; longer means the peer is not a berth client. */
export const MAX_PAYLOAD = 1024 * 1024;
/** Data frames (stdout, stderr) carry at most this much each. */
export const MAX_DATA = 64 * 1024;

export interface Frame {
  type: string;
  payload: Buffer;
}

export function encodeFrame(type: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 1, 'latin1');
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

export class FrameError extends Error {}

/** Cuts a byte stream into frames; frames may arrive split at any byte. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  /** The frames that the bytes received so far complete. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt32BE(1);
      if (length > MAX_PAYLOAD) throw new FrameError(`a frame of ${length} bytes is more than a berth client sends`);
      if (this.pending.length < 5 + length) break;
      frames.push({ type: String.fromCharCode(this.pending[0]!), payload: this.pending.subarray(5, 5 + length) });
      this.pending = this.pending.subarray(5 + length);
    }
    return frames;
  }
}

/** What the client's R frame says about the command it hands over. */
export interface ClientRequest {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdinTTY: boolean;
  stdoutTTY: boolean;
  stderrTTY: boolean;
  /** The terminal on stdout: rows and columns, 0 when it is none. */
  rows: number;
  columns: number;
}

/** Decodes an R frame's payload: flags, rows, columns, argv, environment and working directory. */
export function decodeRequest(payload: Buffer): ClientRequest {
  let at = 0;
  const need = (n: number): void => {
    if (at + n > payload.length) throw new FrameError('the request ends early');
  };
  const u32 = (): number => {
    need(4);
    const v = payload.readUInt32BE(at);
    at += 4;
    return v;
  };
  const u16 = (): number => {
    need(2);
    const v = payload.readUInt16BE(at);
    at += 2;
    return v;
  };
  const str = (): string => {
    const end = payload.indexOf(0, at);
    if (end < 0) throw new FrameError('a string in the request has no end');
    const v = payload.toString('utf8', at, end);
    at = end + 1;
    return v;
  };
  const strings = (): string[] => {
    const n = u32();
    // Every string takes at least its NUL: a count beyond that is a lie, not an allocation to make.
    if (n > payload.length - at) throw new FrameError('the request counts more strings than it holds');
    return Array.from({ length: n }, str);
  };
  const flags = u32();
  const rows = u16();
  const columns = u16();
  const argv = strings();
  const env: NodeJS.ProcessEnv = {};
  for (const entry of strings()) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  const cwd = str();
  if (at !== payload.length) throw new FrameError('the request has bytes after its end');
  return { argv, env, cwd, stdinTTY: (flags & 1) !== 0, stdoutTTY: (flags & 2) !== 0, stderrTTY: (flags & 4) !== 0, rows, columns };
}
