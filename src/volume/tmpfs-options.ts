/** A tmpfs's option list (`--tmpfs /run:size=64m,mode=1777`) split into mount(2) flags and filesystem data. */
import { InvalidArgumentError } from '../errors.js';
import { MS } from '../native/addon.js';

const MS_SYNCHRONOUS = 0x10;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;

const FLAGS: Readonly<Record<string, { set?: number; clear?: number }>> = {
  ro: { set: MS.RDONLY },
  rw: { clear: MS.RDONLY },
  nosuid: { set: MS.NOSUID },
  suid: { clear: MS.NOSUID },
  nodev: { set: MS.NODEV },
  dev: { clear: MS.NODEV },
  noexec: { set: MS.NOEXEC },
  exec: { clear: MS.NOEXEC },
  sync: { set: MS_SYNCHRONOUS },
  async: { clear: MS_SYNCHRONOUS },
  noatime: { set: MS_NOATIME },
  atime: { clear: MS_NOATIME },
  nodiratime: { set: MS_NODIRATIME },
  diratime: { clear: MS_NODIRATIME },
};

const DATA = /^(size=\d+[kmg%]?|nr_blocks=\d+[kmg]?|nr_inodes=\d+[kmg]?|mode=[0-7]{1,4}|uid=\d+|gid=\d+)$/i;

export interface TmpfsMount {
  flags: number;
  data: string;
}

/** docker's defaults (noexec, nosuid, nodev) with the given options applied over them. */
export function tmpfsMount(options: string): TmpfsMount {
  let flags = MS.NOEXEC | MS.NOSUID | MS.NODEV;
  const data: string[] = [];
  for (const word of options.split(',')) {
    if (word === '') continue;
    const flag = FLAGS[word];
    if (flag) {
      flags = (flags | (flag.set ?? 0)) & ~(flag.clear ?? 0);
    } else if (DATA.test(word)) {
      data.push(word);
    } else {
      throw new InvalidArgumentError(`invalid tmpfs option: ${word}`);
    }
  }
  return { flags, data: data.join(',') };
}

/** The option list of a `--mount type=tmpfs`. */
export function tmpfsOptionsOf(o: { SizeBytes?: number | undefined; Mode?: number | undefined } | undefined): string {
  const words: string[] = [];
  if (o?.SizeBytes) words.push(`size=${o.SizeBytes}`);
  if (o?.Mode !== undefined) words.push(`mode=${o.Mode.toString(8)}`);
  return words.join(',');
}
