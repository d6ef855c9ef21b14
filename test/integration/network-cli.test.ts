/**
 * The network commands through the CLI binary, with the real bridge driver: user networks on
 * test-owned subnets (10.217.x.0/24) whose bridges the kernel must show, and the default
 * bridge named and addressed by the test (BERTH_BRIDGE, BERTH_BRIDGE_SUBNET).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { makeTestRoot, type CliResult, type TestRoot } from '../helpers/berth.js';
import { skipIntegration } from '../helpers/env.js';

const DEFAULT_BRIDGE = `bnstore${process.pid % 100000}`;
const env = { BERTH_BRIDGE: DEFAULT_BRIDGE, BERTH_BRIDGE_SUBNET: '10.217.0.0/24' };

/** The IPv4 addresses of a link, or undefined when the kernel has no such link. */
function linkAddresses(name: string): string[] | undefined {
  const r = spawnSync('ip', ['-j', '-4', 'addr', 'show', 'dev', name], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const links = JSON.parse(r.stdout) as Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>;
  return links.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

describe.skipIf(skipIntegration('network-cli'))('network commands', () => {
  let t: TestRoot;
  const run = (args: string[], input?: string): CliResult => t.cli(args, { env, ...(input === undefined ? {} : { input }) });
  const ok = (args: string[], input?: string): string => {
    const r = run(args, input);
    if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const bridgeOf = (net: string): string => ok(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', net]).trim();

  beforeAll(() => {
    t = makeTestRoot();
  });
  afterAll(async () => {
    for (const id of run(['network', 'ls', '-q', '--no-trunc', '-f', 'type=custom']).stdout.split('\n').filter(Boolean)) run(['network', 'rm', id]);
    if (linkAddresses(DEFAULT_BRIDGE) !== undefined) spawnSync('ip', ['link', 'del', DEFAULT_BRIDGE]);
    await t.cleanup();
  });

  it('lists the predefined networks, the default bridge as configured', () => {
    const lines = ok(['network', 'ls']).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1))).toEqual([
      ['bridge', 'bridge', 'local'],
      ['host', 'host', 'local'],
      ['none', 'null', 'local'],
    ]);
    expect(lines[1]).toMatch(/^[0-9a-f]{12}\s/);
    const [bridge] = JSON.parse(ok(['network', 'inspect', 'bridge'])) as Array<Record<string, unknown>>;
    expect(bridge).toMatchObject({
      Name: 'bridge',
      Driver: 'bridge',
      IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.217.0.0/24', Gateway: '10.217.0.1' }] },
      Options: { 'com.docker.network.bridge.name': DEFAULT_BRIDGE },
    });
  });

  it('creates a network with its bridge up on the host, addressed with the gateway', () => {
    const id = ok(['network', 'create', '--subnet', '10.217.1.0/24', '--label', 'suite=network-cli', 'ntest-one']).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(bridgeOf('ntest-one')).toBe(`berth-${id.slice(0, 9)}`);
    expect(linkAddresses(`berth-${id.slice(0, 9)}`)).toEqual(['10.217.1.1/24']);
    ok(['network', 'create', '--subnet', '10.217.2.0/24', '--gateway', '10.217.2.254', '--internal', 'ntest-two']);
    expect(linkAddresses(bridgeOf('ntest-two'))).toEqual(['10.217.2.254/24']);
    expect(ok(['network', 'inspect', '-f', '{{.Internal}} {{json .IPAM.Config}} {{json .Containers}}', 'ntest-two'])).toBe(
      'true [{"Subnet":"10.217.2.0/24","Gateway":"10.217.2.254"}] {}\n',
    );
  });

  it('refuses a taken name, an overlapping subnet and a gateway outside the subnet', () => {
    const dup = run(['network', 'create', '--subnet', '10.217.3.0/24', 'ntest-one']);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('network with name ntest-one already exists');
    const overlap = run(['network', 'create', '--subnet', '10.217.1.128/25', 'ntest-overlap']);
    expect(overlap.stderr).toContain('Pool overlaps with other one on this address space');
    const gw = run(['network', 'create', '--subnet', '10.217.3.0/24', '--gateway', '10.217.4.1', 'ntest-gw']);
    expect(gw.stderr).toContain("invalid gateway 10.217.4.1: parent subnet 10.217.3.0/24 doesn't contain this address");
    expect(ok(['network', 'ls', '--format', '{{.Name}}', '-f', 'name=ntest'])).toBe('ntest-one\nntest-two\n');
  });

  it('filters and formats the list', () => {
    const id = ok(['network', 'inspect', '-f', '{{.Id}}', 'ntest-one']).trim();
    expect(ok(['network', 'ls', '-q', '-f', 'label=suite=network-cli'])).toBe(`${id.slice(0, 12)}\n`);
    expect(ok(['network', 'ls', '-q', '--no-trunc', '-f', 'label=suite'])).toBe(`${id}\n`);
    expect(ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}', '-f', 'type=builtin'])).toBe('bridge bridge\nhost host\nnone null\n');
    expect(ok(['network', 'ls', '--format', '{{.Name}}', '-f', 'dangling=true'])).toBe('ntest-one\nntest-two\n');
    const bad = run(['network', 'ls', '-f', 'color=red']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("invalid filter 'color'");
  });

  it('inspects by name, id and id prefix, and reports the ones not found', () => {
    const id = ok(['network', 'inspect', '-f', '{{.Id}}', 'ntest-one']).trim();
    const both = JSON.parse(ok(['network', 'inspect', id, id.slice(0, 8)])) as Array<{ Name: string }>;
    expect(both.map((n) => n.Name)).toEqual(['ntest-one', 'ntest-one']);
    const r = run(['network', 'inspect', 'ntest-one', 'ntest-nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('Error: network ntest-nope not found\n');
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(1);
  });

  it('rm removes networks and their bridges, refuses the predefined ones and goes on past errors', () => {
    const bridge = bridgeOf('ntest-two');
    const r = run(['network', 'rm', 'bridge', 'ntest-two', 'ntest-nope']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('ntest-two\n');
    expect(r.stderr).toBe(
      'Error response from daemon: bridge is a pre-defined network and cannot be removed\nError response from daemon: network ntest-nope not found\n',
    );
    expect(linkAddresses(bridge)).toBeUndefined();
    expect(run(['network', 'rm', '-f', 'ntest-nope']).code).toBe(0);
  });

  it('prune asks first, then removes the unused user networks and their bridges', () => {
    const bridge = bridgeOf('ntest-one');
    const declined = ok(['network', 'prune'], 'n\n');
    expect(declined).toBe('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
    expect(linkAddresses(bridge)).toBeDefined();
    expect(ok(['network', 'prune', '-f'])).toBe('Deleted Networks:\nntest-one\n\n');
    expect(linkAddresses(bridge)).toBeUndefined();
    expect(ok(['network', 'ls', '--format', '{{.Name}}'])).toBe('bridge\nhost\nnone\n');
    expect(ok(['network', 'prune', '-f'])).toBe('');
  });

  it('has help for each command', () => {
    for (const sub of ['create', 'ls', 'inspect', 'rm', 'prune']) expect(ok(['network', sub, '--help'])).toContain(`Usage:  berth network ${sub}`);
  });
});
