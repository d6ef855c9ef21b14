/**
 * The names of the host objects an engine owns: one set per state root, so two engines with
 * different roots never share a bridge or NAT rules unless told to. The default root keeps the
 * plain names (`berth0`, table `berth`).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_ROOT } from '../paths.js';

function rootHash(root: string): string | undefined {
  const resolved = path.resolve(root);
  return resolved === DEFAULT_ROOT ? undefined : createHash('sha256').update(resolved).digest('hex').slice(0, 8);
}

/** The nftables table (family ip) of the engine's NAT and forwarding rules. */
export function natTableName(root: string): string {
  const h = rootHash(root);
  return h === undefined ? 'berth' : `berth_${h}`;
}

/** The default bridge's interface when none is configured (15 characters at most, IFNAMSIZ). */
export function defaultBridgeName(root: string): string {
  const h = rootHash(root);
  return h === undefined ? 'berth0' : `berth0x${h}`;
}
