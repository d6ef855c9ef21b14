/**
 * The typed interface of the native addon (native/addon). The addon is small and
 * syscall-shaped; policy lives in TypeScript. Every function throws a NativeError
 * carrying code, errno, syscall and the path involved.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.js';

/**
 * The one error class the addon throws for a failed syscall (or library call: libzstd's
 * errors carry the library's name for the error as code, e.g. 'ZSTD_error_corruption_detected',
 * and errno 0). Wrong argument types
 * are TypeErrors instead: they are bugs in the caller, not conditions of the host.
 */
export class NativeError extends Error {
  override name = 'NativeError';
  /** Symbolic errno name, e.g. 'EPERM', as Node's fs errors carry it. */
  code = '';
  /** The positive errno(3) value (Node's fs errors carry libuv's negated one); 0 for a library's own error. */
  errno = 0;
  syscall = '';
  path?: string;
}

/** What one ZstdDecoder.decompress call did. */
export interface ZstdStep {
  /** Bytes of input consumed; the caller passes the rest again on the next call. */
  read: number;
  /** The decompressed bytes, at most 1 MiB in all, in pieces of up to 128 KiB. */
  output: Buffer[];
  /**
   * The call stopped at its output cap: call again (with the unread input, or an empty
   * Buffer when all was read) for what the stream still holds.
   */
  more: boolean;
  /** Everything read so far ends a frame: the compressed data may end here without being cut short. */
  frameEnd: boolean;
}

/**
 * A streaming zstd decoder (libzstd's ZSTD_DStream). Frames may follow one another; a frame
 * needing a window over 128 MiB is refused. Runs on the calling thread: one call does at
 * most 1 MiB of output, about a millisecond. Errors are NativeErrors with the zstd error's
 * name as code; a call after close() is EBADF.
 */
export interface ZstdDecoder {
  decompress(input: Buffer): ZstdStep;
  /** Frees the stream now (the garbage collector would otherwise, later); idempotent. */
  close(): void;
}

export interface NativeAddon {
  /** mknod(2); mode includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2): set an extended attribute without following a final symlink. */
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** lgetxattr(2); returns undefined when the attribute is absent (ENODATA). */
  lgetxattr(path: string, name: string): Buffer | undefined;
  /** llistxattr(2) */
  llistxattr(path: string): string[];
  /**
   * mount(2); flags are MS_* numbers. An empty source, fstype or data is passed to the
   * kernel as NULL (remounts and propagation changes take none).
   */
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  /** umount2(2); flags are MNT_* / UMOUNT_* numbers. */
  umount2(target: string, flags: number): void;
  /**
   * flock(2) on an fd, run off the main thread because LOCK_EX may block.
   * op: LOCK_SH=1, LOCK_EX=2, LOCK_UN=8, optionally | LOCK_NB=4. With LOCK_NB a lock
   * held elsewhere rejects with code 'EWOULDBLOCK' (flock(2)'s name; on Linux the same
   * number as EAGAIN). A waiting LOCK_EX occupies one libuv pool thread until granted.
   */
  flock(fd: number, op: number): Promise<void>;
  /**
   * flock(2) with LOCK_NB added, on the calling thread: true when the lock was taken,
   * false when another open file description holds it.
   */
  tryFlock(fd: number, op: number): boolean;
  /**
   * posix_spawn(3)s argv[0] (a path) with stdio on /dev/null, a pipe as fd 3, default
   * signals, an empty signal mask and its own session; resolves with everything it wrote
   * on fd 3 once that is closed (by every holder), after reaping it. For programs that
   * report on fd 3 and fork to detach (berth-shim): no fork of Node, no zombie left.
   */
  spawnDetached(argv: string[]): Promise<string>;
  /**
   * `rm -rf --one-file-system` off the main thread: removes path and everything below it,
   * never following a symlink; a directory on another filesystem (a mount point) is an
   * EXDEV error and is left alone. A path already gone is fine.
   */
  removeTree(path: string): Promise<void>;
  /**
   * openat2(2), O_CLOEXEC always added; dirfd AT_FDCWD (-100) or an fd. resolve takes RESOLVE_*
   * bits: with RESOLVE_IN_ROOT every symlink and `..` stays inside dirfd, the way the container's
   * own processes see the tree. Retries the kernel's EAGAIN (a rename raced the lookup) a few
   * times, then throws it (storage/resolve-in-root.ts walks the path itself then).
   */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  /** mkdirat(2) */
  mkdirat(dirfd: number, path: string, mode: number): void;
  /** symlinkat(2) */
  symlinkat(target: string, dirfd: number, path: string): void;
  /** mknodat(2); mode includes the file type bits. */
  mknodat(dirfd: number, path: string, mode: number, major: number, minor: number): void;
  /** linkat(2); flags AT_EMPTY_PATH / AT_SYMLINK_FOLLOW. */
  linkat(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number): void;
  /** readlinkat(2); an empty path reads the symlink an O_PATH|O_NOFOLLOW fd names. */
  readlinkat(dirfd: number, path: string): string;
  /** fchownat(2); flags AT_EMPTY_PATH / AT_SYMLINK_NOFOLLOW. */
  fchownat(dirfd: number, path: string, uid: number, gid: number, flags: number): void;
  /** chmod of the inode an fd (O_PATH too) names, through /proc/self/fd. */
  fchmodat(fd: number, mode: number): void;
  /** utimensat(2) with whole seconds; flags AT_EMPTY_PATH / AT_SYMLINK_NOFOLLOW. */
  utimensat(dirfd: number, path: string, atime: number, mtime: number, flags: number): void;
  /** unlinkat(2); flags AT_REMOVEDIR. */
  unlinkat(dirfd: number, path: string, flags: number): void;
  /** getxattr of the inode an fd (O_PATH too) names; undefined when absent or unsupported. */
  fgetxattr(fd: number, name: string): Buffer | undefined;
  /** fsopen(2) with FSOPEN_CLOEXEC: a filesystem context to configure. */
  fsopen(fsname: string): number;
  /** fsconfig(2) FSCONFIG_SET_STRING. */
  fsconfigString(fd: number, key: string, value: string): void;
  /** fsconfig(2) FSCONFIG_CMD_CREATE. */
  fsconfigCreate(fd: number): void;
  /**
   * fsmount(2) with FSMOUNT_CLOEXEC: an fd of a mount attached nowhere. It lives only as long as
   * fds into it do, so a crash leaves nothing mounted. attrs are MOUNT_ATTR_* bits.
   */
  fsmount(fd: number, attrs: number): number;
  /**
   * Creates a network namespace (lo up) and pins it by bind-mounting it onto path, a new empty
   * file (mode 0444, O_EXCL; its dir must exist). Done on a short-lived thread of its own, so no
   * Node thread changes namespace. On failure nothing is left behind.
   */
  netnsCreate(path: string): void;
  /** umount2(path, MNT_DETACH) then unlink; a path already gone, or never mounted, is fine. */
  netnsRemove(path: string): void;
  /**
   * A NETLINK_ROUTE socket (SOCK_CLOEXEC, bound) in the netns pinned at netnsPath, or in the
   * caller's netns for ''. The caller closes the fd (fs.closeSync).
   */
  netlinkOpen(netnsPath: string): number;
  /**
   * Sends one whole netlink message (nlmsg_len, nlmsg_seq set by the caller) and reads replies
   * with that seq until NLMSG_DONE (a dump) or the ACK; returns each reply message (header and
   * body). An error reply throws a NativeError with syscall 'netlink' and the kernel's errno.
   */
  netlinkRequest(fd: number, request: Buffer): Buffer[];
  ZstdDecoder: new () => ZstdDecoder;
  /** The error class the addon throws, injected at load time. */
  setErrorClass(cls: typeof NativeError): void;
}

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  BIND: 0x1000,
  REC: 0x4000,
  PRIVATE: 1 << 18,
} as const;

export const MNT = { FORCE: 1, DETACH: 2 } as const;
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;
export const AT = { FDCWD: -100, SYMLINK_NOFOLLOW: 0x100, REMOVEDIR: 0x200, SYMLINK_FOLLOW: 0x400, EMPTY_PATH: 0x1000 } as const;
export const RESOLVE = { NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10 } as const;
/** open(2) flags Node's fs.constants lacks (O_PATH) or that are spelled here for the addon. */
export const O = {
  RDONLY: 0,
  WRONLY: 0o1,
  RDWR: 0o2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  PATH: 0o10000000,
} as const;
export const MOUNT_ATTR = { RDONLY: 0x1, NOSUID: 0x2, NODEV: 0x4 } as const;


/** The directory holding the built native parts (addon, supervisor, hello program). */
export function nativeBuildDir(): string {
  return path.join(packageRoot(), 'build', 'Release');
}

let loaded: NativeAddon | undefined;

export function addon(): NativeAddon {
  if (loaded) return loaded;
  const file = path.join(nativeBuildDir(), 'berth_native.node');
  if (!existsSync(file)) {
    throw new Error(`berth's native addon is not built (${file}); run 'npm install' or 'npm run build'`);
  }
  const req = createRequire(import.meta.url);
  const mod = req(file) as NativeAddon;
  mod.setErrorClass(NativeError);
  loaded = mod;
  return mod;
}

/** Path of a native executable built by binding.gyp (berth-shim, berth-hello). */
export function nativeExecutable(name: 'berth-shim' | 'berth-hello'): string {
  return path.join(nativeBuildDir(), name);
}
