/**
 * The native addon against the real kernel: device nodes, xattrs, mounts, flock,
 * and the shape of the errors it throws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { addon, LOCK, MNT, MS, NativeError } from '../../src/native/addon.js';
import { skipIntegration } from '../helpers/env.js';

function mountedAt(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === dir);
}

describe.skipIf(skipIntegration('native addon'))('native addon', () => {
  let dir: string;
  let tmpfsTarget: string | undefined;

  beforeAll(() => {
    // The berth-it- prefix puts a mount left by a failed test in the suite's leak check.
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-it-native-'));
  });
  afterAll(() => {
    if (tmpfsTarget && mountedAt(tmpfsTarget)) addon().umount2(tmpfsTarget, MNT.DETACH);
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a 0:0 character device (an overlay whiteout) and a fifo', () => {
    const whiteout = path.join(dir, 'whiteout');
    addon().mknod(whiteout, constants.S_IFCHR | 0o000, 0, 0);
    const st = statSync(whiteout);
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(0);

    const fifo = path.join(dir, 'fifo');
    addon().mknod(fifo, constants.S_IFIFO | 0o640, 0, 0);
    const fst = statSync(fifo);
    expect(fst.isFIFO()).toBe(true);
    expect(fst.mode & 0o777).toBe(0o640 & ~process.umask());
  });

  it('builds device numbers from major and minor', () => {
    const null2 = path.join(dir, 'null');
    addon().mknod(null2, constants.S_IFCHR | 0o666, 1, 3);
    expect(statSync(null2).rdev).toBe((1 << 8) | 3);
  });

  it('round-trips trusted.* and user.* extended attributes', () => {
    const file = path.join(dir, 'xattrs');
    writeFileSync(file, '');
    addon().lsetxattr(file, 'trusted.overlay.opaque', Buffer.from('y'));
    addon().lsetxattr(file, 'user.berth.test', Buffer.from([0, 1, 2, 255]));
    expect(addon().lgetxattr(file, 'trusted.overlay.opaque')).toEqual(Buffer.from('y'));
    expect(addon().lgetxattr(file, 'user.berth.test')).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(addon().lgetxattr(file, 'user.absent')).toBeUndefined();
    expect(addon().llistxattr(file)).toEqual(expect.arrayContaining(['trusted.overlay.opaque', 'user.berth.test']));
  });

  it('sets an empty xattr value and lists none on a bare file', () => {
    const file = path.join(dir, 'bare');
    writeFileSync(file, '');
    expect(addon().llistxattr(file).filter((n) => n.startsWith('user.'))).toEqual([]);
    addon().lsetxattr(file, 'user.empty', Buffer.alloc(0));
    expect(addon().lgetxattr(file, 'user.empty')).toEqual(Buffer.alloc(0));
  });

  it('mounts a tmpfs and unmounts it', () => {
    const target = mkdtempSync(path.join(dir, 'mnt-'));
    tmpfsTarget = target;
    addon().mount('tmpfs', target, 'tmpfs', MS.NOSUID | MS.NODEV, 'size=1m,mode=0700');
    try {
      expect(mountedAt(target)).toBe(true);
      writeFileSync(path.join(target, 'inside'), 'x');
      expect(statSync(target).mode & 0o777).toBe(0o700);
    } finally {
      addon().umount2(target, 0);
    }
    expect(mountedAt(target)).toBe(false);
  });

  it('excludes a second flock on another open file description', async () => {
    const file = path.join(dir, 'lock');
    writeFileSync(file, '');
    const a = await open(file, 'r+');
    const b = await open(file, 'r+');
    try {
      await addon().flock(a.fd, LOCK.EX);
      const err: unknown = await addon().flock(b.fd, LOCK.EX | LOCK.NB).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NativeError);
      expect(err).toMatchObject({ code: 'EWOULDBLOCK', errno: os.constants.errno.EWOULDBLOCK });
      expect((err as NativeError).syscall).toBe('flock');

      // A blocking LOCK_EX waits off the main thread: the event loop keeps running.
      let acquired = false;
      const waiting = addon()
        .flock(b.fd, LOCK.EX)
        .then(() => {
          acquired = true;
        });
      await new Promise((r) => setTimeout(r, 50));
      expect(acquired).toBe(false);
      await addon().flock(a.fd, LOCK.UN);
      await waiting;
      expect(acquired).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('takes a free flock at once with tryFlock and reports a held one as false', async () => {
    const file = path.join(dir, 'trylock');
    writeFileSync(file, '');
    const a = await open(file, 'r+');
    const b = await open(file, 'r+');
    try {
      expect(addon().tryFlock(a.fd, LOCK.EX)).toBe(true);
      expect(addon().tryFlock(b.fd, LOCK.EX)).toBe(false);
      expect(addon().tryFlock(a.fd, LOCK.UN)).toBe(true);
      expect(addon().tryFlock(b.fd, LOCK.EX)).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
    expect(() => addon().tryFlock(1_000_000, LOCK.EX)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'flock' }));
  });

  it('removes a tree without following symlinks out of it', async () => {
    const outside = path.join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'keep'), 'x');
    const tree = path.join(dir, 'tree');
    mkdirSync(path.join(tree, 'a', 'b', 'c'), { recursive: true });
    writeFileSync(path.join(tree, 'a', 'b', 'c', 'f'), 'x');
    writeFileSync(path.join(tree, 'top'), 'x');
    symlinkSync(outside, path.join(tree, 'a', 'link-to-dir'));
    symlinkSync(path.join(outside, 'keep'), path.join(tree, 'link-to-file'));
    addon().mknod(path.join(tree, 'a', 'fifo'), constants.S_IFIFO | 0o600, 0, 0);
    // A dir without search permission is still emptied: root does not need it.
    mkdirSync(path.join(tree, 'locked'), { mode: 0o000 });

    await addon().removeTree(tree);
    expect(existsSync(tree)).toBe(false);
    expect(readFileSync(path.join(outside, 'keep'), 'utf8')).toBe('x');
    // Gone already is the goal reached; a plain file is removed as well.
    await addon().removeTree(tree);
    writeFileSync(path.join(dir, 'plain'), 'x');
    await addon().removeTree(path.join(dir, 'plain'));
    expect(existsSync(path.join(dir, 'plain'))).toBe(false);
  });

  it('refuses to remove through a mount point inside the tree', async () => {
    const tree = path.join(dir, 'mounted-tree');
    const target = path.join(tree, 'rootfs');
    mkdirSync(target, { recursive: true });
    addon().mount('tmpfs', target, 'tmpfs', 0, 'size=1m');
    try {
      writeFileSync(path.join(target, 'precious'), 'x');
      await expect(addon().removeTree(tree)).rejects.toMatchObject({ code: 'EXDEV', path: target });
      expect(readFileSync(path.join(target, 'precious'), 'utf8')).toBe('x');
    } finally {
      addon().umount2(target, MNT.DETACH);
    }
    await addon().removeTree(tree);
    expect(existsSync(tree)).toBe(false);
  });

  it('spawns a detaching program and returns what it wrote on fd 3, leaving no zombie', async () => {
    // The shell writes on fd 3 from a background child that outlives it, as berth-shim detaches.
    const script = 'echo "from $$" >&3; (sleep 0.2; echo late >&3) & exit 0';
    const started = Date.now();
    const report = await addon().spawnDetached(['/bin/sh', '-c', script]);
    expect(report).toMatch(/^from \d+\nlate\n$/);
    // It waited for every holder of fd 3 to close it, not only for the spawned process.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const pid = Number(/^from (\d+)/.exec(report)?.[1]);
    // Reaped: no zombie of it is left among this process's children.
    expect(existsSync(`/proc/${pid}`)).toBe(false);

    const stdio = await addon().spawnDetached(['/bin/sh', '-c', 'a=$(readlink /proc/$$/fd/0); b=$(readlink /proc/$$/fd/1); c=$(readlink /proc/$$/fd/2); s=$(ps -o sid= -p $$); printf "%s\\n" $a $b $c "$s $$" >&3']);
    const lines = stdio.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['/dev/null', '/dev/null', '/dev/null']);
    // Its own session: the session id is its pid.
    const [sid, pid2] = (lines[3] ?? '').trim().split(/\s+/);
    expect(sid).toBe(pid2);

    await expect(addon().spawnDetached([path.join(dir, 'no-such-program')])).rejects.toMatchObject({ code: 'ENOENT', syscall: 'posix_spawn' });
    expect(() => (addon() as unknown as { spawnDetached(x: unknown): unknown }).spawnDetached([])).toThrow(TypeError);
  });

  it('throws NativeError with code, errno, syscall and path', () => {
    const missing = path.join(dir, 'missing', 'node');
    let err: unknown;
    try {
      addon().mknod(missing, constants.S_IFIFO | 0o600, 0, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NativeError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'ENOENT', errno: 2, syscall: 'mknod', path: missing });
    expect((err as Error).message).toBe(`ENOENT: No such file or directory, mknod '${missing}'`);

    expect(() => addon().umount2(dir, 0)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'umount2', path: dir }));
    expect(() => addon().lgetxattr(missing, 'user.x')).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'lgetxattr' }));
    expect(() => addon().llistxattr(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'llistxattr' }));
  });

  it('rejects a flock on a bad fd with EBADF', async () => {
    await expect(addon().flock(1_000_000, LOCK.EX)).rejects.toMatchObject({ code: 'EBADF', syscall: 'flock' });
  });

  it('rejects wrong argument types with TypeErrors naming the parameter', () => {
    const native = addon() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const call = (fn: string, ...args: unknown[]) => () => native[fn]?.(...args);
    expect(call('mknod', 1, 0, 0, 0)).toThrow(new TypeError('mknod: path must be a string'));
    expect(call('mknod', '/x', 1.5, 0, 0)).toThrow(new TypeError('mknod: mode must be an integer'));
    expect(call('mknod', '/x', -1, 0, 0)).toThrow(TypeError);
    expect(call('mknod', '/x', 0)).toThrow(new TypeError('mknod: expected 4 arguments, got 2'));
    expect(call('mknod', '/x\0y', 0, 0, 0)).toThrow(new TypeError('mknod: path must not contain NUL bytes'));
    expect(call('lsetxattr', '/x', 'user.a', 'y')).toThrow(new TypeError('lsetxattr: value must be a Buffer'));
    expect(call('mount', 'a', 'b', 'c', '0', '')).toThrow(new TypeError('mount: flags must be a number'));
    expect(call('flock', '3', 2)).toThrow(new TypeError('flock: fd must be a number'));
    expect(call('setErrorClass', {})).toThrow(TypeError);
  });
});
