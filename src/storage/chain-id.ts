/**
 * Chain ids name a layer together with everything below it, so the same diff on
 * two different parents is stored twice: chainID(L0) = diffID(L0),
 * chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)) (OCI image spec).
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function assertDigest(value: string, what: string): void {
  if (!DIGEST.test(value)) throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(value)}: expected sha256:<64 hex digits>`);
}

export function chainId(parent: string | null, diffId: string): string {
  assertDigest(diffId, 'diff id');
  if (parent === null) return diffId;
  assertDigest(parent, 'chain id');
  return `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}

/** The chain id of each layer of an image, bottom layer first, from its rootfs.diff_ids. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let parent: string | null = null;
  for (const diffId of diffIds) {
    parent = chainId(parent, diffId);
    out.push(parent);
  }
  return out;
}
