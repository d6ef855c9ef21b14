/** Disk use of a directory tree, as `system df` counts it. */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Bytes of regular files below dir (not following symlinks); 0 when it does not exist. */
export async function treeSize(dir: string): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const st = await lstat(path.join(dir, e)).catch(() => undefined);
    if (st?.isFile()) total += st.size;
  }
  return total;
}
