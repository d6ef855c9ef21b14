/**
 * docker's ContainerPathStat (the X-Docker-Container-Path-Stat header of the archive
 * endpoints): mode is a Go os.FileMode, whose type bits differ from st_mode's.
 */
import type { Stats } from 'node:fs';

export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go's os.FileMode: permission bits plus ModeDir, ModeSymlink, … in the high bits. */
  mode: number;
  /** RFC 3339 with nanoseconds, as Go marshals a time.Time. */
  mtime: string;
  /** For a symlink, its target. */
  linkTarget: string;
}

const GO_MODE = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
} as const;

export function goFileMode(st: Stats): number {
  let mode = st.mode & 0o777;
  if (st.isDirectory()) mode += GO_MODE.dir;
  else if (st.isSymbolicLink()) mode += GO_MODE.symlink;
  else if (st.isFIFO()) mode += GO_MODE.namedPipe;
  else if (st.isSocket()) mode += GO_MODE.socket;
  else if (st.isCharacterDevice()) mode += GO_MODE.device + GO_MODE.charDevice;
  else if (st.isBlockDevice()) mode += GO_MODE.device;
  if (st.mode & 0o4000) mode += GO_MODE.setuid;
  if (st.mode & 0o2000) mode += GO_MODE.setgid;
  if (st.mode & 0o1000) mode += GO_MODE.sticky;
  return mode;
}

export function isGoDir(mode: number): boolean {
  return mode >= GO_MODE.dir;
}

export function pathStat(name: string, st: Stats, linkTarget: string): ContainerPathStat {
  return { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget };
}
