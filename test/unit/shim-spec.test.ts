import { describe, expect, it } from 'vitest';
import { encodeShimSpec, type ShimSpec } from '../../src/runtime/shim-spec.js';
import { FrameDecoder, FrameType, encodeFrame } from '../../src/runtime/frames.js';

const base: ShimSpec = {
  id: 'a'.repeat(64), rootfs: '/c/rootfs', lowerDirs: ['/l/2', '/l/1'], upperDir: '/c/upper', workDir: '/c/work',
  readonlyRootfs: false, hostname: 'h', args: ['sh', '-c', 'echo a=b'], env: ['A=1'], cwd: '/', user: '',
  capabilities: ['CAP_KILL'], noNewPrivileges: true, network: 'new', maskedPaths: [], readonlyPaths: [],
  binds: [{ source: '/c/hosts', destination: '/etc/hosts', readonly: true }], sysfsReadWrite: false, cgroupProcs: [], cgroupTasks: [],
  tty: false, stdin: false, logFile: '/c/log', exitFile: '/c/exit', pidFile: '/c/pid', socket: '/s', exitCommand: ['x'],
};

function decode(buf: Buffer): Array<[string, string]> {
  const text = buf.toString('utf8');
  expect(text.endsWith('\0')).toBe(true);
  return text.slice(0, -1).split('\0').map((r) => {
    const i = r.indexOf('=');
    return [r.slice(0, i), r.slice(i + 1)];
  });
}

describe('encodeShimSpec', () => {
  it('writes NUL-terminated key=value records, lists as repeated keys in order', () => {
    const recs = decode(encodeShimSpec(base));
    expect(recs.filter(([k]) => k === 'arg').map(([, v]) => v)).toEqual(['sh', '-c', 'echo a=b']);
    expect(recs.filter(([k]) => k === 'lower').map(([, v]) => v)).toEqual(['/l/2', '/l/1']);
    expect(recs).toContainEqual(['bind', '/c/hosts\t/etc/hosts\tro']);
    expect(recs).toContainEqual(['no_new_privs', '1']);
    expect(recs.find(([k]) => k === 'tty_rows')).toBeUndefined();
  });
  it('writes netns as new, host or the path of a netns file to join', () => {
    expect(decode(encodeShimSpec(base))).toContainEqual(['netns', 'new']);
    expect(decode(encodeShimSpec({ ...base, network: 'host' }))).toContainEqual(['netns', 'host']);
    expect(decode(encodeShimSpec({ ...base, network: { path: '/run/berth/netns/c1' } }))).toContainEqual(['netns', '/run/berth/netns/c1']);
    expect(() => encodeShimSpec({ ...base, network: { path: 'rel/ns' } })).toThrow(/must be absolute/);
  });
  it('writes one port record per reserved host port, none without', () => {
    expect(decode(encodeShimSpec(base)).filter(([k]) => k === 'port')).toEqual([]);
    const recs = decode(encodeShimSpec({
      ...base,
      portReservations: [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }, { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 53 }],
    }));
    expect(recs.filter(([k]) => k === 'port').map(([, v]) => v)).toEqual(['tcp\t0.0.0.0\t8080', 'udp\t127.0.0.1\t53']);
  });
  it('refuses port reservations the shim cannot bind', () => {
    const spec = (hostIp: string, hostPort: number): ShimSpec => ({ ...base, portReservations: [{ protocol: 'tcp', hostIp, hostPort }] });
    expect(() => encodeShimSpec(spec('', 80))).toThrow(/invalid host IP/);
    expect(() => encodeShimSpec(spec('::', 80))).toThrow(/invalid host IP/);
    expect(() => encodeShimSpec(spec('0.0.0.0', 0))).toThrow(/invalid host port: 0/);
    expect(() => encodeShimSpec(spec('0.0.0.0', 65536))).toThrow(/invalid host port/);
  });
  it('refuses values the format cannot carry', () => {
    expect(() => encodeShimSpec({ ...base, args: ['a\0b'] })).toThrow(/NUL/);
    expect(() => encodeShimSpec({ ...base, binds: [{ source: '/a\tb', destination: '/x', readonly: false }] })).toThrow(/tab/);
  });
});

describe('attach frames', () => {
  it('round-trips frames split across chunks', () => {
    const bytes = Buffer.concat([encodeFrame(FrameType.STDOUT, 'hello'), encodeFrame(FrameType.EXIT, '3')]);
    const d = new FrameDecoder();
    const frames = [...d.push(bytes.subarray(0, 5)), ...d.push(bytes.subarray(5, 14)), ...d.push(bytes.subarray(14))];
    expect(frames.map((f) => [f.type, f.payload.toString()])).toEqual([[1, 'hello'], [21, '3']]);
  });
});
