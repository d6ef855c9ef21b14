/**
 * A real registry for tests: Debian's docker-registry (distribution v2.8) on
 * 127.0.0.1 with a random port and its own temporary storage, in one of three
 * auth modes:
 *
 * - `anonymous`: no auth at all.
 * - `basic`: htpasswd (bcrypt hashes made by `htpasswd -nbB`, package apache2-utils).
 * - `token`: distribution's `auth.token` mode. A token server runs in this process
 *   (node:http on 127.0.0.1); it checks Basic credentials against the requested
 *   scopes and issues RS256 JWTs signed with a key whose self-signed certificate
 *   (made with the openssl CLI) is the registry's rootcertbundle; the certificate
 *   travels in the JWT header's `x5c`.
 *
 * Nothing here touches the network beyond 127.0.0.1. Every process started is
 * killed by its pid and every temporary dir (`/tmp/berth-it-registry-*`) removed
 * in `stop()`, and also when the test process exits. Should the test process be
 * killed outright, the registry dies with it (setpriv --pdeathsig) and the next
 * `startRegistry` removes the dirs whose owner process is gone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isRoot } from './env.js';

export type RegistryAuth = 'anonymous' | 'basic' | 'token';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const SKOPEO_BIN = '/usr/bin/skopeo';
const HTPASSWD_BIN = '/usr/bin/htpasswd';
const OPENSSL_BIN = '/usr/bin/openssl';
const SETPRIV_BIN = '/usr/bin/setpriv';
export const TMP_PREFIX = '/tmp/berth-it-registry-';

export interface RegistryOptions {
  auth: RegistryAuth;
  /** The one valid user (basic and token modes). Default `testuser`. */
  user?: string;
  /** Its password. Default `testpass`. */
  password?: string;
  /** Token mode: requests without credentials get `pull` (never `push`) instead of no access. */
  anonymousPull?: boolean;
  /** Token mode: lifetime of issued tokens in seconds (`expires_in`). Default 300. */
  tokenExpiresIn?: number;
}

/** One request the token server answered with a token. */
export interface TokenRequest {
  method: 'GET' | 'POST';
  /** The authenticated user, or undefined for an anonymous request. */
  user: string | undefined;
  service: string;
  /** Scopes as requested (`repository:NAME:ACTIONS`). */
  scopes: string[];
  /** What the token granted. */
  access: TokenAccess[];
}

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface RegistryFixture {
  /** `127.0.0.1:PORT`, what goes before the repository in an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  auth: RegistryAuth;
  user?: string;
  password?: string;
  /** Token mode: the token server's realm URL, the registry's service and the tokens' issuer. */
  realm?: string;
  service?: string;
  issuer?: string;
  /** The registry's storage root (filesystem driver). */
  storageDir: string;
  /** The registry's stdout and stderr. */
  logFile: string;
  /** Tokens the token server issued so far (0 in other modes). */
  tokensIssued(): number;
  /** The requests behind those tokens, oldest first. */
  tokenRequests(): TokenRequest[];
  /**
   * An Authorization header value for a plain `fetch` as the valid user: `Basic …`, or
   * `Bearer …` with a token fetched for `scope` (which counts as an issued token), or
   * undefined in anonymous mode.
   */
  authorization(scope?: string): Promise<string | undefined>;
  /** The last lines of the registry's log. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** Why registry tests cannot run here (for the given mode, or for all modes), or undefined. */
export function registrySkipReason(auth?: RegistryAuth): string | undefined {
  if (!isRoot) return 'registry tests need root (run as root, e.g. in CI or a privileged VM)';
  if (!existsSync(REGISTRY_BIN)) return `${REGISTRY_BIN} is missing (apt-get install docker-registry)`;
  if (!existsSync(SKOPEO_BIN)) return `${SKOPEO_BIN} is missing (apt-get install skopeo)`;
  if ((auth === undefined || auth === 'basic') && !existsSync(HTPASSWD_BIN)) {
    return `${HTPASSWD_BIN} is missing (apt-get install apache2-utils)`;
  }
  if ((auth === undefined || auth === 'token') && !existsSync(OPENSSL_BIN)) {
    return `${OPENSSL_BIN} is missing (apt-get install openssl)`;
  }
  return undefined;
}

/** Prints why a registry suite is skipped, so it never passes silently. */
export function skipRegistry(suite: string, auth?: RegistryAuth): boolean {
  const reason = registrySkipReason(auth);
  if (reason) process.stderr.write(`SKIPPED ${suite}: ${reason}\n`);
  return reason !== undefined;
}

// Whatever is still running or on disk when the test process exits goes with it.
const livePids = new Set<number>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of livePids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function run(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Splits requested scopes (`repository:NAME:ACTIONS`; several per string, space-separated). */
function parseScopes(raw: string[]): Array<{ scope: string; type: string; name: string; actions: string[] }> {
  const out: Array<{ scope: string; type: string; name: string; actions: string[] }> = [];
  for (const s of raw.flatMap((r) => r.split(' ')).filter((r) => r !== '')) {
    const parts = s.split(':');
    if (parts.length < 3) continue;
    const type = parts[0]!;
    const actions = parts[parts.length - 1]!.split(',').filter((a) => a !== '');
    const name = parts.slice(1, -1).join(':');
    out.push({ scope: s, type, name, actions });
  }
  return out;
}

interface TokenServer {
  realm: string;
  issued(): number;
  requests(): TokenRequest[];
  /** A token for the valid user, as a client would get one. */
  tokenFor(scope: string | undefined): Promise<string>;
  close(): Promise<void>;
}

async function startTokenServer(opts: {
  key: KeyObject;
  certDer: Buffer;
  service: string;
  issuer: string;
  user: string;
  password: string;
  anonymousPull: boolean;
  expiresIn: number;
}): Promise<TokenServer> {
  const requests: TokenRequest[] = [];
  const x5c = [opts.certDer.toString('base64')];

  function issue(user: string | undefined, scopes: string[]): { token: string; access: TokenAccess[] } {
    const access: TokenAccess[] = [];
    for (const s of parseScopes(scopes)) {
      let allowed: string[];
      if (user !== undefined) {
        allowed = s.type === 'repository' ? ['pull', 'push'] : ['*'];
      } else {
        allowed = opts.anonymousPull && s.type === 'repository' ? ['pull'] : [];
      }
      const actions = s.actions.filter((a) => allowed.includes(a));
      if (actions.length > 0) access.push({ type: s.type, name: s.name, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c };
    const claims = {
      iss: opts.issuer,
      sub: user ?? '',
      aud: opts.service,
      exp: now + opts.expiresIn,
      nbf: now - 1,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), opts.key);
    return { token: `${signingInput}.${b64url(signature)}`, access };
  }

  function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  /** undefined: anonymous; null: wrong credentials. */
  function checkCredentials(user: string | undefined, password: string | undefined): string | undefined | null {
    if (user === undefined) return undefined;
    return user === opts.user && password === opts.password ? user : null;
  }

  function basicCredentials(req: IncomingMessage): { user: string | undefined; password: string | undefined } {
    const h = req.headers.authorization;
    if (!h) return { user: undefined, password: undefined };
    const m = /^Basic\s+(.+)$/i.exec(h);
    if (!m) return { user: '', password: undefined };
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { user: decoded, password: undefined };
    return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/token') return reply(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
    let method: 'GET' | 'POST';
    let service: string | null;
    let scopes: string[];
    let creds: { user: string | undefined; password: string | undefined };
    if (req.method === 'GET') {
      // Docker's token protocol: GET ?service=&scope=&scope= with optional Basic auth.
      method = 'GET';
      service = url.searchParams.get('service');
      scopes = url.searchParams.getAll('scope');
      creds = basicCredentials(req);
    } else if (req.method === 'POST') {
      // OAuth2 (as containerd and docker use it): a form with grant_type=password.
      method = 'POST';
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (form.get('grant_type') !== 'password') {
        return reply(res, 400, { error: 'unsupported_grant_type' });
      }
      service = form.get('service');
      scopes = form.getAll('scope');
      creds = { user: form.get('username') ?? undefined, password: form.get('password') ?? undefined };
    } else {
      return reply(res, 405, { error: 'method not allowed' });
    }
    if (service !== opts.service) {
      return reply(res, 400, { errors: [{ code: 'INVALID_SERVICE', message: `unknown service ${JSON.stringify(service)}` }] });
    }
    const user = checkCredentials(creds.user, creds.password);
    if (user === null) {
      return reply(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] },
        { 'WWW-Authenticate': 'Basic realm="berth-test-token-server"' },
      );
    }
    const { token, access } = issue(user, scopes);
    requests.push({ method, user, service, scopes, access });
    reply(res, 200, {
      token,
      access_token: token,
      expires_in: opts.expiresIn,
      issued_at: new Date().toISOString(),
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    issued: () => requests.length,
    requests: () => requests.map((r) => ({ ...r, scopes: [...r.scopes], access: r.access.map((a) => ({ ...a })) })),
    async tokenFor(scope) {
      const u = new URL(realm);
      u.searchParams.set('service', opts.service);
      if (scope) u.searchParams.set('scope', scope);
      const r = await fetch(u, {
        headers: { Authorization: `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}` },
      });
      if (!r.ok) throw new Error(`token server: ${r.status} ${await r.text()}`);
      return ((await r.json()) as { token: string }).token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function registryConfig(o: { port: number; storage: string; auth: string }): string {
  return `version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: ${o.storage}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${o.port}
  secret: ${randomBytes(16).toString('hex')}
  headers:
    X-Content-Type-Options: [nosniff]
${o.auth}`;
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    if (!(await waitForExit(child, 5000))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await waitForExit(child, 5000);
    }
  }
  livePids.delete(pid);
}

/** Starts the registry; resolves once it answers `GET /v2/`. */
async function launchRegistry(
  dir: string,
  storage: string,
  authYaml: string,
  logFile: string,
): Promise<{ child: ChildProcess; port: number }> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const configFile = path.join(dir, 'config.yml');
    writeFileSync(configFile, registryConfig({ port, storage, auth: authYaml }));
    writeFileSync(logFile, `--- attempt ${attempt + 1}, port ${port}\n`, { flag: 'a' });
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      // A clean environment: the registry reads REGISTRY_* variables as config overrides.
      // Through setpriv (util-linux) when there: the registry gets SIGKILL if this process dies
      // without running its exit hook (a killed test worker); setpriv execs, so the pid is the registry's.
      const [bin, ...args] = existsSync(SETPRIV_BIN)
        ? [SETPRIV_BIN, '--pdeathsig', 'KILL', '--', REGISTRY_BIN, 'serve', configFile]
        : [REGISTRY_BIN, 'serve', configFile];
      child = spawn(bin!, args, {
        stdio: ['ignore', fd, fd],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        cwd: dir,
      });
    } finally {
      closeSync(fd);
    }
    if (child.pid !== undefined) livePids.add(child.pid);
    let spawnError: Error | undefined;
    child.once('error', (e) => {
      spawnError = e;
    });
    const url = `http://127.0.0.1:${port}/v2/`;
    const deadline = Date.now() + 20_000;
    let up = false;
    while (Date.now() < deadline) {
      if (spawnError || child.exitCode !== null || child.signalCode !== null) break;
      try {
        // Any HTTP answer will do: 200 anonymous, 401 with auth.
        const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        up = true;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (up) return { child, port };
    await killChild(child);
    const log = tail(logFile);
    lastError = new Error(
      `docker-registry did not start on 127.0.0.1:${port}` +
        (spawnError ? ` (${spawnError.message})` : child.exitCode !== null ? ` (exit code ${child.exitCode})` : '') +
        `; last lines of ${logFile}:\n${log}`,
    );
    if (!/address already in use/i.test(log)) break;
  }
  throw lastError ?? new Error('docker-registry did not start');
}

/**
 * Removes fixture dirs left by test processes that were killed before they could clean
 * up (each dir names its owner's pid in `owner`); their registries died with them.
 */
function sweepStaleDirs(): void {
  const parent = path.dirname(TMP_PREFIX);
  const prefix = path.basename(TMP_PREFIX);
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(parent, name);
    let owner: number;
    try {
      owner = Number(readFileSync(path.join(dir, 'owner'), 'utf8'));
    } catch {
      continue; // Not a fixture dir, or one being made.
    }
    if (!Number.isInteger(owner) || owner <= 0 || owner === process.pid) continue;
    try {
      process.kill(owner, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Starts a registry (and, in token mode, its token server). Call `stop()` when done. */
export async function startRegistry(opts: RegistryOptions): Promise<RegistryFixture> {
  installExitHook();
  sweepStaleDirs();
  const auth = opts.auth;
  const user = auth === 'anonymous' ? undefined : (opts.user ?? 'testuser');
  const password = auth === 'anonymous' ? undefined : (opts.password ?? 'testpass');
  const dir = mkdtempSync(TMP_PREFIX);
  liveDirs.add(dir);
  writeFileSync(path.join(dir, 'owner'), String(process.pid));
  const storage = path.join(dir, 'storage');
  mkdirSync(storage);
  const logFile = path.join(dir, 'registry.log');

  let tokenServer: TokenServer | undefined;
  let child: ChildProcess | undefined;
  const service = 'berth-test-registry';
  const issuer = 'berth-test-token-issuer';
  const cleanup = async (): Promise<void> => {
    if (child) await killChild(child);
    child = undefined;
    if (tokenServer) await tokenServer.close();
    tokenServer = undefined;
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };

  try {
    let authYaml = '';
    if (auth === 'basic') {
      const htpasswdFile = path.join(dir, 'htpasswd');
      // bcrypt, the only hash distribution's htpasswd accepts.
      writeFileSync(htpasswdFile, run(HTPASSWD_BIN, ['-nbB', user!, password!]).trim() + '\n');
      authYaml = `auth:\n  htpasswd:\n    realm: berth-test-registry\n    path: ${htpasswdFile}\n`;
    } else if (auth === 'token') {
      const keyFile = path.join(dir, 'token-key.pem');
      const certFile = path.join(dir, 'token-cert.pem');
      run(OPENSSL_BIN, [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
        '-subj', `/CN=${issuer}`, '-keyout', keyFile, '-out', certFile,
      ]);
      const key = createPrivateKey(readFileSync(keyFile));
      const certDer = new X509Certificate(readFileSync(certFile)).raw;
      tokenServer = await startTokenServer({
        key,
        certDer,
        service,
        issuer,
        user: user!,
        password: password!,
        anonymousPull: opts.anonymousPull ?? false,
        expiresIn: opts.tokenExpiresIn ?? 300,
      });
      authYaml =
        `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: ${service}\n` +
        `    issuer: ${issuer}\n    rootcertbundle: ${certFile}\n`;
    }
    const launched = await launchRegistry(dir, storage, authYaml, logFile);
    child = launched.child;
    const host = `127.0.0.1:${launched.port}`;
    const ts = tokenServer;
    return {
      host,
      url: `http://${host}`,
      auth,
      user,
      password,
      realm: ts?.realm,
      service: ts ? service : undefined,
      issuer: ts ? issuer : undefined,
      storageDir: storage,
      logFile,
      tokensIssued: () => ts?.issued() ?? 0,
      tokenRequests: () => ts?.requests() ?? [],
      async authorization(scope) {
        if (auth === 'basic') return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
        if (ts) return `Bearer ${await ts.tokenFor(scope)}`;
        return undefined;
      },
      logTail: (lines) => tail(logFile, lines),
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

