/**
 * Runs the `nft` binary (Debian package nftables) on rulesets that nft-ruleset.ts renders:
 * one `nft -f -` per change, so the kernel applies each as one transaction or not at all.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { InternalError, PermissionDeniedError, UnavailableError, errorMessage, isSystemError } from '../errors.js';
import { renderDeleteTable } from './nft-ruleset.js';

/** Where nft is: sbin is often missing from PATH when berth runs under sudo or a service manager. */
export function findNft(): string | undefined {
  const fromPath = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  return [...fromPath, '/usr/sbin', '/sbin', '/usr/bin'].map((d) => `${d}/nft`).find((p) => existsSync(p));
}

/** nft's message on one line: its caret lines dropped, the rest joined. */
function oneLine(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^[\^~ ]+$/.test(l))
    .join(' | ');
}

/** Applies an `nft -f` ruleset; a failure throws with nft's own message and changes nothing. */
export async function applyRuleset(text: string): Promise<void> {
  const nft = findNft();
  if (nft === undefined) throw new UnavailableError('nft not found: published ports and network isolation need the nftables package');
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(nft, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('close', (exit) => resolve({ code: exit, stderr: err }));
    // nft may exit before reading all of stdin; its exit status tells what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(text);
  }).catch((err: unknown) => {
    if (isSystemError(err, 'EACCES')) throw new PermissionDeniedError(`cannot run ${nft}: permission denied`, { cause: err });
    throw new InternalError(`cannot run ${nft}: ${errorMessage(err)}`, { cause: err });
  });
  if (code === 0) return;
  const message = `nft -f failed (exit ${code ?? 'by signal'}): ${oneLine(stderr) || 'no message'}`;
  if (/Operation not permitted/.test(stderr)) throw new PermissionDeniedError(message);
  throw new InternalError(message);
}

/** Removes berth's table `ip <table>`; one that does not exist is fine. */
export async function deleteTable(table: string): Promise<void> {
  await applyRuleset(renderDeleteTable(table));
}
