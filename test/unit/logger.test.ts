import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger.js';

describe('logger', () => {
  it('redacts secrets and keeps child bindings', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-log-'));
    const file = path.join(dir, 'log');
    const log = createLogger({ level: 'info', destination: file }).child({ component: 'registry' });
    log.info({ auth: { password: 'hunter2', token: 'tok-123' }, env: ['SECRET=1'] }, 'login');
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
    expect(line['component']).toBe('registry');
    expect(line['msg']).toBe('login');
    expect(JSON.stringify(line)).not.toMatch(/hunter2|tok-123|SECRET/);
    rmSync(dir, { recursive: true });
  });

  it('writes nothing below its level', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'berth-log-'));
    const file = path.join(dir, 'log');
    const log = createLogger({ level: 'warn', destination: file });
    log.debug('quiet');
    log.info({ a: 1 }, 'quiet too');
    expect(existsSync(file)).toBe(false);
    log.warn('loud');
    expect(readFileSync(file, 'utf8')).toMatch(/"msg":"loud"/);
    rmSync(dir, { recursive: true });
  });

  it('refuses an unknown level', () => {
    expect(() => createLogger({ level: 'chatty' })).toThrow(/invalid log level "chatty"/);
  });
});
