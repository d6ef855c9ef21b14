import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chainId, chainIds } from '../../src/storage/chain-id.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

describe('chain ids', () => {
  it('are the diff id for a base layer and sha256("parent diff") above it', () => {
    expect(chainId(null, d('a'))).toBe(d('a'));
    const second = `sha256:${createHash('sha256').update(`${d('a')} ${d('b')}`).digest('hex')}`;
    expect(chainId(d('a'), d('b'))).toBe(second);
    const third = `sha256:${createHash('sha256').update(`${second} ${d('c')}`).digest('hex')}`;
    expect(chainIds([d('a'), d('b'), d('c')])).toEqual([d('a'), second, third]);
    expect(chainIds([])).toEqual([]);
  });

  it('matches a value computed outside berth (printf "%s %s" | sha256sum)', () => {
    const l0 = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
    const l1 = 'sha256:e53d0bc8a3ef88b05ca8ac8d3c1d4d4fe1c7a5c7b7b2f6e6ad1e0c3f26d0f3d0';
    expect(chainIds([l0, l1])).toEqual([l0, 'sha256:9546a658509ef2d1d80ec456e9e604718ae5c8520b4cd3c9c91d921461d4a0a9']);
  });

  it('refuses malformed digests', () => {
    expect(() => chainId(null, 'sha256:abc')).toThrow(/invalid diff id/);
    expect(() => chainId('md5:x', d('a'))).toThrow(/invalid chain id/);
  });
});
