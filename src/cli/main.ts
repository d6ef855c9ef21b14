/**
 * The `berth` command: global options, then a command from the table, whose
 * handler calls the Engine. Errors become one line on stderr and docker's exit codes.
 */
import { Engine } from '../engine.js';
import { createLogger } from '../logger.js';
import { BerthError, errorMessage } from '../errors.js';
import { defineFlags, FlagError, parseFlags } from './flags.js';
import { renderCommandHelp, renderRootHelp } from './help.js';
import { COMMANDS, findCommand, type Command } from './commands/index.js';
import type { CommandContext } from './context.js';
import { packageVersion } from '../package-root.js';
import { resolveConfigDir } from '../image/registry/credentials.js';

const globalFlags = defineFlags([
  { long: 'root', type: 'string', valueName: 'string', description: 'Root of berth\'s state (default "/var/lib/berth", env BERTH_ROOT)' },
  { long: 'run-root', type: 'string', valueName: 'string', description: 'Runtime directory for sockets (default "/run/berth", env BERTH_RUN_ROOT)' },
  { long: 'cgroup-parent', type: 'string', valueName: 'string', description: "Parent cgroup for containers (default: berth below berth's own cgroup, env BERTH_CGROUP_PARENT)" },
  { long: 'config', type: 'string', valueName: 'string', description: 'Location of client config files (default "~/.berth", env BERTH_CONFIG)' },
  { long: 'log-level', short: 'l', type: 'string', valueName: 'string', description: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "warn")' },
  { long: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
] as const);

const DESCRIPTION = 'A container engine for Linux: docker\'s commands, as a Node library, CLI and daemon';

function out(text: string): void {
  process.stdout.write(text);
}
function err(text: string): void {
  process.stderr.write(text);
}

function rootHelp(): string {
  const shown = COMMANDS.filter((c) => !c.hidden);
  return renderRootHelp(
    {
      path: 'berth',
      description: DESCRIPTION,
      commands: shown.map((c) => ({ name: c.names[0]!, description: c.description })),
      globalFlags,
    },
    { columns: process.stdout.columns ?? 80 },
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

function groupHelp(group: string, members: ReadonlyArray<{ name: string; description: string }>): string {
  return renderRootHelp(
    {
      path: `berth ${group}`,
      description: GROUPS[group] ?? '',
      commands: members,
      globalFlags: [],
    },
    { columns: process.stdout.columns ?? 80 },
  );
}

function commandHelp(c: Command, name: string): string {
  return renderCommandHelp(
    {
      path: `berth ${name}`,
      // The usage line starts with the command's own name, one word (`ps`) or two (`volume ls`).
      usage: c.usage.slice(c.usage.startsWith(`${c.names[0]!} `) ? c.names[0]!.length + 1 : c.usage.indexOf(' ') + 1),
      description: c.description,
      aliases: c.names.length > 1 ? c.names.map((n) => `berth ${n}`) : [],
      flags: c.flags,
    },
    { columns: process.stdout.columns ?? 80 },
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

/** Runs the CLI on argv (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let name = '';
  try {
    const globals = parseFlags(globalFlags, argv, { interspersed: false });
    if (globals.values.version) {
      out(`berth version ${packageVersion()}\n`);
      return 0;
    }
    if (globals.help || globals.positionals.length === 0) {
      (globals.help ? out : err)(rootHelp());
      return globals.help ? 0 : 1;
    }
    const found = findCommand(globals.positionals);
    if (!found) {
      const word = globals.positionals[0] ?? '';
      const members = groupMembers(word);
      if (members.length > 0) {
        const sub = globals.positionals[1];
        if (sub === undefined || sub === '--help' || sub === '-h') {
          out(groupHelp(word, members));
          return 0;
        }
        err(`berth: '${word} ${sub}' is not a berth command.\nSee 'berth ${word} --help'\n`);
        return 1;
      }
      err(`berth: unknown command: berth ${word}\n\nRun 'berth --help' for more information\n`);
      return 1;
    }
    name = found.name;
    const { command } = found;
    const parsed = parseFlags(command.flags, found.rest, { interspersed: command.interspersed ?? true });
    if (parsed.help) {
      out(commandHelp(command, name));
      return 0;
    }
    const countError = argCountError(name, command, parsed.positionals.length);
    if (countError) throw new FlagError(countError);

    const level = globals.values['log-level'] || undefined;
    const configDir = resolveConfigDir(globals.values.config || undefined);
    const engine = new Engine({
      ...(globals.values.root ? { root: globals.values.root } : {}),
      ...(globals.values['run-root'] ? { runRoot: globals.values['run-root'] } : {}),
      ...(globals.values['cgroup-parent'] ? { cgroupParent: globals.values['cgroup-parent'] } : {}),
      logger: createLogger(level ? { level } : {}),
      configDir,
    });
    const ctx: CommandContext = { engine, out, err, configDir };
    try {
      return await command.run(ctx, parsed);
    } finally {
      await engine.close();
    }
  } catch (e) {
    if (e instanceof FlagError) {
      err(`berth: ${e.message}\nSee 'berth ${name ? `${name} ` : ''}--help'.\n`);
      return 125;
    }
    if (e instanceof BerthError) {
      err(`berth: ${e.message}\n`);
      return e.exitCode;
    }
    if (process.env['BERTH_DEBUG'] && e instanceof Error) err(`${e.stack ?? ''}\n`);
    err(`berth: ${errorMessage(e)}\n`);
    return 125;
  }
}
