/** Where a container's json-file log lives: `<id>-json.log` and its rotated `<id>-json.log.N`. */
import { readdirSync } from 'node:fs';
import path from 'node:path';

export function jsonLogPath(dir: string, id: string): string {
  return path.join(dir, `${id}-json.log`);
}

/** The log files that exist now, oldest first: `.N` … `.1`, then the current one. */
export function jsonLogFiles(dir: string, id: string): string[] {
  const base = `${id}-json.log`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const rotated: { n: number; name: string }[] = [];
  let current = false;
  for (const name of names) {
    if (name === base) current = true;
    else if (name.startsWith(`${base}.`)) {
      const suffix = name.slice(base.length + 1);
      if (/^[1-9]\d*$/.test(suffix)) rotated.push({ n: Number(suffix), name });
    }
  }
  rotated.sort((a, b) => b.n - a.n);
  const files = rotated.map((r) => path.join(dir, r.name));
  if (current) files.push(path.join(dir, base));
  return files;
}
