/**
 * `docker top`: the host's `ps` with the user's options, cut to the container's processes by
 * the PID column, as the Engine API's {Titles, Processes}.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InvalidArgumentError, UnavailableError, errorMessage } from '../errors.js';

const run = promisify(execFile);

export async function topOfProcesses(psArgs: string[], pids: ReadonlySet<number>): Promise<{ Titles: string[]; Processes: string[][] }> {
  let stdout: string;
  try {
    ({ stdout } = await run('ps', psArgs, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UnavailableError('ps is not installed on this host (Debian: procps)');
    throw new InvalidArgumentError(`Error running ps: ${(e.stderr ?? errorMessage(err)).trim()}`);
  }
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  const titles = header.trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw new InvalidArgumentError(`Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    // The last column (the command) may hold spaces: split into at most titles.length fields.
    const fields = line.trim().split(/\s+/);
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (pids.has(Number(row[pidColumn]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}
