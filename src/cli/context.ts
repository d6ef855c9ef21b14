/** What every command gets: the Engine, and the caller's streams, environment and directory. */
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine.js';

/** Input as a command sees it: a terminal can be put in raw mode. */
export type CliInput = Readable & {
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
};

/** Output as a command sees it: a terminal has a size and emits 'resize' when it changes. */
export type CliOutput = Writable & {
  isTTY?: boolean;
  rows?: number;
  columns?: number;
};

/**
 * The caller of a command: this process (processIo), or a `berth` command whose work the
 * berth service does (src/cli/service). Commands reach the caller only through this.
 */
export interface CliIo {
  stdin: CliInput;
  stdout: CliOutput;
  stderr: CliOutput;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Signals sent to the caller, for run's sig-proxy; only a process of its own has them. */
  signals?: NodeJS.EventEmitter;
}

export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signals: process };
}

export interface CommandContext {
  engine: Engine;
  io: CliIo;
  /** The client config dir (registry credentials): --config, $BERTH_CONFIG or ~/.berth. */
  configDir: string;
  out(text: string): void;
  err(text: string): void;
}
