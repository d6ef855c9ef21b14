/**
 * Checks credentials against a registry the way `docker login` does: GET `/v2/`, answer
 * the challenge (Basic with the credentials, or a Bearer token for no scope at all) and
 * ask again. Plain HTTP only for registries the caller says may use it, and only after
 * HTTPS failed, as docker and the registry client do.
 */
import { registryFetch } from './registry-fetch.js';
import { PermissionDeniedError, UnavailableError } from '../../errors.js';
import { DOCKER_HUB_API } from '../reference.js';
import { Authenticator, describeFetchFailure, type RegistryCredentials } from './auth.js';
import { isDockerHub, serverHost } from './credentials.js';

export interface CheckLoginOptions {
  /** Whether a registry (`host[:port]`) may be reached over plain HTTP. */
  insecure: (host: string) => boolean;
  fetch?: typeof fetch;
  userAgent?: string;
}

const LOGIN_TIMEOUT_MS = 30_000;
const REFUSED = 'unauthorized: incorrect username or password';

/** The host a registry's API answers on: Docker Hub's names are not it. */
export function registryApiHost(server: string): string {
  return isDockerHub(server) ? DOCKER_HUB_API : serverHost(server);
}

/** Resolves when the registry accepts the credentials; throws PermissionDeniedError when it refuses them. */
export async function checkLogin(host: string, credentials: RegistryCredentials, opts: CheckLoginOptions): Promise<void> {
  const apiHost = registryApiHost(host);
  const fetchFn = opts.fetch ?? registryFetch();
  const headers: Record<string, string> = opts.userAgent ? { 'User-Agent': opts.userAgent } : {};
  const get = (url: string, authorization?: string): Promise<Response> =>
    fetchFn(url, {
      headers: authorization ? { ...headers, Authorization: authorization } : headers,
      signal: AbortSignal.timeout(LOGIN_TIMEOUT_MS),
    });

  let url = `https://${apiHost}/v2/`;
  let res: Response;
  try {
    res = await get(url);
  } catch (err) {
    if (!opts.insecure(apiHost)) throw unreachable(url, err);
    url = `http://${apiHost}/v2/`;
    try {
      res = await get(url);
    } catch (httpErr) {
      throw unreachable(url, httpErr);
    }
  }
  await res.body?.cancel();
  if (res.ok) return;
  if (res.status === 403) throw new PermissionDeniedError(unexpected(url, res).message);
  if (res.status !== 401) throw unexpected(url, res);

  const challenge = res.headers.get('www-authenticate');
  const auth = new Authenticator({
    credentials: () => credentials,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
  });
  const authorization = challenge ? await auth.authorize(challenge, undefined, apiHost) : undefined;
  // No challenge berth can answer with these credentials: docker's words for it.
  if (!authorization) throw new PermissionDeniedError(unexpected(url, res).message);

  try {
    res = await get(url, authorization);
  } catch (err) {
    throw unreachable(url, err);
  }
  await res.body?.cancel();
  if (res.ok) return;
  if (res.status === 401 || res.status === 403) throw new PermissionDeniedError(REFUSED);
  throw unexpected(url, res);
}

function unreachable(url: string, err: unknown): UnavailableError {
  return new UnavailableError(`Get "${url}": ${describeFetchFailure(err)}`);
}

function unexpected(url: string, res: Response): UnavailableError {
  return new UnavailableError(`login attempt to ${url} failed with status: ${`${res.status} ${res.statusText}`.trim()}`);
}
