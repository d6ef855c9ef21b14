/**
 * Answers a registry's `WWW-Authenticate` challenge, as docker does: Basic with the stored
 * credentials, or Bearer through the registry's token server (the distribution token
 * spec): a GET with the credentials as Basic auth (or none, for anonymous pulls), or the
 * OAuth2 refresh-token POST when the credential is an identity token.
 *
 * Tokens are kept until shortly before they expire, per realm, service, scopes and
 * credential, and callers asking for the same token at once share one request: a pull
 * asks for every layer of an image together.
 *
 * Secrets (passwords, identity tokens, tokens, Authorization values) never go into an
 * error message, even when a token server echoes them back in its error text.
 */
import { registryFetch } from './registry-fetch.js';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PermissionDeniedError, UnavailableError, errorMessage } from '../../errors.js';
import { parseChallenges } from './auth-challenge.js';

export type RegistryCredentials = { username: string; password: string } | { identityToken: string };

export interface AuthenticatorOptions {
  /** The credentials for a registry (`docker.io`, `localhost:5000`); undefined for anonymous access. */
  credentials: (registryHost: string) => RegistryCredentials | undefined;
  fetch?: typeof fetch;
  userAgent?: string;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  now?: () => number;
}

/** What the token spec says a token lives when the server does not say. */
const DEFAULT_TOKEN_LIFETIME_S = 60;
/** A token is fetched anew this long before it expires (at most a tenth of its life), so none expires in flight. */
const EXPIRY_MARGIN_MS = 10_000;
const TOKEN_TIMEOUT_MS = 30_000;
/** Token answers are small JSON documents; a larger one is not an answer. */
const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;
/** Above this many cached tokens, expired ones are dropped as new ones come. */
const CACHE_SWEEP_SIZE = 256;
/**
 * The OAuth2 client id sent with a refresh token. Docker sends "docker", and token servers
 * may bind a refresh token to the client it was issued to: identity tokens that `docker
 * login` stored must keep working when berth reads docker's config.
 */
const OAUTH_CLIENT_ID = 'docker';
const MAX_ERROR_TEXT = 200;

const tokenResponseSchema = z.object({
  token: z.string().optional().catch(undefined),
  access_token: z.string().optional().catch(undefined),
  expires_in: z.number().optional().catch(undefined),
  issued_at: z.string().optional().catch(undefined),
});

const errorBodySchema = z.object({
  errors: z.array(z.object({ code: z.string().optional().catch(undefined), message: z.string().optional().catch(undefined) }).passthrough()).optional().catch(undefined),
  details: z.string().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
  error_description: z.string().optional().catch(undefined),
});

interface CachedToken {
  authorization: string;
  refreshAt: number;
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * Scopes as a set: split on spaces (OAuth2's separator), actions of one resource merged
 * (`repository:a:pull` + `repository:a:push` → `repository:a:pull,push`) and sorted, so
 * the same request in another order finds the same cached token.
 */
export function normalizeScopes(scopes: readonly string[]): string[] {
  const actions = new Map<string, Set<string>>();
  for (const scope of scopes.flatMap((s) => s.split(' ')).filter((s) => s !== '')) {
    const first = scope.indexOf(':');
    const last = scope.lastIndexOf(':');
    // `type:name:actions`; a name may itself hold colons, the actions never do.
    const resource = first >= 0 && last > first ? scope.slice(0, last) : scope;
    const set = actions.get(resource) ?? new Set<string>();
    if (resource !== scope) for (const a of scope.slice(last + 1).split(',')) if (a !== '') set.add(a);
    actions.set(resource, set);
  }
  return [...actions]
    .map(([resource, set]) => (set.size > 0 ? `${resource}:${[...set].sort().join(',')}` : resource))
    .sort();
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** fetch's own errors say "fetch failed"; the cause says why (ECONNREFUSED, a TLS failure). */
export function describeFetchFailure(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  return errorMessage(cause ?? err);
}

/** Removes every secret from text a server sent, in the forms it could echo them in. */
class SecretScrubber {
  private readonly secrets = new Set<string>();

  add(secret: string): void {
    if (secret === '') return;
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64')]) this.secrets.add(form);
  }

  scrub(text: string): string {
    // Longest first: a secret that contains another is removed whole.
    let out = text;
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
    return out;
  }
}

/** Server text in a message: one line, not too long. Scrub secrets first, so a cut cannot leave half of one. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ERROR_TEXT ? `${flat.slice(0, MAX_ERROR_TEXT)}…` : flat;
}

/** Where a token server is, for messages: no query (scopes, account), no userinfo. */
function describeRealm(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

async function readLimitedText(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > MAX_TOKEN_RESPONSE_BYTES) {
      throw new UnavailableError(`the token server's answer is too large (more than ${MAX_TOKEN_RESPONSE_BYTES} bytes)`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The error text of a token server's JSON answer, in docker's `code: message` form. */
function serverErrorText(body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { errors, details, error, error_description: description } = parsed.data;
  const first = errors?.[0];
  if (first?.message) return first.code ? `${first.code.toLowerCase().replace(/_/g, ' ')}: ${first.message}` : first.message;
  if (details) return details;
  if (description) return description;
  return error;
}

export class Authenticator {
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly opts: AuthenticatorOptions) {
    this.fetchFn = opts.fetch ?? registryFetch();
    this.now = opts.now ?? Date.now;
  }

  /**
   * The `Authorization` value to retry a request with, or undefined when the challenge
   * cannot be answered (Basic without credentials, or a scheme berth does not speak).
   * `scope` may hold several scopes separated by spaces; a scope the challenge names
   * (a registry's `insufficient_scope` answer) is asked for too.
   */
  async authorize(challengeHeader: string, scope: string | readonly string[] | undefined, registryHost: string): Promise<string | undefined> {
    const challenges = parseChallenges(challengeHeader);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (!bearer && !basic) return undefined;
    const credentials = this.opts.credentials(registryHost);
    if (bearer) {
      const requested = scope === undefined ? [] : typeof scope === 'string' ? [scope] : [...scope];
      if (bearer.params['scope']) requested.push(bearer.params['scope']);
      return this.bearer(registryHost, bearer.params, normalizeScopes(requested), credentials, bearer.params['error'] === 'invalid_token');
    }
    if (credentials && 'username' in credentials) return basicAuthorization(credentials.username, credentials.password);
    return undefined;
  }

  /** Forgets a token the registry refused, so the next authorize fetches a fresh one. */
  invalidate(authorization: string): void {
    for (const [key, cached] of this.tokens) if (cached.authorization === authorization) this.tokens.delete(key);
  }

  private bearer(
    registryHost: string,
    params: Record<string, string>,
    scopes: string[],
    credentials: RegistryCredentials | undefined,
    refused: boolean,
  ): Promise<string> {
    const realm = params['realm'];
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new UnavailableError(`registry ${registryHost} sent a Bearer challenge without a valid realm`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new UnavailableError(`registry ${registryHost} sent a Bearer challenge with a realm that is not an http(s) URL`);
    }
    const service = params['service'];
    const key = JSON.stringify([url.href, service ?? '', scopes.join(' '), credentialIdentity(credentials)]);
    // The registry says the token it was sent is no good: do not hand it out again.
    if (refused) this.tokens.delete(key);
    const cached = this.tokens.get(key);
    if (cached && cached.refreshAt > this.now()) return Promise.resolve(cached.authorization);
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const request = this.fetchToken(url, service, scopes, credentials)
      .then(({ token, refreshAt }) => {
        const authorization = `Bearer ${token}`;
        this.remember(key, { authorization, refreshAt });
        return authorization;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, request);
    return request;
  }

  private remember(key: string, token: CachedToken): void {
    const now = this.now();
    if (token.refreshAt <= now) return;
    if (this.tokens.size >= CACHE_SWEEP_SIZE) {
      for (const [k, t] of this.tokens) if (t.refreshAt <= now) this.tokens.delete(k);
    }
    this.tokens.set(key, token);
  }

  private async fetchToken(
    realm: URL,
    service: string | undefined,
    scopes: string[],
    credentials: RegistryCredentials | undefined,
  ): Promise<{ token: string; refreshAt: number }> {
    const secrets = new SecretScrubber();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.opts.userAgent) headers['User-Agent'] = this.opts.userAgent;
    const url = new URL(realm);
    let init: RequestInit;
    if (credentials && 'identityToken' in credentials) {
      secrets.add(credentials.identityToken);
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: OAUTH_CLIENT_ID });
      if (service) form.set('service', service);
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init = { method: 'POST', headers, body: form.toString() };
    } else {
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (credentials) {
        secrets.add(credentials.password);
        const authorization = basicAuthorization(credentials.username, credentials.password);
        secrets.add(authorization.slice('Basic '.length));
        url.searchParams.set('account', credentials.username);
        headers['Authorization'] = authorization;
      }
      init = { method: 'GET', headers };
    }

    const where = describeRealm(url);
    let res: Response;
    let body: string;
    try {
      res = await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS) });
      body = await readLimitedText(res);
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      throw new UnavailableError(`getting a token from ${where}: ${oneLine(secrets.scrub(describeFetchFailure(err)))}`);
    }

    if (res.status === 401 || res.status === 403) {
      const text = serverErrorText(body);
      throw new PermissionDeniedError(oneLine(secrets.scrub(text ? withCode(text) : refusedMessage(credentials))));
    }
    if (!res.ok) {
      const text = serverErrorText(body);
      const status = `${res.status} ${res.statusText}`.trim();
      throw new UnavailableError(`getting a token from ${where}: ${status}${text ? `: ${oneLine(secrets.scrub(text))}` : ''}`);
    }

    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new UnavailableError(`getting a token from ${where}: the answer is not JSON`);
    }
    const parsed = tokenResponseSchema.safeParse(json);
    const token = parsed.success ? parsed.data.token || parsed.data.access_token : undefined;
    if (!parsed.success || !token) throw new UnavailableError(`getting a token from ${where}: the answer holds no token`);
    return { token, refreshAt: this.refreshTime(parsed.data.expires_in, parsed.data.issued_at) };
  }

  /**
   * When to stop using a token: its life counts from issued_at when the server gives one.
   * A server clock ahead of ours would make the token look fresher than it is, so a
   * future issued_at counts from now.
   */
  private refreshTime(expiresIn: number | undefined, issuedAt: string | undefined): number {
    const now = this.now();
    const lifetimeMs = (expiresIn !== undefined && expiresIn > 0 ? expiresIn : DEFAULT_TOKEN_LIFETIME_S) * 1000;
    const issued = issuedAt === undefined ? NaN : Date.parse(issuedAt);
    const start = Number.isFinite(issued) && issued <= now ? issued : now;
    return start + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10);
  }
}

/** Tells credentials apart in cache keys without keeping a secret in them. */
function credentialIdentity(credentials: RegistryCredentials | undefined): string {
  if (!credentials) return 'anonymous';
  if ('identityToken' in credentials) return `refresh:${sha256(credentials.identityToken)}`;
  return `basic:${sha256(`${credentials.username}\0${credentials.password}`)}`;
}

/** Docker's words: a server's bare text is prefixed with the kind of failure. */
function withCode(text: string): string {
  return /^[a-z][a-z ]*: /.test(text) ? text : `unauthorized: ${text}`;
}

function refusedMessage(credentials: RegistryCredentials | undefined): string {
  if (!credentials) return 'unauthorized: authentication required';
  if ('identityToken' in credentials) return 'unauthorized: the identity token was refused';
  return 'unauthorized: incorrect username or password';
}
