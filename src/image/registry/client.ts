/**
 * The HTTP side of the OCI distribution API for pulls: manifests and blobs, with the
 * registry's auth challenge answered and every byte checked against its digest by the
 * caller or here. HTTPS always; plain HTTP only for loopback registries and those the
 * user listed as insecure (after HTTPS failed, as docker does).
 */
import { registryFetch } from './registry-fetch.js';
import { createHash } from 'node:crypto';
import { BerthError, InvalidArgumentError, NotFoundError, PermissionDeniedError, UnavailableError } from '../../errors.js';
import { describeFetchFailure } from './auth.js';
import { DOCKER_HUB, DOCKER_HUB_API } from '../reference.js';
import { MANIFEST_ACCEPT } from './manifest.js';

/** Answers a registry's `WWW-Authenticate` challenge with an `Authorization` header value. */
export interface RegistryAuth {
  authorize(challenge: string, scope: string | undefined, registryHost: string): Promise<string | undefined>;
  /** Forgets a cached answer the registry refused. */
  invalidate?(authorization: string): void;
}

export interface RegistryClientOptions {
  auth?: RegistryAuth;
  /** Registries (`host[:port]`) that may be reached over plain HTTP. Loopback ones always may. */
  insecureRegistries?: readonly string[];
  userAgent?: string;
  fetch?: typeof fetch;
}

export interface RequestSpec {
  method?: string;
  /** Made anew for each attempt: a body that answered an auth challenge cannot be read again. */
  body?: () => BodyInit;
}

export interface FetchedManifest {
  bytes: Buffer;
  /** sha256 of the bytes: what the manifest is called by digest. */
  digest: string;
  contentType: string | undefined;
}

/** Manifests are small documents; anything larger is not one. */
const MAX_MANIFEST_BYTES = 4 << 20;
const RESUME_ATTEMPTS = 3;

/** `$BERTH_INSECURE_REGISTRIES`: comma-separated `host[:port]`s that may be reached over plain HTTP. */
export function insecureRegistriesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env['BERTH_INSECURE_REGISTRIES'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
}

async function registryErrorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as RegistryErrorBody;
    const first = body.errors?.[0];
    if (first) return [first.code?.toLowerCase().replace(/_/g, ' '), first.message].filter((x) => x).join(': ');
  } catch {
    // not JSON: the status says it
  }
  return `${res.status} ${res.statusText}`.trim();
}

export class RegistryClient {
  private readonly fetchFn: typeof fetch;
  private readonly insecure: Set<string>;
  /** The scheme that worked for a host. */
  private readonly schemes = new Map<string, 'https' | 'http'>();
  /** The Authorization that last worked, per host and scope: later requests skip the challenge. */
  private readonly authorizations = new Map<string, string>();

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.fetchFn = opts.fetch ?? registryFetch();
    this.insecure = new Set(opts.insecureRegistries ?? []);
  }

  /** Docker Hub's name is not where its API answers. */
  static apiHost(registry: string): string {
    return registry === DOCKER_HUB || registry === 'index.docker.io' ? DOCKER_HUB_API : registry;
  }

  private mayUseHttp(host: string): boolean {
    return isLoopbackHost(host) || this.insecure.has(host);
  }

  private async send(host: string, path: string, headers: Record<string, string>, request: RequestSpec = {}): Promise<Response> {
    const init = (): RequestInit => ({
      method: request.method ?? 'GET',
      headers: { 'User-Agent': this.opts.userAgent ?? 'berth', ...headers },
      redirect: 'follow',
      ...(request.body ? { body: request.body(), duplex: 'half' } : {}),
    });
    // An upload's Location may be a whole URL (on another host, even).
    if (/^https?:\/\//.test(path)) return this.fetchFn(path, init());
    const known = this.schemes.get(host);
    if (known) return this.fetchFn(`${known}://${host}${path}`, init());
    try {
      const res = await this.fetchFn(`https://${host}${path}`, init());
      this.schemes.set(host, 'https');
      return res;
    } catch (err) {
      if (!this.mayUseHttp(host)) throw err;
      const res = await this.fetchFn(`http://${host}${path}`, init());
      this.schemes.set(host, 'http');
      return res;
    }
  }

  /**
   * A GET with the registry's auth: a 401 is answered once through the challenge, and
   * the header that worked is kept for the next request of the same scope.
   */
  private async get(registry: string, path: string, scope: string, headers: Record<string, string> = {}, request: RequestSpec = {}): Promise<Response> {
    const host = RegistryClient.apiHost(registry);
    const key = `${host} ${scope}`;
    const cached = this.authorizations.get(key);
    let res: Response;
    try {
      res = await this.send(host, path, cached ? { ...headers, Authorization: cached } : headers, request);
      if (res.status === 401 && this.opts.auth) {
        const challenge = res.headers.get('www-authenticate');
        await res.body?.cancel();
        if (cached) {
          this.authorizations.delete(key);
          this.opts.auth.invalidate?.(cached);
        }
        if (challenge) {
          const authorization = await this.opts.auth.authorize(challenge, scope, registry);
          if (authorization) {
            res = await this.send(host, path, { ...headers, Authorization: authorization }, request);
            if (res.status !== 401) this.authorizations.set(key, authorization);
          }
        }
      }
    } catch (err) {
      // Errors of the token server or the credentials file say themselves what went wrong.
      if (err instanceof BerthError) throw err;
      throw new UnavailableError(`cannot reach registry ${registry}: ${describeFetchFailure(err)}`, { cause: err });
    }
    return res;
  }

  /** Any request with the registry's auth; for pushes (scope `repository:NAME:pull,push`). */
  async request(registry: string, path: string, scope: string, headers: Record<string, string>, request: RequestSpec): Promise<Response> {
    return this.get(registry, path, scope, headers, request);
  }

  /** The URL path (or whole URL) a registry answered in Location, with `extra` query parameters added. */
  static withQuery(location: string, extra: Record<string, string>): string {
    const base = /^https?:\/\//.test(location) ? undefined : 'http://registry.invalid';
    const url = new URL(location, base);
    for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
    return base ? `${url.pathname}${url.search}` : url.toString();
  }

  /** The manifest of repository at a tag or digest, verified against the digest when one was asked for. */
  async getManifest(registry: string, repository: string, reference: string, what: string): Promise<FetchedManifest> {
    const res = await this.get(registry, `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull`, {
      Accept: MANIFEST_ACCEPT.join(', '),
    });
    if (!res.ok) throw await this.httpError(res, what, 'manifest');
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, `the manifest of ${what}`);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new InvalidArgumentError(`manifest verification failed for ${what}: expected ${reference}, got ${digest}`);
    }
    const claimed = res.headers.get('docker-content-digest');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new InvalidArgumentError(`manifest verification failed for ${what}: the registry says ${claimed}, the content is ${digest}`);
    }
    return { bytes, digest, contentType: res.headers.get('content-type') ?? undefined };
  }

  /** A small blob (an image config) in memory, verified. */
  async getBlobBytes(registry: string, repository: string, digest: string, maxBytes: number, what: string): Promise<Buffer> {
    const res = await this.get(registry, `/v2/${repository}/blobs/${digest}`, `repository:${repository}:pull`);
    if (!res.ok) throw await this.httpError(res, what, 'blob');
    const bytes = await readLimited(res, maxBytes, what);
    const got = sha256Digest(bytes);
    if (got !== digest) throw new InvalidArgumentError(`${what}: digest mismatch: expected ${digest}, got ${got}`);
    return bytes;
  }

  /**
   * A blob's bytes as they arrive; a connection that breaks is resumed with a Range
   * request where the registry allows it. The caller verifies the digest.
   */
  async *streamBlob(registry: string, repository: string, digest: string, what: string, onBytes?: (n: number) => void): AsyncGenerator<Uint8Array> {
    let offset = 0;
    for (let attempt = 0; ; attempt++) {
      const res = await this.get(registry, `/v2/${repository}/blobs/${digest}`, `repository:${repository}:pull`, offset > 0 ? { Range: `bytes=${offset}-` } : {});
      if (offset > 0 && res.status !== 206) {
        await res.body?.cancel();
        throw new UnavailableError(`${what}: the download broke off and the registry cannot resume it`);
      }
      if (!res.ok) throw await this.httpError(res, what, 'blob');
      if (!res.body) throw new UnavailableError(`${what}: the registry sent no content`);
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          offset += chunk.length;
          onBytes?.(chunk.length);
          yield chunk;
        }
        return;
      } catch (err) {
        if (attempt + 1 >= RESUME_ATTEMPTS) throw new UnavailableError(`${what}: download failed: ${describeFetchFailure(err)}`, { cause: err });
      }
    }
  }

  async httpError(res: Response, what: string, kind: 'manifest' | 'blob'): Promise<Error> {
    const detail = await registryErrorText(res);
    if (res.status === 404) {
      return new NotFoundError(kind === 'manifest' ? `manifest for ${what} not found: ${detail}` : `${what} not found: ${detail}`);
    }
    if (res.status === 401 || res.status === 403) {
      return new PermissionDeniedError(`pull access denied for ${what}, repository does not exist or may require 'berth login': ${detail}`);
    }
    if (res.status === 429) return new UnavailableError(`toomanyrequests: the registry limits pulls: ${detail}`);
    return new UnavailableError(`error from registry for ${what}: ${detail}`);
  }
}

async function readLimited(res: Response, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel();
    throw new InvalidArgumentError(`${what} is too large (${declared} bytes)`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (res.body) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > max) throw new InvalidArgumentError(`${what} is too large (more than ${max} bytes)`);
      chunks.push(Buffer.from(chunk));
    }
  }
  return Buffer.concat(chunks);
}
