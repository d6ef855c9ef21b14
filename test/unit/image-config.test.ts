import { describe, expect, it } from 'vitest';
import { parseImageConfig, parseImageConfigBytes } from '../../src/image/config.js';

const diff = `sha256:${'1'.repeat(64)}`;

describe('image config', () => {
  it('accepts docker configs with nulls and unknown fields, keeping the unknown ones', () => {
    const c = parseImageConfig({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      docker_version: '20.10.0',
      config: { Cmd: null, Entrypoint: null, Env: ['A=1'], Labels: null, Hostname: '', ExposedPorts: { '80/tcp': {} } },
      rootfs: { type: 'layers', diff_ids: [diff] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'x', empty_layer: true }],
    });
    expect(c.config?.Env).toEqual(['A=1']);
    expect(c.config?.Cmd).toBeNull();
    expect((c as Record<string, unknown>)['docker_version']).toBe('20.10.0');
    expect((c.config as Record<string, unknown>)['Hostname']).toBe('');
  });

  it('refuses configs that are not image configs, naming the field', () => {
    expect(() => parseImageConfig({ os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })).toThrow(/architecture/);
    expect(() => parseImageConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: ['nope'] } })).toThrow(
      /rootfs\.diff_ids\.0/,
    );
    expect(() => parseImageConfig({ architecture: 'amd64', os: 'linux', rootfs: { type: 'other', diff_ids: [] } })).toThrow(/rootfs\.type/);
    expect(() =>
      parseImageConfig({ architecture: 'amd64', os: 'linux', config: { Cmd: 'sh' }, rootfs: { type: 'layers', diff_ids: [] } }),
    ).toThrow(/config\.Cmd/);
    expect(() => parseImageConfigBytes(Buffer.from('{not json'))).toThrow(/not JSON/);
  });
});
