import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Engine } from '../../src/engine.js';
import { processIo, type CommandContext } from '../../src/cli/context.js';
import { loginCommand, logoutCommand } from '../../src/cli/commands/login.js';
import { checkLogin } from '../../src/image/registry/login.js';
import { credentialsFor, DOCKER_HUB_AUTH_KEY, storeCredentials } from '../../src/image/registry/credentials.js';
import { PermissionDeniedError, UnavailableError } from '../../src/errors.js';

const USER = 'alice';
const PASSWORD = 'correct horse';
const TOKEN = 'token-for-alice';

type Mode = 'basic' | 'bearer' | 'open';

/**
 * A registry on 127.0.0.1 that speaks the challenge protocol: /v2/ asks for Basic auth,
 * or for a Bearer token from its own /token endpoint, or for nothing.
 */
class FakeRegistry {
  mode: Mode = 'basic';
  readonly requests: Array<{ path: string; authorization: string | undefined }> = [];
  private server: Server | undefined;
  host = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const authorization = req.headers.authorization;
    this.requests.push({ path: url.pathname + url.search, authorization });
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    if (url.pathname === '/token') {
      if (authorization !== basic) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: TOKEN, expires_in: 300 }));
      return;
    }
    if (url.pathname !== '/v2/') {
      res.writeHead(404).end();
      return;
    }
    const expected = this.mode === 'basic' ? basic : `Bearer ${TOKEN}`;
    if (this.mode === 'open' || authorization === expected) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-Api-Version': 'registry/2.0' });
      res.end('{}');
      return;
    }
    const challenge =
      this.mode === 'basic' ? 'Basic realm="fake-registry"' : `Bearer realm="http://${this.host}/token",service="fake-registry"`;
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': challenge });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  }
}

const registry = new FakeRegistry();
beforeAll(() => registry.start());
afterAll(() => registry.stop());

let configDir: string;
beforeEach(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'berth-login-'));
  registry.mode = 'basic';
  registry.requests.length = 0;
});
afterEach(() => {
  rmSync(configDir, { recursive: true, force: true });
});

const loopback = (host: string): boolean => host.startsWith('127.0.0.1:');

function context(): { ctx: CommandContext; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const ctx: CommandContext = {
    engine: undefined as unknown as Engine,
    io: processIo(),
    configDir,
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  };
  return { ctx, out: () => out, err: () => err };
}

function stdinOf(text: string): NodeJS.ReadableStream {
  return Readable.from([Buffer.from(text)]);
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('checkLogin against a local registry', () => {
  it('answers a Basic challenge', async () => {
    await checkLogin(registry.host, { username: USER, password: PASSWORD }, { insecure: loopback });
    expect(registry.requests.map((r) => r.path)).toEqual(['/v2/', '/v2/']);
  });

  it('answers a Bearer challenge through the token server, asking for no scope', async () => {
    registry.mode = 'bearer';
    await checkLogin(registry.host, { username: USER, password: PASSWORD }, { insecure: loopback });
    const token = registry.requests.find((r) => r.path.startsWith('/token'));
    expect(token?.path).toBe(`/token?service=fake-registry&account=${USER}`);
    expect(registry.requests.at(-1)).toEqual({ path: '/v2/', authorization: `Bearer ${TOKEN}` });
  });

  it('succeeds against a registry that asks for nothing', async () => {
    registry.mode = 'open';
    await checkLogin(registry.host, { username: USER, password: 'anything' }, { insecure: loopback });
  });

  it("refuses a wrong password with docker's words, for both schemes", async () => {
    for (const mode of ['basic', 'bearer'] as const) {
      registry.mode = mode;
      const attempt = checkLogin(registry.host, { username: USER, password: 'wrong' }, { insecure: loopback });
      await expect(attempt).rejects.toBeInstanceOf(PermissionDeniedError);
      await expect(attempt).rejects.toThrow(/^unauthorized: incorrect username or password$/);
    }
  });

  it('uses plain HTTP only for registries that may use it', async () => {
    const attempt = checkLogin(registry.host, { username: USER, password: PASSWORD }, { insecure: () => false });
    await expect(attempt).rejects.toBeInstanceOf(UnavailableError);
    await expect(attempt).rejects.toThrow(`Get "https://${registry.host}/v2/": `);
    expect(registry.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it("asks Docker Hub's API host for docker.io", async () => {
    const urls: string[] = [];
    const fakeFetch = (async (input: string | URL | Request) => {
      urls.push(input.toString());
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    await checkLogin('docker.io', { username: USER, password: PASSWORD }, { insecure: () => false, fetch: fakeFetch });
    await checkLogin(DOCKER_HUB_AUTH_KEY, { username: USER, password: PASSWORD }, { insecure: () => false, fetch: fakeFetch });
    expect(urls).toEqual(['https://registry-1.docker.io/v2/', 'https://registry-1.docker.io/v2/']);
  });
});

describe('berth login', () => {
  it('logs in with --password-stdin and stores the credentials', async () => {
    const { ctx, out, err } = context();
    const code = await loginCommand(
      ctx,
      { server: registry.host, username: USER, passwordStdin: true, configDir },
      { stdin: stdinOf(`${PASSWORD}\n`), insecure: loopback },
    );
    expect(code).toBe(0);
    expect(out()).toBe('Login Succeeded\n');
    expect(err()).toBe(`WARNING! Your credentials are stored unencrypted in '${path.join(configDir, 'config.json')}'.\n`);
    expect(credentialsFor(configDir, registry.host)).toEqual({ username: USER, password: PASSWORD });
  });

  it('trims one trailing newline from stdin, CRLF included, and nothing else', async () => {
    registry.mode = 'open';
    for (const [input, password] of [
      ['pw \r\n', 'pw '],
      ['pw\n\n', 'pw\n'],
      ['pw', 'pw'],
    ] as const) {
      const { ctx } = context();
      await loginCommand(ctx, { server: registry.host, username: USER, passwordStdin: true, configDir }, { stdin: stdinOf(input), insecure: loopback });
      expect(credentialsFor(configDir, registry.host)).toEqual({ username: USER, password });
    }
  });

  it('refuses --password with --password-stdin, and --password-stdin without --username', async () => {
    const a = context();
    expect(await loginCommand(a.ctx, { server: registry.host, username: USER, password: 'x', passwordStdin: true, configDir }, { insecure: loopback })).toBe(1);
    expect(a.err()).toBe('berth: conflicting options: cannot specify both --password and --password-stdin\n');
    const b = context();
    expect(await loginCommand(b.ctx, { server: registry.host, passwordStdin: true, configDir }, { stdin: stdinOf('x\n'), insecure: loopback })).toBe(1);
    expect(b.err()).toBe('berth: the --password-stdin option requires --username to be set\n');
    expect(registry.requests).toHaveLength(0);
  });

  it('warns about -p and logs in with it', async () => {
    const { ctx, out, err } = context();
    expect(await loginCommand(ctx, { server: registry.host, username: USER, password: PASSWORD, passwordStdin: false, configDir }, { insecure: loopback })).toBe(0);
    expect(err()).toMatch(/^WARNING! Using --password via the CLI is insecure\. Use --password-stdin\.\n/);
    expect(out()).toBe('Login Succeeded\n');
  });

  it('fails on a wrong password, stores nothing and never prints the password', async () => {
    registry.mode = 'bearer';
    const { ctx, out, err } = context();
    const code = await loginCommand(
      ctx,
      { server: registry.host, username: USER, passwordStdin: true, configDir },
      { stdin: stdinOf('wrong-secret\n'), insecure: loopback },
    );
    expect(code).toBe(1);
    expect(err()).toBe('berth: unauthorized: incorrect username or password\n');
    expect(out()).toBe('');
    expect(existsSync(path.join(configDir, 'config.json'))).toBe(false);
    expect(err() + out()).not.toContain('wrong-secret');
  });

  it('will not prompt without a terminal', async () => {
    const { ctx, err } = context();
    const stdin = stdinOf('');
    expect(await loginCommand(ctx, { server: registry.host, passwordStdin: false, configDir }, { stdin, insecure: loopback })).toBe(1);
    expect(err()).toBe('berth: Cannot perform an interactive login from a non TTY device\n');
  });

  it('prompts on a terminal, without echoing the password', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const { ctx, out } = context();
    const done = loginCommand(ctx, { server: registry.host, passwordStdin: false, configDir }, { stdin, insecure: loopback });
    await waitFor(() => out().includes('Username: '));
    stdin.write(`${USER}\r`);
    await waitFor(() => out().includes('Password: '));
    stdin.write(`${PASSWORD}\r`);
    expect(await done).toBe(0);
    expect(out()).toContain(USER);
    expect(out()).not.toContain(PASSWORD);
    expect(out()).toMatch(/Password: \nLogin Succeeded\n$/);
    expect(credentialsFor(configDir, registry.host)).toEqual({ username: USER, password: PASSWORD });
  });

  it('takes the stored username as the default at the prompt', async () => {
    storeCredentials(configDir, registry.host, { username: USER, password: 'outdated' });
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const { ctx, out, err } = context();
    const done = loginCommand(ctx, { server: registry.host, passwordStdin: false, configDir }, { stdin, insecure: loopback });
    await waitFor(() => out().includes(`Username (${USER}): `));
    stdin.write('\r');
    await waitFor(() => out().includes('Password: '));
    stdin.write(`${PASSWORD}\r`);
    expect(await done).toBe(0);
    expect(err()).toContain('Login did not succeed, error: unauthorized: incorrect username or password\n');
    expect(credentialsFor(configDir, registry.host)).toEqual({ username: USER, password: PASSWORD });
  });

  it('logs in with stored credentials when none are given', async () => {
    storeCredentials(configDir, registry.host, { username: USER, password: PASSWORD });
    const { ctx, out } = context();
    expect(await loginCommand(ctx, { server: registry.host, passwordStdin: false, configDir }, { stdin: stdinOf(''), insecure: loopback })).toBe(0);
    expect(out()).toMatch(/^Authenticating with existing credentials\.\.\. \[Username: alice\]\n[\s\S]*Login Succeeded\n$/);
  });
});

describe('berth logout', () => {
  it('removes stored credentials, then says there are none', async () => {
    storeCredentials(configDir, registry.host, { username: USER, password: PASSWORD });
    const first = context();
    expect(await logoutCommand(first.ctx, { server: `http://${registry.host}/`, configDir })).toBe(0);
    expect(first.out()).toBe(`Removing login credentials for ${registry.host}\n`);
    expect(credentialsFor(configDir, registry.host)).toBeUndefined();
    const second = context();
    expect(await logoutCommand(second.ctx, { server: registry.host, configDir })).toBe(0);
    expect(second.out()).toBe(`Not logged in to ${registry.host}\n`);
  });

  it('means Docker Hub without a server', async () => {
    storeCredentials(configDir, 'docker.io', { username: USER, password: PASSWORD });
    const { ctx, out } = context();
    expect(await logoutCommand(ctx, { configDir })).toBe(0);
    expect(out()).toBe(`Removing login credentials for ${DOCKER_HUB_AUTH_KEY}\n`);
    expect(JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8'))).toEqual({ auths: {} });
  });
});
