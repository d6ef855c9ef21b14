/**
 * `berth run` and `berth create`: docker's flags into the Engine's options; run
 * then attaches the terminal or pipes, or prints the id and returns (-d).
 */
import type { Engine, RunHandle } from '../../engine.js';
import type { CreateOptions } from '../../container/options.js';
import type { CliIo, CliOutput, CommandContext } from '../context.js';
import { toCreateOptions, type createFlags, type runFlags } from '../run-flags.js';
import type { ParseResult } from '../flags.js';
import { pullPrinter } from '../pull-progress.js';
import { DEFAULT_DETACH_KEYS, DetachKeyFilter, parseDetachKeys } from '../detach-keys.js';

export async function runCommand(ctx: CommandContext, parsed: ParseResult<typeof runFlags>): Promise<number> {
  const { engine } = ctx;
  const detach = parsed.values.detach;
  const opts = toCreateOptions(parsed, parsed.positionals, ctx.io.env, 'run');
  if (opts.tty && !detach && ctx.io.stdin.isTTY !== true && opts.openStdin) {
    throw new Error('the input device is not a TTY');
  }
  withTerminalSize(opts, ctx.io.stdout);
  // A missing image is pulled first, with its progress on stderr as docker shows it.
  const hooks = { onPull: pullPrinter(ctx.err, { terminal: ctx.io.stderr.isTTY === true }) };
  if (detach) {
    const rec = await engine.create(opts, hooks);
    await engine.start(rec.Id);
    ctx.out(`${rec.Id}\n`);
    return 0;
  }
  // Checked before the container starts, so a bad value leaves nothing running.
  const detachKeys = parseDetachKeys(parsed.values['detach-keys'] || DEFAULT_DETACH_KEYS);
  const handle = await engine.run(opts, hooks);
  return attachTerminal(ctx.io, engine, handle, { tty: opts.tty === true, stdin: opts.openStdin === true, detachKeys });
}

export async function createCommand(ctx: CommandContext, parsed: ParseResult<typeof createFlags>): Promise<number> {
  const opts = toCreateOptions(parsed, parsed.positionals, ctx.io.env, 'create');
  withTerminalSize(opts, ctx.io.stdout);
  const rec = await ctx.engine.create(opts, { onPull: pullPrinter(ctx.err, { terminal: ctx.io.stderr.isTTY === true }) });
  ctx.out(`${rec.Id}\n`);
  return 0;
}

/** A tty container starts with this terminal's size, as docker's client sends it. */
function withTerminalSize(opts: CreateOptions, stdout: CliOutput): void {
  const size = terminalSize(stdout);
  if (opts.tty && size) opts.consoleSize = size;
}

/** The size of the caller's terminal on stdout, as [rows, columns]; undefined when it is none. */
export function terminalSize(stdout: CliOutput): [number, number] | undefined {
  return stdout.isTTY && stdout.rows && stdout.columns ? [stdout.rows, stdout.columns] : undefined;
}

/**
 * Connects the caller's stdio to a running container until it exits (its exit code) or the
 * detach keys come on stdin (0, the container left running): raw terminal and resizes for -t,
 * stdin for -i, signals proxied otherwise (unless sigProxy is false).
 */
export async function attachTerminal(
  io: CliIo,
  engine: Engine,
  handle: RunHandle,
  opts: { tty: boolean; stdin: boolean; detachKeys: Buffer; sigProxy?: boolean },
): Promise<number> {
  const { stdin, stdout, stderr, signals } = io;
  handle.stdout.pipe(stdout, { end: false });
  handle.stderr.pipe(stderr, { end: false });
  const restore: Array<() => void> = [];
  // As docker's client: the terminal goes raw only when its input goes to the container.
  if (opts.tty && opts.stdin && stdin.isTTY && stdin.setRawMode) {
    stdin.setRawMode(true);
    restore.push(() => stdin.setRawMode?.(false));
  }
  if (opts.tty && stdout.isTTY) {
    const onResize = (): void => {
      const size = terminalSize(stdout);
      if (size) handle.resize(...size);
    };
    stdout.on('resize', onResize);
    restore.push(() => stdout.off('resize', onResize));
  }
  let detach!: () => void;
  const detached = new Promise<'detached'>((resolve) => {
    detach = () => resolve('detached');
  });
  if (opts.stdin && opts.tty) {
    // As docker's daemon: the detach keys are looked for on a terminal's input only.
    const keys = new DetachKeyFilter(opts.detachKeys, detach);
    stdin.pipe(keys).pipe(handle.stdin as NodeJS.WritableStream);
    restore.push(() => {
      stdin.unpipe();
      keys.unpipe();
      stdin.pause();
    });
  } else if (opts.stdin) {
    stdin.pipe(handle.stdin as NodeJS.WritableStream);
    restore.push(() => {
      stdin.unpipe();
      stdin.pause();
    });
  }
  if (!opts.tty && opts.sigProxy !== false && signals) {
    // docker's sig-proxy: signals to the client go to the container's process.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) {
      const onSignal = (): void => {
        engine.kill(handle.id, sig).catch(() => undefined);
      };
      signals.on(sig, onSignal);
      restore.push(() => signals.off(sig, onSignal));
    }
  }
  try {
    const outcome = await Promise.race([handle.wait(), detached]);
    if (outcome === 'detached') {
      handle.detach();
      return 0;
    }
    await Promise.all([drained(handle.stdout), drained(handle.stderr)]);
    return outcome.exitCode;
  } finally {
    for (const r of restore) r();
  }
}

function drained(s: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    if ((s as { readableEnded?: boolean }).readableEnded) return resolve();
    s.once('end', () => resolve());
    s.once('close', () => resolve());
  });
}
