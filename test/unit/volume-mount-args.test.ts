import { describe, expect, it } from 'vitest';
import { parseBindArg, parseMountArg, parseTmpfsArg } from '../../src/volume/mount-args.js';
import { tmpfsMount, tmpfsOptionsOf } from '../../src/volume/tmpfs-options.js';
import { parseVolumesFrom } from '../../src/volume/container-mounts.js';

describe('-v', () => {
  it('tells named, anonymous and bind mounts apart', () => {
    expect(parseBindArg('/data')).toEqual({ kind: 'volume', name: '', target: '/data', readonly: false, mode: '', noCopy: false });
    expect(parseBindArg('vol:/data:ro')).toEqual({ kind: 'volume', name: 'vol', target: '/data', readonly: true, mode: 'ro', noCopy: false });
    expect(parseBindArg('vol:/data:nocopy')).toMatchObject({ noCopy: true, readonly: false });
    expect(parseBindArg('/host:/data:rw')).toEqual({ kind: 'bind', source: '/host', target: '/data', readonly: false, mode: 'rw' });
  });

  it('refuses what docker refuses', () => {
    expect(() => parseBindArg('data')).toThrow(/mount path must be absolute/);
    expect(() => parseBindArg('vol:data')).toThrow(/mount path must be absolute/);
    expect(() => parseBindArg('vol:/data:rx')).toThrow(/invalid mode: rx/);
    expect(() => parseBindArg('vol:/data:ro,rw')).toThrow(/invalid mode/);
    expect(() => parseBindArg('a:/b:ro:x')).toThrow(/invalid volume specification/);
  });
});

describe('--mount', () => {
  it('reads docker keys and their aliases', () => {
    expect(parseMountArg('type=bind,src=/h,dst=/c,readonly')).toEqual({ Type: 'bind', Source: '/h', Target: '/c', ReadOnly: true, NoCopy: false });
    expect(parseMountArg('type=volume,source=v,target=/c,ro=false,volume-nocopy')).toEqual({ Type: 'volume', Source: 'v', Target: '/c', ReadOnly: false, NoCopy: true });
    expect(parseMountArg('type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770')).toEqual({
      Type: 'tmpfs',
      Source: '',
      Target: '/t',
      ReadOnly: false,
      NoCopy: false,
      TmpfsOptions: { SizeBytes: 1024 * 1024, Mode: 0o1770 },
    });
  });

  it('refuses unknown keys, types and a missing target', () => {
    expect(() => parseMountArg('type=bind,source=/h,target=/c,color=red')).toThrow(/unexpected key 'color'/);
    expect(() => parseMountArg('type=nfs,target=/c')).toThrow(/invalid mount type: nfs/);
    expect(() => parseMountArg('type=volume,source=v')).toThrow(/target is required/);
    expect(() => parseMountArg('type=volume,target=/c,tmpfs-size=1m')).toThrow(/cannot mix 'tmpfs-\*' options/);
  });
});

describe('tmpfs', () => {
  it("applies options over docker's defaults (noexec, nosuid, nodev)", () => {
    expect(parseTmpfsArg('/run:size=64m,exec')).toEqual(['/run', 'size=64m,exec']);
    expect(tmpfsMount('')).toEqual({ flags: 0x8 | 0x2 | 0x4, data: '' });
    expect(tmpfsMount('size=64m,mode=1777,exec,ro')).toEqual({ flags: 0x2 | 0x4 | 0x1, data: 'size=64m,mode=1777' });
    expect(() => tmpfsMount('size=64m,bogus')).toThrow(/invalid tmpfs option: bogus/);
    expect(tmpfsOptionsOf({ SizeBytes: 2048, Mode: 0o700 })).toBe('size=2048,mode=700');
  });
});

describe('--volumes-from', () => {
  it('takes CONTAINER[:ro|rw]', () => {
    expect(parseVolumesFrom('c')).toEqual({ ref: 'c', mode: '' });
    expect(parseVolumesFrom('c:ro')).toEqual({ ref: 'c', mode: 'ro' });
    expect(() => parseVolumesFrom('c:rx')).toThrow(/invalid volumes-from spec/);
  });
});
