import { describe, expect, it } from 'vitest';
import { DetachKeyFilter, parseDetachKeys } from '../../src/cli/detach-keys.js';

async function filter(keys: string, chunks: string[]): Promise<{ out: string; detached: boolean }> {
  let detached = false;
  const f = new DetachKeyFilter(parseDetachKeys(keys), () => {
    detached = true;
  });
  let out = '';
  f.on('data', (d: Buffer) => (out += d.toString('latin1')));
  for (const c of chunks) {
    if (detached) break;
    await new Promise<void>((r) => f.write(Buffer.from(c, 'latin1'), () => r()));
  }
  return { out, detached };
}

describe('detach keys', () => {
  it("reads docker's key names", () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17]);
    expect([...parseDetachKeys('a,ctrl-@,ctrl-[')]).toEqual([97, 0, 27]);
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')]).toEqual([0, 27, 28, 29, 30, 31]);
    expect([...parseDetachKeys('ctrl-A')]).toEqual([1]);
    expect(() => parseDetachKeys('ctrl-1')).toThrow('Invalid detach keys (ctrl-1) provided');
    expect(() => parseDetachKeys('ab')).toThrow('Invalid detach keys (ab) provided');
  });

  it('passes other input through and detaches on the sequence, even split across chunks', async () => {
    expect(await filter('ctrl-p,ctrl-q', ['hello\n'])).toEqual({ out: 'hello\n', detached: false });
    expect(await filter('ctrl-p,ctrl-q', ['ab\x10', '\x11cd'])).toEqual({ out: 'ab', detached: true });
  });

  it('gives back a started sequence that breaks off', async () => {
    expect(await filter('ctrl-p,ctrl-q', ['a\x10b', '\x10\x10\x11'])).toEqual({ out: 'a\x10b\x10', detached: true });
    expect(await filter('x,y,z', ['xyx', 'yz'])).toEqual({ out: 'xy', detached: true });
  });
});
