/**
 * A busybox root filesystem for test and benchmark images, made from the host's busybox-static.
 * Free of vitest, so benchmarks can use it too.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { busyboxPath } from './env.js';

const APPLETS = [
  'sh', 'echo', 'cat', 'ls', 'sleep', 'true', 'false', 'id', 'hostname', 'ps', 'mount', 'grep', 'head',
  'tail', 'touch', 'rm', 'mkdir', 'test', 'wc', 'env', 'pwd', 'kill', 'dd', 'yes', 'stat', 'readlink',
  'tr', 'cut', 'seq', 'printf', 'whoami', 'find', 'uname', 'tty', 'stty', 'nproc',
  'httpd', 'nc', 'ip', 'ifconfig', 'ping', 'route', 'sed',
];

/** A busybox root filesystem as a tar file (made once per root dir). */
export function busyboxTar(dir: string): string {
  const tarFile = path.join(dir, 'busybox-rootfs.tar');
  if (existsSync(tarFile)) return tarFile;
  const rootfs = path.join(dir, 'busybox-rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'home/user']) mkdirSync(path.join(rootfs, d), { recursive: true });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  copyFileSync(busyboxPath!, path.join(rootfs, 'bin', 'busybox'));
  chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of APPLETS) symlinkSync('busybox', path.join(rootfs, 'bin', a));
  writeFileSync(
    path.join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nuser:x:1000:\nstaff:x:50:user\nnogroup:x:65534:\n');
  const r = spawnSync('tar', ['-C', rootfs, '--numeric-owner', '-cf', tarFile, '.']);
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr.toString()}`);
  return tarFile;
}
