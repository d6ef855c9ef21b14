/**
 * The berth service: a warm process, with the CLI loaded and one Engine open, that does the
 * work of the commands berth-client hands it over RUNROOT/cli.sock (PROTOCOL.md in
 * native/client). Commands that are not `served` (commands/index.ts), or whose caller runs
 * with other settings than the service, are handed back: the client runs them itself.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { engineSettings, type Engine } from '../../engine.js';
import { resolveConfigDir } from '../../image/registry/credentials.js';
import { engineOptions, resolveInvocation, runInvocation, type Invocation } from '../main.js';
import { decodeRequest, encodeFrame, FrameError, FrameReader, type ClientRequest, type Frame } from './frames.js';
import { Connection, RelayIo } from './relay-io.js';
import { UnavailableError } from '../../errors.js';
import { identify } from '../../runtime/process-identity.js';

/** Why the service hands a command back (logged at debug), or undefined when it does the command itself. */
function handBackReason(engine: Engine, inv: Invocation | undefined, request: ClientRequest): string | undefined {
  if (!inv) return 'help, version or a usage error: printed by the CLI';
  const served = inv.command.served;
  if (served === undefined || served === false || (typeof served === 'function' && !served(inv.parsed))) return `${inv.name} is not served`;
  // The command's log lines would go to the service's stderr, not the caller's.
  if (inv.globals['log-level'] || request.env['BERTH_LOG_LEVEL']) return 'a log level is set';
  const wanted = engineSettings(engineOptions(inv.globals), request.env, request.cwd);
  if (JSON.stringify(wanted) !== JSON.stringify(engine.settings)) return 'another root or other engine settings';
  return undefined;
}

async function handle(engine: Engine, socket: Socket, running: Set<Promise<void>>): Promise<void> {
  const connection = new Connection(socket);
  const reader = new FrameReader();
  // The relay once the command runs; before that, frames that follow the request (a resize).
  const state: { relay?: RelayIo; early?: Frame[] } = {};
  const request = new Promise<ClientRequest>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of reader.push(chunk)) {
          if (state.relay) state.relay.received(frame);
          else if (state.early) state.early.push(frame);
          else if (frame.type === 'R') {
            state.early = [];
            resolve(decodeRequest(frame.payload));
          } else throw new FrameError(`the first frame is ${JSON.stringify(frame.type)}, not a request`);
        }
      } catch (err) {
        reject(err);
        socket.destroy();
      }
    });
    socket.once('close', () => {
      state.relay?.hungUp();
      reject(new FrameError('the client went away before its request'));
    });
  });
  socket.on('error', () => undefined);
  let req: ClientRequest;
  try {
    req = await request;
  } catch {
    return;
  }
  const inv = resolveInvocation(req.argv);
  const handBack = handBackReason(engine, inv, req);
  if (handBack !== undefined) {
    // The command's name only: its arguments may hold a password (login -p) or an env value.
    engine.logger.debug({ command: inv?.name, reason: handBack }, 'berth service: handed back');
    socket.end(encodeFrame('F'));
    return;
  }
  const relay = new RelayIo(connection, req);
  state.relay = relay;
  for (const frame of state.early ?? []) relay.received(frame);
  const { io } = relay;
  const out = (text: string): void => void io.stdout.write(text);
  const err = (text: string): void => void io.stderr.write(text);
  const configDir = resolveConfigDir(inv!.globals.config || undefined, req.env);
  const work = runInvocation(inv!, { engine, io, out, err, configDir }).then(async (code) => {
    await relay.flushed();
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(code & 0xff);
    if (!connection.closed) socket.end(encodeFrame('X', payload));
  });
  running.add(work);
  try {
    await work;
  } finally {
    running.delete(work);
  }
}

/** Whether something answers on path: a live service, or a socket file a dead one left. */
function answers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes the temporary sockets (`cli.sock.PID`) of services killed before they took the real name. */
function removeDeadTemporaries(runRoot: string): void {
  for (const name of readdirSync(runRoot)) {
    const m = /^cli\.sock\.(\d+)$/.exec(name);
    // A pid taken again by another process only keeps a dead file a while longer.
    if (m && identify(Number(m[1])) === undefined) unlinkSync(path.join(runRoot, name));
  }
}

export interface RunningService {
  socketPath: string;
  /** Stops taking commands, removes the socket and waits for the commands under way. */
  close(): Promise<void>;
}

/** Serves the engine's commands on RUNROOT/cli.sock until closed. */
export async function startService(engine: Engine): Promise<RunningService> {
  const socketPath = path.join(engine.paths.runRoot, 'cli.sock');
  if (await answers(socketPath)) throw new UnavailableError(`a berth service already runs on ${socketPath}`);
  mkdirSync(engine.paths.runRoot, { recursive: true, mode: 0o700 });
  removeDeadTemporaries(engine.paths.runRoot);
  const running = new Set<Promise<void>>();
  const server: Server = createServer((socket) => {
    handle(engine, socket, running).catch((err: unknown) => {
      engine.logger.error({ err }, 'berth service: a command failed outside its own error handling');
      socket.destroy();
    });
  });
  // Bound under a temporary name and made 0600 before it takes its real one: the socket runs
  // berth commands as root, so no moment may exist where others could connect.
  const temporary = `${socketPath}.${process.pid}`;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(temporary, () => resolve());
  });
  chmodSync(temporary, 0o600);
  renameSync(temporary, socketPath);
  const ino = lstatSync(socketPath).ino;
  return {
    socketPath,
    async close(): Promise<void> {
      // The name goes first, so a new command runs itself at once instead of waiting here.
      try {
        // Only our own socket: a later service may have taken the name.
        if (lstatSync(socketPath).ino === ino) unlinkSync(socketPath);
      } catch {
        // already gone
      }
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.allSettled([...running]);
      await closed;
    },
  };
}
