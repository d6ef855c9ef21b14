import { describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, boundingSet, capabilitySet, clampToBounding } from '../../src/runtime/capabilities.js';

const set = (capAdd: string[] = [], capDrop: string[] = [], privileged = false): string[] =>
  capabilitySet({ capAdd, capDrop, privileged });

describe('capabilitySet', () => {
  it("is docker's default set when nothing changes it", () => {
    expect(new Set(set())).toEqual(new Set(DEFAULT_CAPABILITIES));
  });
  it('adds and drops', () => {
    expect(set(['CAP_SYS_ADMIN'])).toContain('CAP_SYS_ADMIN');
    expect(set([], ['CAP_CHOWN'])).not.toContain('CAP_CHOWN');
  });
  it('treats ALL as every capability', () => {
    expect(set([], ['ALL'])).toEqual([]);
    expect(set(['CAP_KILL'], ['ALL'])).toEqual(['CAP_KILL']);
    expect(set(['ALL'], ['CAP_SYS_ADMIN'])).toHaveLength(ALL_CAPABILITIES.length - 1);
    expect(set([], [], true)).toEqual([...ALL_CAPABILITIES]);
  });
  it('keeps kernel order', () => {
    const s = set(['CAP_SYS_ADMIN']);
    const idx = s.map((c) => ALL_CAPABILITIES.indexOf(c as (typeof ALL_CAPABILITIES)[number]));
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
  });
  it('refuses unknown names', () => {
    expect(() => set(['CAP_FLY'])).toThrow(/unknown capability: "CAP_FLY"/);
  });
});

describe('bounding set', () => {
  it('reads CapBnd and clamps a wanted set to it', () => {
    const host = boundingSet('Name:\tnode\nCapBnd:\t000001fffeffffff\n');
    expect(host.has('CAP_SYS_RESOURCE')).toBe(false);
    expect(host.has('CAP_SYS_ADMIN')).toBe(true);
    const { granted, missing } = clampToBounding([...ALL_CAPABILITIES], host);
    expect(missing).toEqual(['CAP_SYS_RESOURCE']);
    expect(granted).toHaveLength(ALL_CAPABILITIES.length - 1);
  });
});
