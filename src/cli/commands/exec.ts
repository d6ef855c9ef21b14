/**
 * `berth exec`: docker's flags into Engine.exec, then this process's stdio connected to the
 * new process through the same terminal connection as run (raw terminal and resizes for -t,
 * stdin for -i, detach keys on a terminal), or -d.
 */
import { defineFlags, type ParseResult } from '../flags.js';
import type { CommandContext } from '../context.js';
import { ENV_FLAGS, environment } from '../run-flags.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../detach-keys.js';
import { attachTerminal, terminalSize } from './run.js';
import type { RunHandle } from '../../engine.js';
import type { ExecHandle } from '../../container/exec.js';
import { BerthError } from '../../errors.js';

export const execFlags = defineFlags([
  { long: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
  { long: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
  ...ENV_FLAGS,
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
  if (v.tty && interactive && ctx.io.stdin.isTTY !== true) throw new BerthError('InvalidArgument', 'the input device is not a TTY', { exitCode: 1 });
  const size = terminalSize(ctx.io.stdout);
  let handle: ExecHandle;
  try {
    handle = await ctx.engine.exec(ref, {
      cmd,
      env: environment(v['env-file'], v.env, ctx.io.env),
      workingDir: v.workdir,
      user: v.user,
      privileged: v.privileged,
      tty: v.tty,
      attachStdin: interactive,
      detach: v.detach,
      detachKeys: v['detach-keys'],
      ...(v.tty && size ? { consoleSize: size } : {}),
    });
  } catch (err) {
    // docker's client exits 1 on the daemon's refusals; 126 and 127 say the command could not run.
    if (err instanceof BerthError && err.exitCode === 125) throw new BerthError(err.kind, err.message, { exitCode: 1, cause: err });
    throw err;
  }
  if (v.detach) return 0;
  const attached: RunHandle = {
    id: handle.id,
    stdout: handle.stdout,
    stderr: handle.stderr,
    stdin: handle.stdin,
    resize: (rows, cols) => handle.resize(rows, cols),
    detach: () => handle.detach(),
    wait: async () => ({ exitCode: await handle.wait(), oomKilled: false }),
  };
  // docker exec proxies no signals: a ctrl-c on a terminal reaches the process through its tty.
  return attachTerminal(ctx.io, ctx.engine, attached, { tty: v.tty, stdin: interactive, detachKeys: keys, sigProxy: false });
}
