/**
 * `berth login` and `berth logout`, with docker's flags, prompts and messages. The
 * credentials go to docker's config.json format in the config dir (`--config`), in
 * plain base64 as docker's own file store keeps them: berth runs no credential helpers.
 */
import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import type { CommandContext } from '../context.js';
import { BerthError, InvalidArgumentError, PermissionDeniedError } from '../../errors.js';
import { packageVersion } from '../../package-root.js';
import type { RegistryCredentials } from '../../image/registry/auth.js';
import { insecureRegistriesFromEnv, isLoopbackHost } from '../../image/registry/client.js';
import {
  DOCKER_HUB_AUTH_KEY,
  configFilePath,
  credentialKey,
  eraseCredentials,
  isDockerHub,
  loadCredentials,
  storeCredentials,
} from '../../image/registry/credentials.js';
import { checkLogin } from '../../image/registry/login.js';

export interface LoginOptions {
  server?: string;
  username?: string;
  password?: string;
  passwordStdin: boolean;
  configDir: string;
}

export interface LogoutOptions {
  server?: string;
  configDir: string;
}

/** What login reads from and talks to; tests replace them. */
export interface LoginIo {
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  fetch?: typeof fetch;
  /** Registries that may be reached over plain HTTP; default: loopback ones and $BERTH_INSECURE_REGISTRIES. */
  insecure?: (host: string) => boolean;
}

const HUB_PROMPT =
  "Log in with your Docker ID or email address to push and pull images from Docker Hub. If you don't have a Docker ID, head over to https://hub.docker.com/ to create one.\n";

function defaultInsecure(host: string): boolean {
  const listed = insecureRegistriesFromEnv();
  return isLoopbackHost(host) || listed.includes(host);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Asks questions on the terminal. A hidden answer is not echoed: readline does the echo
 * itself (it puts the tty in raw mode), into an output that is muted meanwhile. Lines
 * typed ahead (a pasted "user\npassword\n") wait in a queue for their question.
 */
class Prompter {
  private muted = false;
  private closed = false;
  private readonly rl: Interface;
  private readonly typedAhead: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private interrupted: (() => void) | undefined;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly write: (text: string) => void,
  ) {
    const output = new Writable({
      write: (chunk: Buffer | string, _encoding, done): void => {
        if (!this.muted) write(chunk.toString());
        done();
      },
    });
    this.rl = createInterface({ input, output, terminal: true });
    this.rl.on('line', (line) => this.deliver(line));
    this.rl.on('close', () => {
      this.closed = true;
      this.deliver(undefined);
    });
    this.rl.on('SIGINT', () => this.interrupted?.());
  }

  private deliver(line: string | undefined): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(line);
    else if (line !== undefined) this.typedAhead.push(line);
  }

  /** The answer; empty at end of input, as docker reads it. */
  async ask(question: string, hidden: boolean): Promise<string> {
    // readline redraws the line with its prompt when it is edited (a backspace).
    this.rl.setPrompt(question);
    this.write(question);
    const ahead = this.typedAhead.shift();
    if (ahead !== undefined || this.closed) {
      if (hidden) this.write('\n');
      return ahead ?? '';
    }
    this.muted = hidden;
    let interrupted = false;
    try {
      const line = await new Promise<string | undefined>((resolve, reject) => {
        this.waiting = resolve;
        this.interrupted = (): void => {
          interrupted = true;
          this.waiting = undefined;
          reject(new BerthError('InvalidArgument', 'login canceled', { exitCode: 130 }));
        };
      });
      return line ?? '';
    } finally {
      this.interrupted = undefined;
      this.muted = false;
      // The Enter that ended a hidden answer was not echoed either; Ctrl-C never is.
      if (hidden || interrupted) this.write('\n');
    }
  }

  close(): void {
    this.muted = false;
    this.rl.close();
  }
}

export async function loginCommand(ctx: CommandContext, opts: LoginOptions, io: LoginIo = {}): Promise<number> {
  try {
    return await login(ctx, opts, io);
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    ctx.err(`berth: ${err.message}\n`);
    // docker login exits 1 when it fails; 125 is what berth's other commands use for their own errors.
    return err.exitCode === 125 ? 1 : err.exitCode;
  }
}

async function login(ctx: CommandContext, opts: LoginOptions, io: LoginIo): Promise<number> {
  const stdin = io.stdin ?? ctx.io.stdin;
  if (opts.password && opts.passwordStdin) throw new InvalidArgumentError('conflicting options: cannot specify both --password and --password-stdin');
  if (opts.password) ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');

  let username = (opts.username ?? '').trim();
  let password = opts.password ?? '';
  if (opts.passwordStdin) {
    if (!username) throw new InvalidArgumentError('the --password-stdin option requires --username to be set');
    // Only the one newline `echo` adds: a password may end in other whitespace.
    password = (await readAll(stdin)).replace(/\n$/, '').replace(/\r$/, '');
  }

  const server = opts.server || DOCKER_HUB_AUTH_KEY;
  const check = (credentials: RegistryCredentials): Promise<void> =>
    checkLogin(credentialKey(server), credentials, {
      insecure: io.insecure ?? defaultInsecure,
      userAgent: `berth/${packageVersion()}`,
      ...(io.fetch ? { fetch: io.fetch } : {}),
    });

  // Stored credentials are tried, and offer the default username, only when none is given.
  const stored = username ? undefined : loadCredentials(opts.configDir).lookup(server);
  if (!password && stored) {
    ctx.out(`Authenticating with existing credentials...${'username' in stored ? ` [Username: ${stored.username}]` : ''}\n`);
    try {
      await check(stored);
      ctx.out("\nInfo -> To login with a different account, run 'berth logout' followed by 'berth login'\n\nLogin Succeeded\n");
      return 0;
    } catch (err) {
      if (!(err instanceof PermissionDeniedError)) throw err;
      ctx.err(`Login did not succeed, error: ${err.message}\n`);
    }
  }

  if (!username || !password) {
    // Docker's words, less their `Error: ` prefix: the CLI prints `berth: ` before them.
    if (stdin.isTTY !== true) throw new InvalidArgumentError('Cannot perform an interactive login from a non TTY device');
    const prompter = new Prompter(stdin, ctx.out);
    try {
      if (!username) {
        const previous = stored && 'username' in stored ? stored.username : '';
        if (isDockerHub(server)) ctx.out(HUB_PROMPT);
        username = (await prompter.ask(previous ? `Username (${previous}): ` : 'Username: ', false)).trim() || previous;
        if (!username) throw new InvalidArgumentError('Non-null Username Required');
      }
      if (!password) {
        password = await prompter.ask('Password: ', true);
        if (!password) throw new InvalidArgumentError('Password Required');
      }
    } finally {
      prompter.close();
    }
  }

  await check({ username, password });
  storeCredentials(opts.configDir, server, { username, password });
  ctx.err(`WARNING! Your credentials are stored unencrypted in '${configFilePath(opts.configDir)}'.\n`);
  ctx.out('Login Succeeded\n');
  return 0;
}

export async function logoutCommand(ctx: CommandContext, opts: LogoutOptions): Promise<number> {
  const server = opts.server || DOCKER_HUB_AUTH_KEY;
  const shown = credentialKey(server);
  try {
    if (!eraseCredentials(opts.configDir, server)) {
      ctx.out(`Not logged in to ${shown}\n`);
      return 0;
    }
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    ctx.err(`berth: ${err.message}\n`);
    return 1;
  }
  ctx.out(`Removing login credentials for ${shown}\n`);
  return 0;
}
