/** Commands over existing containers: ps, rm, kill, wait, start, inspect. */
import type { CommandContext } from '../context.js';
import { attachTerminal } from './run.js';
import { InvalidArgumentError, errorMessage } from '../../errors.js';

/** Runs fn for each named container, printing docker's per-container errors; 1 if any failed. */
async function eachContainer(ctx: CommandContext, refs: string[], fn: (ref: string) => Promise<string | undefined>): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      const line = await fn(ref);
      if (line !== undefined) ctx.out(`${line}\n`);
    } catch (err) {
      ctx.err(`Error response from daemon: ${errorMessage(err)}\n`);
      code = 1;
    }
  }
  return code;
}

export function rmCommand(ctx: CommandContext, refs: string[], force: boolean): Promise<number> {
  return eachContainer(ctx, refs, async (ref) => {
    await ctx.engine.remove(ref, { force });
    return ref;
  });
}

export function killCommand(ctx: CommandContext, refs: string[], rawSignal: string): Promise<number> {
  const signal = parseSignal(rawSignal);
  return eachContainer(ctx, refs, async (ref) => {
    await ctx.engine.kill(ref, signal);
    return ref;
  });
}

export function waitCommand(ctx: CommandContext, refs: string[]): Promise<number> {
  return eachContainer(ctx, refs, async (ref) => String(await ctx.engine.wait(ref)));
}

export async function startCommand(ctx: CommandContext, refs: string[], o: { attach: boolean; interactive: boolean }): Promise<number> {
  const { attach, interactive } = o;
  if (!attach && !interactive) {
    return eachContainer(ctx, refs, async (ref) => {
      await ctx.engine.start(ref);
      return ref;
    });
  }
  if (refs.length > 1) throw new InvalidArgumentError('you cannot start and attach multiple containers at once');
  const ref = refs[0]!;
  const handle = await ctx.engine.startAttached(ref, { stdin: interactive });
  const rec = await ctx.engine.inspect(handle.id);
  return attachTerminal(ctx.engine, handle, { tty: rec.Config.Tty, stdin: interactive && rec.Config.OpenStdin });
}

export async function cleanupCommand(ctx: CommandContext, ids: string[]): Promise<number> {
  for (const id of ids) await ctx.engine.cleanupAfterExit(id);
  return 0;
}

export function parseSignal(raw: string): NodeJS.Signals | number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const name = raw.toUpperCase().startsWith('SIG') ? raw.toUpperCase() : `SIG${raw.toUpperCase()}`;
  const known = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS'];
  if (!known.includes(name)) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  return name as NodeJS.Signals;
}

