/**
 * A CliIo over one client connection: what the command writes goes out as O and E frames,
 * stdin comes in as I frames once the command reads it (S asks the client to start), raw
 * mode is asked for with T, and W frames resize the caller's terminal.
 */
import type { Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import type { CliInput, CliIo, CliOutput } from '../context.js';
import { encodeFrame, MAX_DATA, type ClientRequest, type Frame } from './frames.js';

class RelayOutput extends Writable {
  isTTY: boolean;
  rows: number | undefined;
  columns: number | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly type: 'O' | 'E',
    tty: boolean,
    size?: { rows: number; columns: number },
  ) {
    super();
    this.isTTY = tty;
    this.rows = size?.rows || undefined;
    this.columns = size?.columns || undefined;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    for (let at = 0; at < chunk.length; at += MAX_DATA) {
      const last = at + MAX_DATA >= chunk.length;
      this.connection.send(this.type, chunk.subarray(at, at + MAX_DATA), last ? done : undefined);
    }
    if (chunk.length === 0) done();
  }
}

class RelayInput extends Readable {
  isTTY: boolean;
  private asked = false;

  constructor(
    private readonly connection: Connection,
    tty: boolean,
  ) {
    super();
    this.isTTY = tty;
  }

  override _read(): void {
    if (!this.asked) {
      this.asked = true;
      this.connection.send('S', Buffer.alloc(0));
    }
    this.connection.resume();
  }

  setRawMode(raw: boolean): this {
    this.connection.send('T', Buffer.from([raw ? 1 : 0]));
    return this;
  }

  /** An I frame: bytes, or the end of the caller's stdin when empty. */
  feed(data: Buffer): void {
    if (this.readableEnded || this.destroyed) return;
    if (data.length === 0) this.push(null);
    else if (!this.push(Buffer.from(data))) this.connection.pause();
  }
}

/** The socket side: frames out (dropped once the client has gone), flow control of frames in. */
export class Connection {
  private gone = false;

  constructor(private readonly socket: Socket) {
    socket.once('close', () => {
      this.gone = true;
    });
  }

  get closed(): boolean {
    return this.gone;
  }

  send(type: string, payload: Buffer, done?: () => void): void {
    if (this.gone || this.socket.destroyed) {
      // The caller went away (ctrl-c, a closed pipe): the command's output has no reader.
      done?.();
      return;
    }
    this.socket.write(encodeFrame(type, payload), () => done?.());
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }
}

export class RelayIo {
  readonly io: CliIo;
  private readonly stdin: RelayInput;
  private readonly stdout: RelayOutput;
  private readonly stderr: RelayOutput;

  constructor(connection: Connection, request: ClientRequest) {
    const size = { rows: request.rows, columns: request.columns };
    this.stdin = new RelayInput(connection, request.stdinTTY);
    this.stdout = new RelayOutput(connection, 'O', request.stdoutTTY, size);
    this.stderr = new RelayOutput(connection, 'E', request.stderrTTY);
    this.io = {
      stdin: this.stdin satisfies CliInput,
      stdout: this.stdout satisfies CliOutput,
      stderr: this.stderr satisfies CliOutput,
      env: request.env,
      cwd: request.cwd,
    };
  }

  /** A frame from the client after its request. */
  received(frame: Frame): void {
    if (frame.type === 'I') this.stdin.feed(frame.payload);
    else if (frame.type === 'W' && frame.payload.length === 4) {
      this.stdout.rows = frame.payload.readUInt16BE(0);
      this.stdout.columns = frame.payload.readUInt16BE(2);
      this.stdout.emit('resize');
    }
  }

  /** The client has gone: its stdin ends, so a command reading it finishes. */
  hungUp(): void {
    this.stdin.feed(Buffer.alloc(0));
  }

  /** Resolves when everything the command wrote has gone to the socket. */
  async flushed(): Promise<void> {
    await Promise.all([this.stdout, this.stderr].map((s) => new Promise<void>((resolve) => s.end(resolve))));
  }
}
