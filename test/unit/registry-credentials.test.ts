import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import {
  DOCKER_HUB_AUTH_KEY,
  credentialKey,
  credentialsFor,
  eraseCredentials,
  loadCredentials,
  resolveConfigDir,
  serverHost,
  storeCredentials,
} from '../../src/image/registry/credentials.js';
import { InvalidArgumentError } from '../../src/errors.js';

let base: string;
let dir: string;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'berth-creds-'));
  dir = path.join(base, 'config');
});
afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function file(): string {
  return path.join(dir, 'config.json');
}
function readFile(): Record<string, unknown> & { auths: Record<string, Record<string, unknown>> } {
  return JSON.parse(readFileSync(file(), 'utf8')) as Record<string, unknown> & { auths: Record<string, Record<string, unknown>> };
}
function writeFile(content: unknown): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(file(), typeof content === 'string' ? content : JSON.stringify(content));
}
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('server names', () => {
  it('strips scheme and path, and files every Docker Hub name under the index URL', () => {
    expect(serverHost('https://localhost:5000/v2/')).toBe('localhost:5000');
    expect(serverHost('http://Reg.example.com')).toBe('Reg.example.com');
    expect(serverHost('reg.example.com:443/some/path')).toBe('reg.example.com:443');
    for (const hub of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'https://registry-1.docker.io/v2/']) {
      expect(credentialKey(hub)).toBe(DOCKER_HUB_AUTH_KEY);
    }
    expect(credentialKey('https://localhost:5000/v2/')).toBe('localhost:5000');
  });

  it('finds the config dir from --config, then BERTH_CONFIG, then ~/.berth', () => {
    expect(resolveConfigDir('/x/dir', { BERTH_CONFIG: '/y' })).toBe('/x/dir');
    expect(resolveConfigDir(undefined, { BERTH_CONFIG: '/y' })).toBe('/y');
    expect(resolveConfigDir(undefined, {})).toBe(path.join(homedir(), '.berth'));
  });
});

describe('credentials file', () => {
  it('round-trips credentials in docker\'s format, 0600 in a 0700 dir, atomically', () => {
    storeCredentials(dir, 'localhost:5000', { username: 'alice', password: 'pa:ss wörd' });
    expect(readFile()).toEqual({ auths: { 'localhost:5000': { auth: b64('alice:pa:ss wörd') } } });
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toEqual(['config.json']);
    expect(credentialsFor(dir, 'localhost:5000')).toEqual({ username: 'alice', password: 'pa:ss wörd' });
    expect(credentialsFor(dir, 'LOCALHOST:5000')).toEqual({ username: 'alice', password: 'pa:ss wörd' });
    expect(credentialsFor(dir, 'localhost:5001')).toBeUndefined();
  });

  it('reads nothing from a missing or empty file', () => {
    expect(credentialsFor(dir, 'docker.io')).toBeUndefined();
    expect(loadCredentials(dir).servers).toEqual([]);
    writeFile('  \n');
    expect(credentialsFor(dir, 'docker.io')).toBeUndefined();
  });

  it('keeps the other keys of the file as they were', () => {
    const before = {
      psFormat: 'table {{.ID}}',
      auths: { 'other.example.com': { auth: b64('bob:pw'), email: 'bob@example.com' }, 'localhost:5000': { auth: b64('old:old'), identitytoken: 'stale' } },
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      currentContext: 'default',
      experimental: 'enabled',
    };
    writeFile(before);
    storeCredentials(dir, 'localhost:5000', { username: 'alice', password: 'new' });
    const after = readFile();
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after['psFormat']).toBe(before.psFormat);
    expect(after['proxies']).toEqual(before.proxies);
    expect(after['currentContext']).toBe('default');
    expect(after['experimental']).toBe('enabled');
    expect(after.auths['other.example.com']).toEqual(before.auths['other.example.com']);
    // The new password replaces the whole entry: a stale identity token must not win over it.
    expect(after.auths['localhost:5000']).toEqual({ auth: b64('alice:new') });
    expect(credentialsFor(dir, 'localhost:5000')).toEqual({ username: 'alice', password: 'new' });
  });

  it('keeps Docker Hub credentials under https://index.docker.io/v1/, found by any of its names', () => {
    storeCredentials(dir, 'docker.io', { username: 'hubuser', password: 'hubpass' });
    expect(Object.keys(readFile().auths)).toEqual([DOCKER_HUB_AUTH_KEY]);
    for (const name of ['docker.io', 'index.docker.io', 'registry-1.docker.io', DOCKER_HUB_AUTH_KEY]) {
      expect(credentialsFor(dir, name)).toEqual({ username: 'hubuser', password: 'hubpass' });
    }
    storeCredentials(dir, 'registry-1.docker.io', { username: 'hubuser', password: 'changed' });
    expect(Object.keys(readFile().auths)).toEqual([DOCKER_HUB_AUTH_KEY]);
  });

  it('stores a server given as a URL by its host, and finds keys older docker versions wrote', () => {
    storeCredentials(dir, 'https://reg.example.com:5000/v2/', { username: 'u', password: 'p' });
    expect(Object.keys(readFile().auths)).toEqual(['reg.example.com:5000']);
    writeFile({ auths: { 'http://legacy:5000/v1/': { auth: b64('l:p1') }, legacy: { auth: b64('other:port') } } });
    expect(credentialsFor(dir, 'legacy:5000')).toEqual({ username: 'l', password: 'p1' });
    // The exact key wins over another spelling of the same host.
    writeFile({ auths: { 'https://legacy:5000': { auth: b64('a:1') }, 'legacy:5000': { auth: b64('b:2') } } });
    expect(credentialsFor(dir, 'legacy:5000')).toEqual({ username: 'b', password: '2' });
  });

  it('returns an identity token when the file has one', () => {
    writeFile({ auths: { 'acr.example.io': { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'refresh-me' } } });
    expect(credentialsFor(dir, 'acr.example.io')).toEqual({ identityToken: 'refresh-me' });
    expect(loadCredentials(dir).servers).toEqual(['acr.example.io']);
  });

  it('erases a server under every key that names it', () => {
    writeFile({ auths: { 'localhost:5000': { auth: b64('a:b') }, 'http://localhost:5000': { auth: b64('c:d') }, 'keep:1': { auth: b64('e:f') } }, other: 1 });
    expect(eraseCredentials(dir, 'https://localhost:5000/')).toBe(true);
    expect(readFile()).toEqual({ auths: { 'keep:1': { auth: b64('e:f') } }, other: 1 });
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(eraseCredentials(dir, 'localhost:5000')).toBe(false);
    storeCredentials(dir, 'docker.io', { username: 'x', password: 'y' });
    expect(eraseCredentials(dir, 'index.docker.io')).toBe(true);
    expect(credentialsFor(dir, 'docker.io')).toBeUndefined();
  });

  it('does not create a file to erase nothing', () => {
    expect(eraseCredentials(dir, 'localhost:5000')).toBe(false);
    expect(existsSync(file())).toBe(false);
  });

  it('writes through a symlinked config.json', () => {
    const real = path.join(base, 'dotfiles', 'docker-config.json');
    mkdirSync(path.dirname(real), { recursive: true });
    writeFileSync(real, JSON.stringify({ auths: {} }));
    mkdirSync(dir, { recursive: true });
    symlinkSync(real, file());
    storeCredentials(dir, 'localhost:5000', { username: 'a', password: 'b' });
    expect(JSON.parse(readFileSync(real, 'utf8'))).toEqual({ auths: { 'localhost:5000': { auth: b64('a:b') } } });
    expect(credentialsFor(dir, 'localhost:5000')).toEqual({ username: 'a', password: 'b' });
  });
});

describe('credential helpers', () => {
  it('says they are not supported for a server credHelpers names', () => {
    writeFile({ auths: {}, credHelpers: { 'gcr.io': 'gcloud', 'localhost:5000': 'pass' } });
    expect(() => credentialsFor(dir, 'gcr.io')).toThrow(InvalidArgumentError);
    expect(() => credentialsFor(dir, 'gcr.io')).toThrow(/^credential helpers are not supported: .*config\.json names docker-credential-gcloud for the credentials of gcr\.io$/);
    expect(() => storeCredentials(dir, 'https://localhost:5000', { username: 'a', password: 'b' })).toThrow(/credential helpers are not supported/);
    expect(() => eraseCredentials(dir, 'localhost:5000')).toThrow(/credential helpers are not supported/);
    expect(credentialsFor(dir, 'quay.io')).toBeUndefined();
  });

  it('says so for a server whose credentials credsStore keeps, and stays anonymous for others', () => {
    writeFile({ auths: { [DOCKER_HUB_AUTH_KEY]: {} }, credsStore: 'desktop' });
    expect(() => credentialsFor(dir, 'docker.io')).toThrow(/not supported: .* names docker-credential-desktop for the credentials of https:\/\/index\.docker\.io\/v1\/$/);
    expect(credentialsFor(dir, 'localhost:5000')).toBeUndefined();
    // Writing a password into the file would be ignored by docker, which asks the store.
    expect(() => storeCredentials(dir, 'localhost:5000', { username: 'a', password: 'b' })).toThrow(/credential helpers are not supported/);
  });
});

describe('broken files', () => {
  it('names the file, never its content', () => {
    writeFile('{"auths": {"x": {"auth": "c2VjcmV0LXB3ZA=="}, secret-password-here}');
    let message = '';
    try {
      credentialsFor(dir, 'x');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(`loading ${file()}: not valid JSON`);
    expect(() => storeCredentials(dir, 'x', { username: 'a', password: 'b' })).toThrow(/not valid JSON/);
  });

  it('refuses a wrong shape and an auth that is not user:password', () => {
    writeFile({ auths: { x: { auth: 7 } } });
    expect(() => credentialsFor(dir, 'x')).toThrow(/^loading .*config\.json: auths\.x\.auth: /);
    writeFile({ auths: { x: { auth: b64('no-colon') } } });
    expect(() => credentialsFor(dir, 'x')).toThrow(/invalid "auth" for x/);
  });
});
