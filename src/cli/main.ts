/**
 * The `berth` command: global options, then a command from the table, whose
 * handler calls the Engine. Errors become one line on stderr and docker's exit codes.
 */
import { Engine, type EngineOptions } from '../engine.js';
import { createLogger } from '../logger.js';
import { BerthError, errorMessage } from '../errors.js';
import { defineFlags, FlagError, parseFlags, type FlagSpec, type ParseResult } from './flags.js';
import { renderCommandHelp, renderRootHelp } from './help.js';
import { COMMANDS, findCommand, type Command } from './commands/index.js';
import { processIo, type CliIo, type CommandContext } from './context.js';
import { packageVersion } from '../package-root.js';
import { resolveConfigDir } from '../image/registry/credentials.js';

// native/client/service_socket.c knows which of these take a value, to find --run-root: keep it in step.
const globalFlags = defineFlags([
  { long: 'root', type: 'string', valueName: 'string', description: 'Root of berth\'s state (default "/var/lib/berth", env BERTH_ROOT)' },
  { long: 'run-root', type: 'string', valueName: 'string', description: 'Runtime directory for sockets (default "/run/berth", env BERTH_RUN_ROOT)' },
  { long: 'cgroup-parent', type: 'string', valueName: 'string', description: "Parent cgroup for containers (default: berth below berth's own cgroup, env BERTH_CGROUP_PARENT)" },
  { long: 'config', type: 'string', valueName: 'string', description: 'Location of client config files (default "~/.berth", env BERTH_CONFIG)' },
  { long: 'log-level', short: 'l', type: 'string', valueName: 'string', description: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "warn")' },
  { long: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
] as const);

const DESCRIPTION = 'A container engine for Linux: docker\'s commands, as a Node library, CLI and daemon';

function rootHelp(columns: number): string {
  const shown = COMMANDS.filter((c) => !c.hidden);
  return renderRootHelp(
    {
      path: 'berth',
      description: DESCRIPTION,
      commands: shown.map((c) => ({ name: c.names[0]!, description: c.description })),
      globalFlags,
    },
    { columns },
  );
}

/** docker's management commands: `berth network` alone lists what it takes. */
const GROUPS: Readonly<Record<string, string>> = {
  container: 'Manage containers',
  image: 'Manage images',
  network: 'Manage networks',
  system: 'Manage berth',
  volume: 'Manage volumes',
};

/** The commands reachable as `berth GROUP NAME` (a primary name or an alias such as `image ls`), by that name. */
function groupMembers(group: string): Array<{ name: string; description: string }> {
  const out: Array<{ name: string; description: string }> = [];
  for (const c of COMMANDS) {
    const n = c.hidden ? undefined : c.names.find((x) => x.startsWith(`${group} `));
    if (n !== undefined) out.push({ name: n.slice(group.length + 1), description: c.description });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function groupHelp(group: string, members: ReadonlyArray<{ name: string; description: string }>, columns: number): string {
  return renderRootHelp(
    {
      path: `berth ${group}`,
      description: GROUPS[group] ?? '',
      commands: members,
      globalFlags: [],
    },
    { columns },
  );
}

/**
 * What the usage line says after the command's name: the usage starts with that name, one
 * word (`ps`) or two (`volume ls`), and a command that takes nothing (`system df`) has no more.
 */
function usageArguments(c: Command): string {
  const own = c.names[0]!;
  if (c.usage === own) return '';
  return c.usage.slice(c.usage.startsWith(`${own} `) ? own.length + 1 : c.usage.indexOf(' ') + 1);
}

function commandHelp(c: Command, name: string, columns: number): string {
  return renderCommandHelp(
    {
      path: `berth ${name}`,
      usage: usageArguments(c),
      description: c.description,
      aliases: c.names.length > 1 ? c.names.map((n) => `berth ${n}`) : [],
      flags: c.flags,
    },
    { columns },
  );
}

function argCountError(name: string, c: Command, n: number): string | undefined {
  const plural = (k: number): string => `${k} argument${k === 1 ? '' : 's'}`;
  if (c.minArgs !== undefined && n < c.minArgs) {
    return c.maxArgs === c.minArgs
      ? `"berth ${name}" requires exactly ${plural(c.minArgs)}.`
      : `"berth ${name}" requires at least ${plural(c.minArgs)}.`;
  }
  if (c.maxArgs !== undefined && n > c.maxArgs) {
    return c.maxArgs === 0 ? `"berth ${name}" accepts no arguments.` : `"berth ${name}" requires at most ${plural(c.maxArgs)}.`;
  }
  return undefined;
}

export type GlobalOptions = ParseResult<typeof globalFlags>['values'];

/** A command line resolved to its command, before anything is printed or run. */
export interface Invocation {
  globals: GlobalOptions;
  name: string;
  command: Command;
  parsed: ParseResult<readonly FlagSpec[]>;
}

/** What a command line asks for: a command to run, or text to print (help, version, a usage error). */
type CommandLine =
  | { kind: 'run'; invocation: Invocation }
  | { kind: 'print'; stream: 'out' | 'err'; text: string; code: number }
  | { kind: 'usage-error'; name: string; message: string };

function parseCommandLine(argv: string[], columns: number): CommandLine {
  let name = '';
  try {
    const globals = parseFlags(globalFlags, argv, { interspersed: false });
    if (globals.values.version) return { kind: 'print', stream: 'out', text: `berth version ${packageVersion()}\n`, code: 0 };
    if (globals.help || globals.positionals.length === 0) {
      return { kind: 'print', stream: globals.help ? 'out' : 'err', text: rootHelp(columns), code: globals.help ? 0 : 1 };
    }
    const found = findCommand(globals.positionals);
    if (!found) {
      const word = globals.positionals[0] ?? '';
      const members = groupMembers(word);
      if (members.length === 0) {
        return { kind: 'print', stream: 'err', text: `berth: unknown command: berth ${word}\n\nRun 'berth --help' for more information\n`, code: 1 };
      }
      const sub = globals.positionals[1];
      if (sub === undefined || sub === '--help' || sub === '-h') return { kind: 'print', stream: 'out', text: groupHelp(word, members, columns), code: 0 };
      return { kind: 'print', stream: 'err', text: `berth: '${word} ${sub}' is not a berth command.\nSee 'berth ${word} --help'\n`, code: 1 };
    }
    name = found.name;
    const { command } = found;
    const parsed = parseFlags(command.flags, found.rest, { interspersed: command.interspersed ?? true });
    if (parsed.help) return { kind: 'print', stream: 'out', text: commandHelp(command, name, columns), code: 0 };
    const countError = argCountError(name, command, parsed.positionals.length);
    if (countError) return { kind: 'usage-error', name, message: countError };
    return { kind: 'run', invocation: { globals: globals.values, name, command, parsed } };
  } catch (e) {
    if (e instanceof FlagError) return { kind: 'usage-error', name, message: e.message };
    throw e;
  }
}

/**
 * The command a command line names, with its flags parsed; undefined when the line asks for
 * help or the version, names no command, or has a flag or argument error (what the CLI then
 * prints is runCli's business).
 */
export function resolveInvocation(argv: string[]): Invocation | undefined {
  const line = parseCommandLine(argv, 80);
  return line.kind === 'run' ? line.invocation : undefined;
}

/** The Engine settings that the global flags and the caller's environment give. */
export function engineOptions(globals: GlobalOptions): Pick<EngineOptions, 'root' | 'runRoot' | 'cgroupParent'> {
  return {
    ...(globals.root ? { root: globals.root } : {}),
    ...(globals['run-root'] ? { runRoot: globals['run-root'] } : {}),
    ...(globals['cgroup-parent'] ? { cgroupParent: globals['cgroup-parent'] } : {}),
  };
}

/** Runs a resolved command; its errors become one line on stderr and docker's exit codes. */
export async function runInvocation(inv: Invocation, ctx: CommandContext): Promise<number> {
  try {
    return await inv.command.run(ctx, inv.parsed);
  } catch (e) {
    return reportError(e, inv.name, ctx);
  }
}

function reportError(e: unknown, name: string, ctx: Pick<CommandContext, 'err' | 'io'>): number {
  if (e instanceof FlagError) {
    ctx.err(`berth: ${e.message}\nSee 'berth ${name ? `${name} ` : ''}--help'.\n`);
    return 125;
  }
  if (e instanceof BerthError) {
    ctx.err(`berth: ${e.message}\n`);
    return e.exitCode;
  }
  if (ctx.io.env['BERTH_DEBUG'] && e instanceof Error) ctx.err(`${e.stack ?? ''}\n`);
  ctx.err(`berth: ${errorMessage(e)}\n`);
  return 125;
}

/** Runs the CLI on argv (without node and the script) in this process; resolves with the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCli(argv, processIo());
}

/** Runs the CLI on argv for a caller (io); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const out = (text: string): void => void io.stdout.write(text);
  const err = (text: string): void => void io.stderr.write(text);
  try {
    const line = parseCommandLine(argv, io.stdout.columns ?? 80);
    if (line.kind === 'print') {
      (line.stream === 'out' ? out : err)(line.text);
      return line.code;
    }
    if (line.kind === 'usage-error') return reportError(new FlagError(line.message), line.name, { err, io });
    const { globals } = line.invocation;
    const level = globals['log-level'] || undefined;
    const configDir = resolveConfigDir(globals.config || undefined, io.env);
    const engine = new Engine({
      ...engineOptions(globals),
      logger: createLogger(level ? { level } : {}),
      configDir,
    });
    try {
      return await runInvocation(line.invocation, { engine, io, out, err, configDir });
    } finally {
      await engine.close();
    }
  } catch (e) {
    return reportError(e, '', { err, io });
  }
}
