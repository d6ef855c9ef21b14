/**
 * Registry credentials in docker's `config.json` format, so that `--config ~/.docker` makes
 * the credentials of `docker login` work in berth and the other way round:
 *
 *     { "auths": { "https://index.docker.io/v1/": { "auth": base64("user:pass") },
 *                  "localhost:5000": { "auth": "…", "identitytoken": "…" } } }
 *
 * Docker Hub's credentials live under its legacy index URL whatever name it is given by;
 * other registries under `host[:port]`. Keys written by older docker versions with a
 * scheme or a path (`http://localhost:5000/v2/`) are found by their host too.
 *
 * Credential helpers (`credsStore`, `credHelpers`) are programs berth does not run: a
 * server whose credentials are kept by one is an error, never silently anonymous.
 *
 * The file is small and read only when a registry asks for credentials, so reads and
 * writes are synchronous: the Authenticator's credentials callback is.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { InvalidArgumentError, isSystemError } from '../../errors.js';
import { writeFileAtomicSync } from '../../util/atomic-file.js';
import type { RegistryCredentials } from './auth.js';

export const CONFIG_FILE_NAME = 'config.json';
/** Where docker keeps Docker Hub's credentials, whichever of its names the user typed. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

const authEntrySchema = z
  .object({
    auth: z.string().optional(),
    identitytoken: z.string().optional(),
  })
  .passthrough();

const configFileSchema = z
  .object({
    auths: z.record(authEntrySchema).optional(),
    credsStore: z.string().optional(),
    credHelpers: z.record(z.string()).optional(),
  })
  .passthrough();

type ConfigFile = z.infer<typeof configFileSchema>;

interface ReadConfig {
  config: ConfigFile;
  /** The file as parsed, written back with one change: zod's copy would reorder its keys. */
  raw: Record<string, unknown>;
}

/** `--config DIR`, else `$BERTH_CONFIG`, else `~/.berth`. */
export function resolveConfigDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return path.resolve(flag);
  const fromEnv = env['BERTH_CONFIG'];
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(homedir(), '.berth');
}

export function configFilePath(configDir: string): string {
  return path.join(configDir, CONFIG_FILE_NAME);
}

/** `host[:port]` of a server as a user or a config key gives it: scheme and path dropped. */
export function serverHost(server: string): string {
  const withoutScheme = server.trim().replace(/^https?:\/\//i, '');
  const slash = withoutScheme.indexOf('/');
  return slash >= 0 ? withoutScheme.slice(0, slash) : withoutScheme;
}

export function isDockerHub(server: string): boolean {
  return DOCKER_HUB_HOSTS.has(serverHost(server).toLowerCase());
}

/** The `auths` key a server's credentials are written under. */
export function credentialKey(server: string): string {
  return isDockerHub(server) ? DOCKER_HUB_AUTH_KEY : serverHost(server);
}

/** Whether a key of the file names the same registry as server (host names compare case-insensitively). */
function sameServer(key: string, server: string): boolean {
  if (isDockerHub(server)) return isDockerHub(key);
  return serverHost(key).toLowerCase() === serverHost(server).toLowerCase();
}

function readConfigFile(file: string): ReadConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return { config: {}, raw: {} };
    throw err;
  }
  if (text.trim() === '') return { config: {}, raw: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error: that could be a password.
    throw new InvalidArgumentError(`loading ${file}: not valid JSON`);
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidArgumentError(`loading ${file}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  // The schema accepted it, so it is an object and its auths, if any, one too.
  return { config: parsed.data, raw: json as Record<string, unknown> };
}

function rawAuths(raw: Record<string, unknown>): Record<string, unknown> {
  raw['auths'] ??= {};
  return raw['auths'] as Record<string, unknown>;
}

/** The helper that keeps server's credentials, if any: a per-server credHelpers entry, or credsStore for a server it holds. */
function helperFor(config: ConfigFile, server: string, hasEntryWithoutSecret: boolean): string | undefined {
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) if (sameServer(key, server)) return helper;
  // With credsStore, docker login leaves an empty auths entry behind: the helper has the secret.
  if (config.credsStore && hasEntryWithoutSecret) return config.credsStore;
  return undefined;
}

function helperError(file: string, server: string, helper: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `credential helpers are not supported: ${file} names docker-credential-${helper} for the credentials of ${server}`,
  );
}

function decodeAuth(file: string, key: string, auth: string): { username: string; password: string } {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidArgumentError(`loading ${file}: invalid "auth" for ${key}`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface LoadedCredentials {
  /** The config file they come from. */
  readonly file: string;
  /** Keys of `auths` that hold credentials. */
  readonly servers: readonly string[];
  /**
   * The credentials for a registry (`docker.io`, `localhost:5000`, a config key), or
   * undefined; throws when a credential helper keeps them.
   */
  lookup(registryHost: string): RegistryCredentials | undefined;
}

export function loadCredentials(configDir: string): LoadedCredentials {
  const file = configFilePath(configDir);
  const { config } = readConfigFile(file);
  const auths = config.auths ?? {};
  return {
    file,
    servers: Object.keys(auths).filter((k) => auths[k]?.auth || auths[k]?.identitytoken),
    lookup(registryHost: string): RegistryCredentials | undefined {
      // The exact key first, as docker; then keys that name the same host another way.
      const wanted = credentialKey(registryHost);
      const keys = Object.keys(auths).filter((k) => sameServer(k, registryHost));
      keys.sort((a, b) => Number(b === wanted) - Number(a === wanted));
      let bare = false;
      for (const key of keys) {
        const entry = auths[key]!;
        if (entry.identitytoken) return { identityToken: entry.identitytoken };
        if (entry.auth) return decodeAuth(file, key, entry.auth);
        bare = true;
      }
      const helper = helperFor(config, registryHost, bare);
      if (helper) throw helperError(file, credentialKey(registryHost), helper);
      return undefined;
    },
  };
}

export function credentialsFor(configDir: string, registryHost: string): RegistryCredentials | undefined {
  return loadCredentials(configDir).lookup(registryHost);
}

/**
 * Rewrites the config file with one change, keeping every other key as it was. A
 * symlinked config.json (dotfile managers) is written through, not replaced.
 */
function writeConfigFile(file: string, raw: Record<string, unknown>): void {
  let target = file;
  try {
    target = realpathSync(file);
  } catch (err) {
    if (!isSystemError(err, 'ENOENT')) throw err;
  }
  writeFileAtomicSync(target, JSON.stringify(raw, null, '\t'), 0o600);
}

/** Saves credentials for a server (`docker.io`, `localhost:5000`, `https://host/v2/`). */
export function storeCredentials(configDir: string, server: string, credentials: { username: string; password: string }): void {
  const file = configFilePath(configDir);
  const { config, raw } = readConfigFile(file);
  const key = credentialKey(server);
  const helper = helperFor(config, server, config.credsStore !== undefined);
  if (helper) throw helperError(file, key, helper);
  // Replaces the whole entry, as docker login does: an old identity token must not outrank the new password.
  rawAuths(raw)[key] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64') };
  writeConfigFile(file, raw);
}

/** Removes a server's credentials under every key that names it; false when there were none. */
export function eraseCredentials(configDir: string, server: string): boolean {
  const file = configFilePath(configDir);
  const { config, raw } = readConfigFile(file);
  const auths = config.auths ?? {};
  const keys = Object.keys(auths).filter((k) => sameServer(k, server));
  const bare = keys.some((k) => !auths[k]?.auth && !auths[k]?.identitytoken);
  const helper = helperFor(config, server, bare);
  if (helper) throw helperError(file, credentialKey(server), helper);
  if (keys.length === 0) return false;
  const stored = rawAuths(raw);
  for (const key of keys) delete stored[key];
  writeConfigFile(file, raw);
  return true;
}
