import { describe, expect, it } from 'vitest';
import { parseLogTime } from '../../src/cli/log-time.js';
import { logTimeKey } from '../../src/container/logs.js';
import { tailCount } from '../../src/cli/commands/logs.js';
import { InvalidArgumentError } from '../../src/errors.js';

const NOW = new Date('2026-11-23T12:00:00.750Z');

describe('parseLogTime (docker’s GetTimestamp)', () => {
  it('takes relative durations back from now, in whole seconds', () => {
    expect(parseLogTime('10m', NOW)).toBe(String(Date.parse('2026-11-23T11:50:00Z') / 1000));
    expect(parseLogTime('1h30m', NOW)).toBe(String(Date.parse('2026-11-23T10:30:00Z') / 1000));
  });
  it('takes RFC 3339 dates and times with a zone', () => {
    const s = Date.parse('2013-01-02T13:23:37Z') / 1000;
    expect(parseLogTime('2013-01-02T13:23:37Z', NOW)).toBe(`${s}.000000000`);
    expect(parseLogTime('2013-01-02T14:23:37+01:00', NOW)).toBe(`${s}.000000000`);
    expect(parseLogTime('2013-01-02T13:23:37.5Z', NOW)).toBe(`${s}.500000000`);
    expect(parseLogTime('2013-01-02Z', NOW)).toBe(`${Date.parse('2013-01-02T00:00:00Z') / 1000}.000000000`);
    expect(parseLogTime('2013-01-02T13:23Z', NOW)).toBe(`${Date.parse('2013-01-02T13:23:00Z') / 1000}.000000000`);
  });
  it('reads times without a zone as local time', () => {
    expect(parseLogTime('2013-01-02T13:23:37', NOW)).toBe(`${new Date(2013, 0, 2, 13, 23, 37).getTime() / 1000}.000000000`);
    expect(parseLogTime('2013-01-02', NOW)).toBe(`${new Date(2013, 0, 2).getTime() / 1000}.000000000`);
  });
  it('passes unix timestamps through, fractions padded to nanoseconds', () => {
    expect(parseLogTime('1700000000', NOW)).toBe('1700000000');
    expect(parseLogTime('1700000000.5', NOW)).toBe('1700000000.500000000');
    expect(parseLogTime('0', NOW)).toBe('0');
  });
  it('refuses what is neither', () => {
    expect(() => parseLogTime('2013-13-02', NOW)).toThrow(/month out of range/);
    expect(() => parseLogTime('2013-02-31', NOW)).toThrow(/day out of range/);
    expect(() => parseLogTime('soon', NOW)).toThrow('failed to parse value as time or duration: "soon"');
    expect(() => parseLogTime('soon', NOW)).toThrow(InvalidArgumentError);
  });
});

describe('logTimeKey', () => {
  it('turns API times and dates into the entries’ fixed form, zero meaning none', () => {
    expect(logTimeKey('1700000000.5')).toBe('2023-11-14T22:13:20.500000000Z');
    expect(logTimeKey('1700000000')).toBe('2023-11-14T22:13:20.000000000Z');
    expect(logTimeKey(new Date('2023-11-14T22:13:20.123Z'))).toBe('2023-11-14T22:13:20.123000000Z');
    expect(logTimeKey('0')).toBeUndefined();
  });
});

describe('tailCount', () => {
  it('reads numbers and takes anything else as all, as docker’s daemon', () => {
    expect(tailCount('5')).toBe(5);
    expect(tailCount('0')).toBe(0);
    expect(tailCount('all')).toBe(-1);
    expect(tailCount('x')).toBe(-1);
  });
});
