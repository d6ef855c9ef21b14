import { describe, expect, it } from 'vitest';
import { normalizeLogTime, parseJsonLogLines } from '../../src/container/json-log-parser.js';
import type { LogEntry } from '../../src/container/log-entry.js';

const T = '2026-11-23T11:29:54.123456789Z';

function line(log: string, stream = 'stdout', time = T): string {
  return `${JSON.stringify({ log, stream, time })}\n`;
}

function parse(text: string | Buffer): { entries: LogEntry[]; rest: number } {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const entries: LogEntry[] = [];
  const rest = parseJsonLogLines(buf, 0, buf.length, entries);
  return { entries, rest };
}

const plain = (e: LogEntry): [string, string, string] => [e.stream, e.time, e.data.toString('utf8')];

describe('parseJsonLogLines', () => {
  it('reads the shim’s lines: data with its newline, stream and time', () => {
    const { entries, rest } = parse(line('hello\n') + line('oops\n', 'stderr', '2026-11-23T11:29:55.000000001Z') + line('no newline'));
    expect(entries.map(plain)).toEqual([
      ['stdout', T, 'hello\n'],
      ['stderr', '2026-11-23T11:29:55.000000001Z', 'oops\n'],
      ['stdout', T, 'no newline'],
    ]);
    expect(rest).toBe(Buffer.byteLength(line('hello\n') + line('oops\n', 'stderr', '2026-11-23T11:29:55.000000001Z') + line('no newline')));
  });

  it('decodes escapes, unicode and quotes exactly as JSON does', () => {
    const texts = ['say "hi"\n', 'tab\there\r\n', 'back\\slash\n', '\u0001ctl\n', 'ünïcødé 🚢\n', 'a\\n literal\n', '\n', ''];
    const { entries } = parse(texts.map((t) => line(t)).join(''));
    expect(entries.map((e) => e.data.toString('utf8'))).toEqual(texts);
  });

  it('keeps an incomplete last line for the next read', () => {
    const whole = line('one\n');
    const partial = line('two\n').slice(0, 20);
    const { entries, rest } = parse(whole + partial);
    expect(entries.map((e) => e.data.toString())).toEqual(['one\n']);
    expect(rest).toBe(whole.length);
  });

  it('reads other writers’ layouts: attrs, other key order, shorter fractions, offsets', () => {
    const text =
      `${JSON.stringify({ log: 'x\n', stream: 'stdout', attrs: { tag: 'web', a: 'b' }, time: '2026-11-23T11:29:54.5Z' })}\n` +
      `${JSON.stringify({ time: '2026-11-23T12:29:54+01:00', stream: 'stderr', log: 'y\n' })}\n`;
    const { entries } = parse(text);
    expect(entries.map(plain)).toEqual([
      ['stdout', '2026-11-23T11:29:54.500000000Z', 'x\n'],
      ['stderr', '2026-11-23T11:29:54.000000000Z', 'y\n'],
    ]);
    expect(entries[0]!.attrs).toEqual({ tag: 'web', a: 'b' });
  });

  it('skips lines that are not log entries', () => {
    const { entries } = parse(`garbage\n{"log":"x"}\n${line('ok\n')}`);
    expect(entries.map((e) => e.data.toString())).toEqual(['ok\n']);
  });

  it('finds lines without newlines in a long run of them (no backslash anywhere)', () => {
    const chunks = Array.from({ length: 2000 }, (_, i) => line(`chunk${i}`)).join('');
    const { entries } = parse(chunks);
    expect(entries).toHaveLength(2000);
    expect(entries[1999]!.data.toString()).toBe('chunk1999');
  });
});

describe('normalizeLogTime', () => {
  it('gives nine fraction digits in UTC', () => {
    expect(normalizeLogTime('2026-01-02T03:04:05Z')).toBe('2026-01-02T03:04:05.000000000Z');
    expect(normalizeLogTime('2026-01-02T03:04:05.12Z')).toBe('2026-01-02T03:04:05.120000000Z');
    expect(normalizeLogTime('2026-01-02T00:30:00.5-01:00')).toBe('2026-01-02T01:30:00.500000000Z');
    expect(normalizeLogTime('yesterday')).toBeUndefined();
  });
});
