/**
 * `docker exec`: a new process in a running container, supervised by its own berth-shim in
 * exec mode. Each exec keeps a small record (docker's ExecInspect fields) under the
 * container's dir, so the Engine API's exec create/start/inspect can be served from it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { z } from 'zod';
import type { ContainerRecord } from './record.js';
import { AttachSession } from '../runtime/attach.js';
import { encodeExecSpec } from '../runtime/exec-spec.js';
import { startShimWith } from '../runtime/supervisor.js';
import { processEnv, mergeEnv } from '../runtime/container-spec.js';
import { readExitRecord } from '../runtime/exit-record.js';
import { identify, isAlive } from '../runtime/process-identity.js';
import { readJsonFile, writeFileAtomicSync } from '../util/atomic-file.js';
import { BerthError, CommandNotRunnableError, ConflictError, InvalidArgumentError, NotFoundError } from '../errors.js';

export const execOptionsSchema = z.object({
  /** The command and its arguments; the first is looked up in the container's PATH. */
  cmd: z.array(z.string()).min(1, 'No exec command specified'),
  /** K=V (merged by key over the container's environment). */
  env: z.array(z.string().regex(/^[^=]+=/, 'env entries must be KEY=VALUE')).default([]),
  /** Absolute; default the container's working dir. */
  workingDir: z.string().refine((d) => d === '' || d.startsWith('/'), 'the working directory must be an absolute path').default(''),
  /** docker's -u forms (name, uid, name:group, uid:gid); default the container's user. */
  user: z.string().default(''),
  privileged: z.boolean().default(false),
  tty: z.boolean().default(false),
  /** Give the process a stdin pipe (or the pty's input) fed through ExecHandle.stdin. */
  attachStdin: z.boolean().default(false),
  attachStdout: z.boolean().default(true),
  attachStderr: z.boolean().default(true),
  /** Start and return at once; the process runs on, its output discarded. */
  detach: z.boolean().default(false),
  /** [rows, cols] of the pty at start. */
  consoleSize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  /** Kept in the record as docker keeps them; the front end that reads stdin acts on them. */
  detachKeys: z.string().default(''),
});
export type ExecOptions = z.input<typeof execOptionsSchema>;

const identity = z.object({ pid: z.number().int(), startTime: z.number() });

/** What is stored per exec: docker's ExecInspect fields that do not change, plus the supervisor's identity. */
const execRecordSchema = z.object({
  ID: z.string().regex(/^[0-9a-f]{64}$/),
  ContainerID: z.string(),
  ProcessConfig: z.object({
    entrypoint: z.string(),
    arguments: z.array(z.string()),
    tty: z.boolean(),
    user: z.string(),
    privileged: z.boolean(),
  }),
  OpenStdin: z.boolean(),
  OpenStdout: z.boolean(),
  OpenStderr: z.boolean(),
  DetachKeys: z.string(),
  Pid: z.number().int(),
  /** Set when the process never ran (setup failed): its exit code. */
  FailedExitCode: z.number().int().nullable(),
  shim: identity.nullable(),
});
type ExecRecord = z.infer<typeof execRecordSchema>;

/** docker's ExecInspect. */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  /** null while it runs, as docker shows it. */
  ExitCode: number | null;
  ProcessConfig: ExecRecord['ProcessConfig'];
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}

export interface ExecHandle {
  id: string;
  stdout: Readable;
  stderr: Readable;
  /** The process's stdin when attachStdin was asked; end() sends EOF (a pty gets none). */
  stdin: NodeJS.WritableStream;
  /** Changes the pty's size (tty execs). */
  resize(rows: number, cols: number): void;
  /** Resolves with the exit code once the process has exited. */
  wait(): Promise<number>;
  /** Drops the connection; the process runs on. */
  detach(): void;
}

/** What an exec needs from the engine: where things live and the container's policy. */
export interface ExecContext {
  containerDir(id: string): string;
  socketPath(execId: string): string;
  /** The container's capability set, or every capability the host gives for --privileged. */
  capabilities(rec: ContainerRecord, privileged: boolean): Promise<string[]>;
  cgroupJoinFiles(rec: ContainerRecord): { procs: string[]; tasks: string[] };
}

/** docker's wording for a process that could not be started in the container. */
function execFailure(err: unknown): unknown {
  if (err instanceof CommandNotRunnableError) {
    return new CommandNotRunnableError(
      `OCI runtime exec failed: exec failed: unable to start container process: ${err.message}`,
      err.exitCode === 127 ? 127 : 126,
    );
  }
  if (err instanceof BerthError && err.exitCode === 125) return new BerthError('Internal', err.message, { exitCode: 126 });
  return err;
}

export class Execs {
  constructor(private readonly ctx: ExecContext) {}

  private dir(containerId: string, execId: string): string {
    return path.join(this.ctx.containerDir(containerId), 'execs', execId);
  }

  /** Checks the container can take an exec, starts the process, and connects to it. */
  async start(rec: ContainerRecord, options: ExecOptions): Promise<ExecHandle> {
    const parsed = execOptionsSchema.safeParse(options);
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'invalid exec options');
    const o = parsed.data;
    if (rec.State.Paused) throw new ConflictError(`Container ${rec.Id} is paused, unpause the container before exec`);
    const proc = rec.Runtime.process;
    // The recorded process must still be the one berth started: a recycled pid is someone else's namespaces.
    if (!rec.State.Running || !proc || !isAlive(proc)) throw new ConflictError(`Container ${rec.Id} is not running`);

    const id = randomBytes(32).toString('hex');
    const dir = this.dir(rec.Id, id);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const socket = this.ctx.socketPath(id);
    mkdirSync(path.dirname(socket), { recursive: true, mode: 0o700 });
    const record: ExecRecord = {
      ID: id,
      ContainerID: rec.Id,
      ProcessConfig: {
        entrypoint: o.cmd[0]!,
        arguments: o.cmd.slice(1),
        tty: o.tty,
        user: o.user,
        privileged: o.privileged,
      },
      OpenStdin: o.attachStdin,
      OpenStdout: o.attachStdout,
      OpenStderr: o.attachStderr,
      DetachKeys: o.detachKeys,
      Pid: 0,
      FailedExitCode: null,
      shim: null,
    };
    // Not fsynced: exec records do not outlive the container's run (a start clears them), so a power loss takes them anyway.
    const save = (): void => writeFileAtomicSync(path.join(dir, 'exec.json'), JSON.stringify(record), 0o600, { durability: 'none' });
    const spec = encodeExecSpec({
      containerPid: proc.pid,
      containerStartTime: proc.startTime,
      args: o.cmd,
      // docker's daemon environment follows the exec's tty (TERM), then the container's env, then -e.
      env: mergeEnv(processEnv({ ...rec, Config: { ...rec.Config, Tty: o.tty } }), o.env),
      cwd: o.workingDir || rec.Config.WorkingDir || '/',
      user: o.user || rec.Config.User,
      capabilities: await this.ctx.capabilities(rec, o.privileged),
      noNewPrivileges: !rec.HostConfig.Privileged,
      ...(() => {
        const files = this.ctx.cgroupJoinFiles(rec);
        return { cgroupProcs: files.procs, cgroupTasks: files.tasks };
      })(),
      tty: o.tty,
      ...(o.consoleSize ? { consoleSize: o.consoleSize } : {}),
      stdin: o.attachStdin,
      exitFile: path.join(dir, 'exit.json'),
      socket,
    });
    let started;
    try {
      started = await startShimWith(path.join(dir, 'spec'), spec);
    } catch (err) {
      const shown = execFailure(err);
      record.FailedExitCode = shown instanceof BerthError ? shown.exitCode : 126;
      save();
      throw shown;
    }
    record.Pid = started.containerPid;
    record.shim = identify(started.shimPid) ?? { pid: started.shimPid, startTime: 0 };
    save();

    let session: AttachSession | undefined;
    try {
      session = await AttachSession.connect(socket, {
        stdout: !o.detach && o.attachStdout,
        stderr: !o.detach && o.attachStderr,
        stdin: !o.detach && o.attachStdin,
      });
      await session.start();
    } catch (err) {
      session?.close();
      // A process still waiting for START would wait for ever: end it, and its supervisor with it.
      const waiting = identify(started.containerPid);
      if (waiting && !(err instanceof CommandNotRunnableError)) process.kill(waiting.pid, 'SIGKILL');
      throw execFailure(err);
    }
    if (o.detach) {
      session.close();
      const none = (): PassThrough => {
        const s = new PassThrough();
        s.end();
        return s;
      };
      return {
        id,
        stdout: none(),
        stderr: none(),
        stdin: none(),
        resize: () => undefined,
        wait: () => this.wait(rec.Id, id),
        detach: () => undefined,
      };
    }
    let detached = false;
    return {
      id,
      stdout: session.stdout,
      stderr: session.stderr,
      stdin: session.stdin,
      resize: (rows, cols) => session.resize(rows, cols),
      wait: async () => {
        try {
          return (await session.exited).exitCode;
        } catch (err) {
          if (detached) throw err;
          // The supervisor went away without EXIT: the record says what is known.
          return this.wait(rec.Id, id);
        }
      },
      detach: () => {
        detached = true;
        session.close();
      },
    };
  }

  /** Waits for an exec's process to exit, through its socket while it runs. */
  async wait(containerId: string, execId: string): Promise<number> {
    for (;;) {
      const info = await this.inspectIn(containerId, execId);
      if (!info.Running) return info.ExitCode ?? 255;
      try {
        const session = await AttachSession.connect(this.ctx.socketPath(execId), { stdout: false, stderr: false, stdin: false });
        try {
          return (await session.exited).exitCode;
        } finally {
          session.close();
        }
      } catch {
        // The socket goes just before the exit is final: look again shortly.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** docker's exec inspect, found by exec id among the given containers. */
  async inspect(containerIds: readonly string[], execId: string): Promise<ExecInspect> {
    if (/^[0-9a-f]{64}$/.test(execId)) {
      for (const cid of containerIds) if (existsSync(this.dir(cid, execId))) return this.inspectIn(cid, execId);
    }
    throw new NotFoundError(`No such exec instance: ${execId}`);
  }

  private async inspectIn(containerId: string, execId: string): Promise<ExecInspect> {
    const dir = this.dir(containerId, execId);
    const rec = await readJsonFile(path.join(dir, 'exec.json'), execRecordSchema);
    if (!rec) throw new NotFoundError(`No such exec instance: ${execId}`);
    const exit = readExitRecord(path.join(dir, 'exit.json'));
    const running = !exit && rec.FailedExitCode === null && rec.shim !== null && isAlive(rec.shim);
    const { FailedExitCode, shim: _shim, ...shown } = rec;
    return {
      ...shown,
      Running: running,
      ExitCode: exit ? exit.exitCode : FailedExitCode ?? (running || !rec.shim ? null : 255),
      CanRemove: false,
    };
  }
}
