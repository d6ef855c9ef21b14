/**
 * bin/berth, the launcher: it keeps NODE_EXTRA_CA_CERTS out of Node's start and hands the file
 * to berth, which must still trust its CAs when it reaches a registry over HTTPS. A registry's
 * /v2/ on 127.0.0.1 behind a certificate of a test CA answers `berth login`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { repoRoot } from '../helpers/env.js';

const OPENSSL = '/usr/bin/openssl';
const launcher = path.join(repoRoot, 'bin', 'berth');

function openssl(dir: string, args: string[]): void {
  const r = spawnSync(OPENSSL, args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function skipLauncher(): boolean {
  if (existsSync(OPENSSL) && existsSync(path.join(repoRoot, 'dist', 'bundle', 'cli.cjs'))) return false;
  process.stderr.write('SKIPPED launcher: needs openssl (apt-get install openssl) and a built CLI (npm run prepare)\n');
  return true;
}

describe.skipIf(skipLauncher())('bin/berth launcher', () => {
  let dir: string;
  let server: Server;
  let host: string;
  let requests = 0;

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/berth-launcher-');
    openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=berth test CA']);
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(path.join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(dir, ['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '1', '-extfile', 'ext']);
    server = createServer({ key: readFileSync(path.join(dir, 'srv.key')), cert: readFileSync(path.join(dir, 'srv.pem')) }, (req, res) => {
      requests++;
      res.writeHead(req.url === '/v2/' ? 200 : 404, { 'Docker-Distribution-API-Version': 'registry/2.0' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Not spawnSync: the registry answers from this process's event loop. */
  const login = (env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> => {
    const clean = { ...process.env };
    delete clean['NODE_EXTRA_CA_CERTS'];
    delete clean['BERTH_EXTRA_CA_CERTS'];
    const child = spawn(launcher, ['--config', path.join(dir, 'config'), 'login', '-u', 'u', '--password-stdin', host], { env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end('p\n');
    return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
  };

  it('trusts the CAs of NODE_EXTRA_CA_CERTS for registries, though Node starts without them', async () => {
    const before = requests;
    const r = await login({ NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') });
    expect(r.stderr).not.toContain('berth:');
    expect(r.stdout).toContain('Login Succeeded');
    expect(r.status).toBe(0);
    expect(requests).toBeGreaterThan(before);
  });

  it('does not trust the test CA without it', async () => {
    const r = await login({});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(host);
  });
});
