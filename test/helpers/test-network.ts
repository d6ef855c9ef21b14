/**
 * Each test root gets a default bridge of its own: a name and a /24 that no other test root
 * alive on this host holds (claimed by mkdir, so parallel test files never meet), removed with
 * the root.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { defaultBridgeName, natTableName } from '../../src/network/root-names.js';

const CLAIMS = '/tmp/berth-test-bridges';

export interface TestBridge {
  name: string;
  subnet: string;
  /** Deletes the bridge and the root's NAT table (both the test's own) and frees the claim. */
  release(root: string): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function claimTestBridge(): TestBridge {
  mkdirSync(CLAIMS, { recursive: true });
  for (let n = 0; n < 256; n++) {
    const claim = path.join(CLAIMS, String(n));
    try {
      mkdirSync(claim);
    } catch {
      // Held: by a live test process, or left by a dead one (then taken over).
      let owner = 0;
      try {
        owner = Number(readFileSync(path.join(claim, 'pid'), 'utf8'));
      } catch {
        continue;
      }
      if (owner === 0 || alive(owner)) continue;
    }
    writeFileSync(path.join(claim, 'pid'), String(process.pid));
    // The same name for the same slot: a claim taken over from a dead test reuses its bridge.
    const name = `berthtest${n}`;
    return {
      name,
      subnet: `10.231.${n}.0/24`,
      release(root) {
        spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
        // Also the bridge the root would have had without the claim (a berth started without the env).
        spawnSync('ip', ['link', 'del', defaultBridgeName(root)], { stdio: 'ignore' });
        spawnSync('nft', ['delete', 'table', 'ip', natTableName(root)], { stdio: 'ignore' });
        rmSync(claim, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`no free test bridge slot in ${CLAIMS}`);
}
