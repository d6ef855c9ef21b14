/**
 * A client of a container's attach socket: sends HELLO, optionally START, and
 * turns the shim's frames into stdout/stderr streams and an exit promise.
 */
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { FrameDecoder, FrameType, encodeFrame } from './frames.js';
import { CommandNotRunnableError, InternalError, UnavailableError } from '../errors.js';

export interface AttachStreams {
  stdout: boolean;
  stderr: boolean;
  stdin: boolean;
  /** This client cleans up after the exit itself, so the supervisor need not start a process for it. */
  cleanup?: boolean;
}

export interface ExitInfo {
  exitCode: number;
}

export class AttachSession {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  /** Bytes written here go to the container's stdin; end() closes it. */
  readonly stdin: Writable;
  /** Resolves when the container has exited and the engine's cleanup has run. */
  readonly exited: Promise<ExitInfo>;
  private readonly socket: net.Socket;
  private startedResolve?: (pid: number) => void;
  private startedReject?: (err: Error) => void;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    const decoder = new FrameDecoder();
    let resolveExit!: (e: ExitInfo) => void;
    let rejectExit!: (e: Error) => void;
    this.exited = new Promise<ExitInfo>((res, rej) => {
      resolveExit = res;
      rejectExit = rej;
    });
    // The exit promise is often awaited only later; keep a rejection from being "unhandled" meanwhile.
    this.exited.catch(() => undefined);
    let gotExit = false;
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) {
        switch (f.type) {
          case FrameType.STDOUT:
            this.stdout.write(f.payload);
            break;
          case FrameType.STDERR:
            this.stderr.write(f.payload);
            break;
          case FrameType.STARTED:
            this.startedResolve?.(Number(f.payload.toString('utf8')));
            break;
          case FrameType.ERROR: {
            const text = f.payload.toString('utf8');
            const space = text.indexOf(' ');
            const code = Number(text.slice(0, space));
            const message = text.slice(space + 1);
            const err =
              code === 126 || code === 127 ? new CommandNotRunnableError(message, code) : new InternalError(message);
            this.startedReject?.(err);
            break;
          }
          case FrameType.EXIT:
            gotExit = true;
            resolveExit({ exitCode: Number(f.payload.toString('utf8')) });
            break;
        }
      }
    });
    socket.on('close', () => {
      this.stdout.end();
      this.stderr.end();
      if (!gotExit) rejectExit(new UnavailableError('lost the connection to the container supervisor'));
      this.startedReject?.(new UnavailableError('the container supervisor closed the connection'));
    });
    socket.on('error', () => undefined);
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (socket.destroyed) return cb();
        socket.write(encodeFrame(FrameType.STDIN, chunk), () => cb());
      },
      final: (cb) => {
        if (!socket.destroyed) socket.write(encodeFrame(FrameType.STDIN_CLOSE));
        cb();
      },
    });
  }

  static connect(socketPath: string, want: AttachStreams): Promise<AttachSession> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      const onError = (err: Error): void => {
        reject(new UnavailableError(`cannot attach to the container: ${err.message}`));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        const words = (['stdout', 'stderr', 'stdin', 'cleanup'] as const).filter((k) => want[k]);
        socket.write(encodeFrame(FrameType.HELLO, words.join(' ')));
        resolve(new AttachSession(socket));
      });
    });
  }

  /** Lets the container's process execve; resolves with its host pid. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.startedResolve = resolve;
      this.startedReject = reject;
      this.socket.write(encodeFrame(FrameType.START));
    });
  }

  resize(rows: number, cols: number): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(FrameType.RESIZE, `${rows} ${cols}`));
  }

  close(): void {
    this.socket.destroy();
  }
}
