/** The berth service's frames and requests (native/client/PROTOCOL.md), as the client writes them. */
import { describe, expect, it } from 'vitest';
import { decodeRequest, encodeFrame, FrameError, FrameReader, MAX_PAYLOAD, type ClientRequest } from '../../src/cli/service/frames.js';

/** A request as berth-client encodes it (native/client/request.c). */
function encodeRequest(r: ClientRequest): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE((r.stdinTTY ? 1 : 0) | (r.stdoutTTY ? 2 : 0) | (r.stderrTTY ? 4 : 0), 0);
  head.writeUInt16BE(r.rows, 4);
  head.writeUInt16BE(r.columns, 6);
  const list = (items: string[]): Buffer[] => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(items.length);
    return [n, ...items.map((s) => Buffer.from(`${s}\0`))];
  };
  const env = Object.entries(r.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  return Buffer.concat([head, ...list(r.argv), ...list(env), Buffer.from(`${r.cwd}\0`)]);
}

const request: ClientRequest = {
  argv: ['--root', '/r', 'exec', '-e', 'A=b c', 'box', 'sh', '-c', 'echo "ünïcode"'],
  env: { PATH: '/usr/bin', EMPTY: '', WITH_EQ: 'a=b' },
  cwd: '/home/user',
  stdinTTY: true,
  stdoutTTY: false,
  stderrTTY: true,
  rows: 40,
  columns: 120,
};

describe('service frames', () => {
  it('cuts frames that arrive split at any byte', () => {
    const bytes = Buffer.concat([encodeFrame('O', Buffer.from('hello')), encodeFrame('S'), encodeFrame('X', Buffer.from([0, 0, 0, 3]))]);
    for (let step = 1; step <= bytes.length; step++) {
      const reader = new FrameReader();
      const frames = [];
      for (let at = 0; at < bytes.length; at += step) frames.push(...reader.push(bytes.subarray(at, at + step)));
      expect(frames.map((f) => [f.type, f.payload.toString('hex')])).toEqual([
        ['O', Buffer.from('hello').toString('hex')],
        ['S', ''],
        ['X', '00000003'],
      ]);
    }
  });

  it('refuses a frame longer than a client sends', () => {
    const head = Buffer.from([0x52, 0, 0, 0, 0]);
    head.writeUInt32BE(MAX_PAYLOAD + 1, 1);
    expect(() => new FrameReader().push(head)).toThrow(FrameError);
  });

  it('decodes what it encodes: flags, size, argv, environment and directory', () => {
    expect(decodeRequest(encodeRequest(request))).toEqual(request);
  });

  it('decodes the bytes a client writes', () => {
    const bytes = Buffer.concat([
      Buffer.from([0, 0, 0, 2, 0, 24, 0, 80]),
      Buffer.from([0, 0, 0, 2]),
      Buffer.from('ps\0-a\0'),
      Buffer.from([0, 0, 0, 1]),
      Buffer.from('HOME=/root\0'),
      Buffer.from('/tmp\0'),
    ]);
    expect(decodeRequest(bytes)).toEqual({
      argv: ['ps', '-a'],
      env: { HOME: '/root' },
      cwd: '/tmp',
      stdinTTY: false,
      stdoutTTY: true,
      stderrTTY: false,
      rows: 24,
      columns: 80,
    });
  });

  it('refuses a request that is cut short, miscounted or has bytes after its end', () => {
    const good = encodeRequest(request);
    expect(() => decodeRequest(good.subarray(0, good.length - 1))).toThrow(FrameError);
    expect(() => decodeRequest(Buffer.concat([good, Buffer.from('x')]))).toThrow(FrameError);
    const lying = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    expect(() => decodeRequest(lying)).toThrow('counts more strings');
  });
});
