/**
 * renderRuleset: the exact table for a small state, and validation that keeps anything
 * from a user out of nft's syntax.
 */
import { describe, expect, it } from 'vitest';
import { renderDeleteTable, renderRuleset } from '../../src/network/nft-ruleset.js';
import { ConflictError, InvalidArgumentError } from '../../src/errors.js';
import type { NatEndpoint, NatNetwork, PublishedPort } from '../../src/network/types.js';

const tcp = (hostIp: string, hostPort: number, containerPort: number): PublishedPort => ({ protocol: 'tcp', hostIp, hostPort, containerPort });
const net0: NatNetwork = { bridge: 'berth0', subnet: '10.88.0.0/16', internal: false };
const internal: NatNetwork = { bridge: 'berth-int.1', subnet: '10.89.1.0/24', internal: true };

describe('renderRuleset', () => {
  it('renders the whole table for two networks and their published ports', () => {
    const endpoints: NatEndpoint[] = [
      { bridge: 'berth0', ip: '10.88.0.2', ports: [tcp('0.0.0.0', 8080, 80), { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53 }] },
      { bridge: 'berth-int.1', ip: '10.89.1.5', ports: [tcp('192.168.1.10', 9090, 8080)] },
    ];
    expect(renderRuleset('berth', [net0, internal], endpoints)).toBe(
      [
        'table ip berth {}',
        'delete table ip berth',
        'table ip berth {',
        '\tchain prerouting {',
        '\t\ttype nat hook prerouting priority dstnat; policy accept;',
        '\t\tfib daddr type local jump published',
        '\t}',
        '\tchain output {',
        '\t\ttype nat hook output priority -100; policy accept;',
        '\t\tfib daddr type local jump published',
        '\t}',
        '\tchain published {',
        '\t\ttcp dport 8080 dnat to 10.88.0.2:80',
        '\t\tip daddr 127.0.0.1 udp dport 5353 dnat to 10.88.0.2:53',
        '\t\tip daddr 192.168.1.10 tcp dport 9090 dnat to 10.89.1.5:8080',
        '\t}',
        '\tchain postrouting {',
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        '\t\tip saddr 10.88.0.0/16 oifname != "berth0" masquerade',
        '\t\toifname "berth0" ip saddr 127.0.0.0/8 masquerade',
        '\t\toifname "berth0" ip saddr 10.88.0.0/16 ct status dnat masquerade',
        '\t\toifname "berth-int.1" ip saddr 127.0.0.0/8 masquerade',
        '\t\toifname "berth-int.1" ip saddr 10.89.1.0/24 ct status dnat masquerade',
        '\t}',
        '\tchain forward {',
        '\t\ttype filter hook forward priority filter; policy accept;',
        '\t\tiifname "berth0" oifname { "berth-int.1" } drop',
        '\t\tiifname "berth-int.1" oifname { "berth0" } drop',
        '\t\tiifname "berth-int.1" oifname != "berth-int.1" drop',
        '\t\toifname "berth-int.1" iifname != "berth-int.1" drop',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('renders an empty state as base chains with no rules', () => {
    const text = renderRuleset('berth_1a2b3c4d', [], []);
    expect(text).toContain('table ip berth_1a2b3c4d {\n');
    expect(text).toContain('\tchain published {\n\t}\n');
    expect(text).not.toMatch(/dnat to|masquerade|drop/);
  });

  it.each([
    ['a table name with syntax', 'berth; flush ruleset', [net0], []],
    ['a table name starting with a digit', '1berth', [net0], []],
    ['a bridge with a quote', 'berth', [{ ...net0, bridge: 'br"0 drop' }], []],
    ['a bridge longer than 15', 'berth', [{ ...net0, bridge: 'abcdefghijklmnop' }], []],
    ['a subnet that is no CIDR', 'berth', [{ ...net0, subnet: '10.88.0.0' }], []],
    ['a subnet with host bits', 'berth', [{ ...net0, subnet: '10.88.0.1/16' }], []],
    ['a subnet prefix over 32', 'berth', [{ ...net0, subnet: '10.88.0.0/33' }], []],
    ['an IPv6 subnet', 'berth', [{ ...net0, subnet: 'fd00::/64' }], []],
    ['a bridge given twice', 'berth', [net0, { ...net0, subnet: '10.90.0.0/16' }], []],
    ['an endpoint on an unknown bridge', 'berth', [net0], [{ bridge: 'berth9', ip: '10.88.0.2', ports: [] }]],
    ['an endpoint IP with syntax', 'berth', [net0], [{ bridge: 'berth0', ip: '10.88.0.2 accept', ports: [] }]],
    ['a host IP that is no IPv4', 'berth', [net0], [{ bridge: 'berth0', ip: '10.88.0.2', ports: [tcp('::1', 8080, 80)] }]],
    ['a port out of range', 'berth', [net0], [{ bridge: 'berth0', ip: '10.88.0.2', ports: [tcp('0.0.0.0', 65536, 80)] }]],
    ['a port that is no integer', 'berth', [net0], [{ bridge: 'berth0', ip: '10.88.0.2', ports: [tcp('0.0.0.0', 80.5, 80)] }]],
    ['a protocol other than tcp or udp', 'berth', [net0], [{ bridge: 'berth0', ip: '10.88.0.2', ports: [{ ...tcp('0.0.0.0', 80, 80), protocol: 'sctp' }] }]],
  ] as Array<[string, string, NatNetwork[], NatEndpoint[]]>)('refuses %s', (_what, table, networks, endpoints) => {
    expect(() => renderRuleset(table, networks, endpoints)).toThrow(InvalidArgumentError);
  });

  it('says what is wrong in one line', () => {
    expect(() => renderRuleset('berth', [{ ...net0, bridge: 'br"0' }], [])).toThrow('invalid bridge name "br\\"0": want 1-15 of a-z A-Z 0-9 _ . -');
    expect(() => renderRuleset('berth', [{ ...net0, subnet: '10.88.0.1/16' }], [])).toThrow('invalid subnet 10.88.0.1/16: host bits are set');
  });

  it('refuses two endpoints publishing the same port', () => {
    const e = (ip: string, port: PublishedPort): NatEndpoint => ({ bridge: 'berth0', ip, ports: [port] });
    expect(() => renderRuleset('berth', [net0], [e('10.88.0.2', tcp('0.0.0.0', 80, 80)), e('10.88.0.3', tcp('127.0.0.1', 80, 80))])).toThrow(
      new ConflictError('Bind for 127.0.0.1:80 failed: port is already allocated'),
    );
    expect(() => renderRuleset('berth', [net0], [e('10.88.0.2', tcp('127.0.0.1', 80, 80)), e('10.88.0.3', tcp('127.0.0.2', 80, 80))])).not.toThrow();
    expect(() =>
      renderRuleset('berth', [net0], [e('10.88.0.2', tcp('0.0.0.0', 80, 80)), e('10.88.0.3', { ...tcp('0.0.0.0', 80, 80), protocol: 'udp' })]),
    ).not.toThrow();
  });
});

describe('renderDeleteTable', () => {
  it('deletes the table whether or not it exists, and validates the name', () => {
    expect(renderDeleteTable('berth')).toBe('table ip berth {}\ndelete table ip berth\n');
    expect(() => renderDeleteTable('x y')).toThrow(InvalidArgumentError);
  });
});
