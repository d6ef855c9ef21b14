import { describe, expect, it } from 'vitest';
import { lstatSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { goFileMode, isGoDir, pathStat } from '../../src/container/path-stat.js';

describe("docker's container path stat", () => {
  it("encodes st_mode as Go's os.FileMode (type bits high, permissions low)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-pathstat-'));
    try {
      writeFileSync(path.join(dir, 'f'), 'x');
      chmodSync(path.join(dir, 'f'), 0o4755);
      symlinkSync('f', path.join(dir, 'l'));
      chmodSync(dir, 0o750);
      // Values as Go prints them: ModeDir|0750, ModeSetuid|0755, ModeSymlink|0777.
      expect(goFileMode(lstatSync(dir))).toBe(2 ** 31 + 0o750);
      expect(goFileMode(lstatSync(path.join(dir, 'f')))).toBe(2 ** 23 + 0o755);
      expect(goFileMode(lstatSync(path.join(dir, 'l')))).toBe(2 ** 27 + 0o777);
      expect(isGoDir(goFileMode(lstatSync(dir)))).toBe(true);
      expect(isGoDir(goFileMode(lstatSync(path.join(dir, 'f'))))).toBe(false);
      const st = pathStat('l', lstatSync(path.join(dir, 'l')), 'f');
      expect(st).toMatchObject({ name: 'l', linkTarget: 'f', size: 1 });
      expect(st.mtime).toMatch(/^\d{4}-\d\d-\d\dT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
