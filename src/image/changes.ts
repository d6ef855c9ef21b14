/**
 * `--change` instructions for `import` (and later `commit`), with the Dockerfile
 * meaning docker gives them: `CMD ["sh"]` or `CMD sh -c x`, ENTRYPOINT, ENV, WORKDIR,
 * USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL.
 */
import path from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { ContainerConfig } from './config.js';
import { processWord, splitWords } from './shell-words.js';

export const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'] as const;

const SIGNALS = [
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'IOT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM',
  'TERM', 'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF',
  'WINCH', 'IO', 'POLL', 'PWR', 'SYS',
];

function bad(change: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid change ${JSON.stringify(change)}: ${why}`);
}

/** A JSON array of strings (exec form), or undefined when text is not one. */
function jsonStrings(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value;
  } catch {
    // Not JSON: docker then takes the text as shell form.
  }
  return undefined;
}

/** Exec form as given; shell form runs through /bin/sh -c, verbatim (the shell expands it at run time). */
function commandForm(args: string): string[] {
  return jsonStrings(args) ?? ['/bin/sh', '-c', args];
}

/** `K=V K2="v 2"` pairs, or the legacy `K value with spaces` form. */
function keyValues(change: string, args: string, env: readonly string[]): Array<[string, string]> {
  const words = splitWords(args);
  const first = words[0];
  if (first === undefined) throw bad(change, 'needs at least one argument');
  if (!first.includes('=')) {
    const value = args.slice(args.indexOf(first) + first.length).trim();
    if (value === '') throw bad(change, `must be of the form ${first}=value`);
    return [[processWord(first, env), processWord(value, env)]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) throw bad(change, `can't find = in ${JSON.stringify(word)}; must be of the form name=value`);
    const key = processWord(word.slice(0, eq), env);
    if (key === '') throw bad(change, 'names can not be blank');
    return [key, processWord(word.slice(eq + 1), env)];
  });
}

function exposedPorts(change: string, spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw bad(change, `invalid port ${JSON.stringify(spec)}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (start < 1 || end > 65535 || end < start) throw bad(change, `invalid port range ${JSON.stringify(spec)}`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

function stopSignal(change: string, value: string): string {
  const upper = value.toUpperCase();
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 64) return value;
  const bare = upper.startsWith('SIG') ? upper.slice(3) : upper;
  if (SIGNALS.includes(bare) || /^RTM(?:IN|AX)(?:[+-]\d+)?$/.test(bare)) return value;
  throw bad(change, `invalid signal ${JSON.stringify(value)}`);
}

/** Applies one change to config (returning a new object). */
export function applyChange(config: ContainerConfig, change: string): ContainerConfig {
  const trimmed = change.trim();
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (!m) throw new InvalidArgumentError('empty change');
  const instruction = m[1]!.toUpperCase();
  const args = (m[2] ?? '').trim();
  const env = config.Env ?? [];
  if (!(CHANGE_INSTRUCTIONS as readonly string[]).includes(instruction)) {
    throw new InvalidArgumentError(`${m[1]} is not a valid change command (valid: ${CHANGE_INSTRUCTIONS.join(', ')})`);
  }
  if (args === '') throw bad(change, `${instruction} needs an argument`);
  switch (instruction) {
    case 'CMD':
      return { ...config, Cmd: commandForm(args) };
    case 'ENTRYPOINT':
      return { ...config, Entrypoint: commandForm(args) };
    case 'ENV': {
      const next = [...env];
      for (const [key, value] of keyValues(change, args, env)) {
        // docker replaces a variable in place, so the order of Env stays stable.
        const at = next.findIndex((e) => e.startsWith(`${key}=`));
        if (at >= 0) next[at] = `${key}=${value}`;
        else next.push(`${key}=${value}`);
      }
      return { ...config, Env: next };
    }
    case 'LABEL':
      return { ...config, Labels: { ...(config.Labels ?? {}), ...Object.fromEntries(keyValues(change, args, env)) } };
    case 'EXPOSE': {
      const ports = { ...(config.ExposedPorts ?? {}) };
      for (const word of splitWords(args)) for (const p of exposedPorts(change, processWord(word, env))) ports[p] = {};
      return { ...config, ExposedPorts: ports };
    }
    case 'VOLUME': {
      const list = jsonStrings(args) ?? splitWords(args).map((w) => processWord(w, env));
      const volumes = { ...(config.Volumes ?? {}) };
      for (const v of list) {
        if (v.trim() === '') throw bad(change, 'volume paths can not be empty');
        volumes[v] = {};
      }
      return { ...config, Volumes: volumes };
    }
    case 'USER':
      return { ...config, User: processWord(args, env) };
    case 'WORKDIR': {
      const dir = processWord(args, env);
      // A relative WORKDIR continues from the current one.
      return { ...config, WorkingDir: path.posix.resolve('/', config.WorkingDir ?? '/', dir) };
    }
    case 'STOPSIGNAL':
      return { ...config, StopSignal: stopSignal(change, processWord(args, env)) };
  }
  throw new InvalidArgumentError(`${m[1]} is not a valid change command`);
}

/** Applies changes in order; the first invalid one throws and nothing is applied. */
export function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  return changes.reduce(applyChange, config);
}
