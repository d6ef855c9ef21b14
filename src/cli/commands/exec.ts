/**
 * `berth exec`: docker's flags into Engine.exec, then this process's stdio connected to the
 * new process (raw terminal and resizes for -t, stdin for -i, detach keys), or -d.
 */
import type { Writable } from 'node:stream';
import { defineFlags, type ParseResult } from '../flags.js';
import type { CommandContext } from '../context.js';
import { environment } from '../run-flags.js';
import { parseEnvArg } from '../units.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../detach-keys.js';
import type { ExecHandle } from '../../container/exec.js';
import { BerthError } from '../../errors.js';

export const execFlags = defineFlags([
  { long: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
  { long: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
  {
    long: 'env',
    short: 'e',
    type: 'stringArray',
    valueName: 'list',
    description: 'Set environment variables',
    validate: (v: string) => void parseEnvArg(v, {}),
  },
  { long: 'env-file', type: 'stringArray', valueName: 'list', description: 'Read in a file of environment variables' },
  { long: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { long: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
  { long: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { long: 'user', short: 'u', type: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
  { long: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
] as const);

export async function execCommand(ctx: CommandContext, parsed: ParseResult<typeof execFlags>): Promise<number> {
  const v = parsed.values;
  const [ref, ...cmd] = parsed.positionals as [string, ...string[]];
  const interactive = v.interactive && !v.detach;
  const keys = parseDetachKeys(v['detach-keys'] || DEFAULT_DETACH_KEYS);
  if (v.tty && interactive && process.stdin.isTTY !== true) throw new BerthError('InvalidArgument', 'the input device is not a TTY', { exitCode: 1 });
  let handle: ExecHandle;
  try {
    handle = await ctx.engine.exec(ref, {
      cmd,
      env: environment(v['env-file'], v.env, process.env),
      workingDir: v.workdir,
      user: v.user,
      privileged: v.privileged,
      tty: v.tty,
      attachStdin: interactive,
      detach: v.detach,
      detachKeys: v['detach-keys'],
      ...(v.tty && process.stdout.isTTY && process.stdout.rows ? { consoleSize: [process.stdout.rows, process.stdout.columns] as [number, number] } : {}),
    });
  } catch (err) {
    // docker's client exits 1 on the daemon's refusals; 126 and 127 say the command could not run.
    if (err instanceof BerthError && err.exitCode === 125) throw new BerthError(err.kind, err.message, { exitCode: 1, cause: err });
    throw err;
  }
  if (v.detach) return 0;
  return connect(handle, { tty: v.tty, stdin: interactive, keys });
}

/** This process's stdio to the exec's until it exits (its exit code) or the detach keys come (0). */
async function connect(handle: ExecHandle, o: { tty: boolean; stdin: boolean; keys: Buffer }): Promise<number> {
  const { stdin, stdout, stderr } = process;
  handle.stdout.pipe(stdout, { end: false });
  handle.stderr.pipe(stderr, { end: false });
  const restore: Array<() => void> = [];
  if (o.tty && stdin.isTTY && o.stdin) {
    stdin.setRawMode(true);
    restore.push(() => stdin.setRawMode(false));
  }
  if (o.tty && stdout.isTTY) {
    const onResize = (): void => handle.resize(stdout.rows, stdout.columns);
    stdout.on('resize', onResize);
    restore.push(() => stdout.off('resize', onResize));
  }
  const detached = new Promise<number>((resolve) => {
    if (!o.stdin) return;
    // As docker's daemon: the detach keys are looked for on a terminal's input only.
    const scanner = o.tty ? new DetachScanner(o.keys) : undefined;
    const input = handle.stdin as Writable;
    const onData = (chunk: Buffer): void => {
      const { pass, detach } = scanner ? scanner.push(chunk) : { pass: chunk, detach: false };
      if (pass.length > 0) input.write(pass);
      if (detach) {
        handle.detach();
        resolve(0);
      }
    };
    const onEnd = (): void => void input.end();
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    restore.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    });
  });
  try {
    return await Promise.race([
      handle.wait().then(async (code) => {
        await Promise.all([ended(handle.stdout), ended(handle.stderr)]);
        return code;
      }),
      detached,
    ]);
  } finally {
    for (const r of restore) r();
  }
}

function ended(s: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    if ((s as { readableEnded?: boolean }).readableEnded) return resolve();
    s.once('end', () => resolve());
    s.once('close', () => resolve());
  });
}
