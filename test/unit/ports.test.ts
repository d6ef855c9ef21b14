/**
 * Published ports: -p/--expose/-P read as docker reads them, host ports resolved, and the
 * ways docker shows them (inspect, ps PORTS, `port`).
 */
import { describe, expect, it } from 'vitest';
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseExpose, parsePublish, portMapFrom } from '../../src/network/ports.js';
import { ephemeralPortRange, hostPortIsFree, resolvePorts } from '../../src/network/port-allocation.js';
import { apiPorts, formatPortCommand, formatPortsColumn, naturalCompare, networkSettingsPorts } from '../../src/network/port-format.js';
import { ConflictError, InvalidArgumentError } from '../../src/errors.js';
import type { PortProtocol } from '../../src/network/types.js';

const b = (HostIp: string, HostPort: string) => ({ HostIp, HostPort });

describe('parsePublish', () => {
  it('reads every form docker takes', () => {
    expect(parsePublish('80')).toEqual([{ key: '80/tcp', binding: b('', '') }]);
    expect(parsePublish('8080:80')).toEqual([{ key: '80/tcp', binding: b('', '8080') }]);
    expect(parsePublish('8080:80/udp')).toEqual([{ key: '80/udp', binding: b('', '8080') }]);
    expect(parsePublish('8080:80/UDP')).toEqual([{ key: '80/udp', binding: b('', '8080') }]);
    expect(parsePublish('80/')).toEqual([{ key: '80/tcp', binding: b('', '') }]);
    expect(parsePublish('127.0.0.1:8080:80')).toEqual([{ key: '80/tcp', binding: b('127.0.0.1', '8080') }]);
    expect(parsePublish('127.0.0.1::80')).toEqual([{ key: '80/tcp', binding: b('127.0.0.1', '') }]);
    expect(parsePublish('::80')).toEqual([{ key: '80/tcp', binding: b('', '') }]);
    expect(parsePublish('[127.0.0.1]:8080:80')).toEqual([{ key: '80/tcp', binding: b('127.0.0.1', '8080') }]);
  });

  it('pairs a host range with a container range, and keeps a host range for one port', () => {
    expect(parsePublish('8000-8001:80-81')).toEqual([
      { key: '80/tcp', binding: b('', '8000') },
      { key: '81/tcp', binding: b('', '8001') },
    ]);
    expect(parsePublish('80-82')).toEqual(['80/tcp', '81/tcp', '82/tcp'].map((key) => ({ key, binding: b('', '') })));
    expect(parsePublish('8000-8010:80')).toEqual([{ key: '80/tcp', binding: b('', '8000-8010') }]);
    expect(parsePublish('8000-8000:80')).toEqual([{ key: '80/tcp', binding: b('', '8000') }]);
  });

  it('reads the long form', () => {
    expect(parsePublish('published=8080,target=80,protocol=udp')).toEqual([{ key: '80/udp', binding: b('', '8080') }]);
    expect(parsePublish('target=80')).toEqual([{ key: '80/tcp', binding: b('', '') }]);
  });

  it.each([
    ['8080:abc', 'invalid containerPort: abc'],
    ['abc:80', 'invalid hostPort: abc'],
    ['70000:80', 'invalid hostPort: 70000'],
    ['8080:0', 'invalid containerPort: 0'],
    ['81-80', 'invalid containerPort: 81-80'],
    ['8000-8002:80-81', 'invalid ranges specified for container and host Ports: 80-81 and 8000-8002'],
    ['8080:80/foo', 'invalid proto: foo'],
    ['8080:80/sctp', 'sctp ports are not supported: berth publishes tcp and udp only'],
    ['8080:', 'no port specified: 8080:<empty>'],
    ['1.2.3:8080:80', 'invalid IP address: 1.2.3'],
    ['[::1]:8080:80', 'cannot publish on IPv6 address ::1: berth publishes ports on IPv4 only'],
    ['::1:8080:80', 'cannot publish on IPv6 address ::1: berth publishes ports on IPv4 only'],
    ['published=1,bad', "invalid publish opts format (should be name=value but got 'bad')"],
  ])('refuses %s', (spec, message) => {
    expect(() => parsePublish(spec)).toThrow(new InvalidArgumentError(message));
    expect(() => parsePublish(spec)).toThrow(InvalidArgumentError);
  });
});

describe('parseExpose', () => {
  it('reads a port, a protocol and a range', () => {
    expect(parseExpose('80')).toEqual(['80/tcp']);
    expect(parseExpose('80/udp')).toEqual(['80/udp']);
    expect(parseExpose('8000-8002')).toEqual(['8000/tcp', '8001/tcp', '8002/tcp']);
  });

  it.each([
    ['8080:80', 'invalid port format for --expose: 8080:80'],
    ['abc', 'invalid range format for --expose: abc, error: strconv.ParseUint: parsing "abc": invalid syntax'],
    ['70000', 'invalid range format for --expose: 70000, error: strconv.ParseUint: parsing "70000": value out of range'],
    ['9-8', 'invalid range format for --expose: 9-8, error: invalid range specified for port: 9-8'],
    ['', 'invalid range format for --expose: , error: empty string specified for ports'],
    ['80/sctp', 'sctp ports are not supported: berth publishes tcp and udp only'],
  ])('refuses %j', (spec, message) => {
    expect(() => parseExpose(spec)).toThrow(new InvalidArgumentError(message));
  });
});

describe('portMapFrom', () => {
  it('merges image, --expose and -p ports, several bindings per port', () => {
    const r = portMapFrom({
      publish: ['8080:80', '127.0.0.1:9090:80', '53:53/udp'],
      expose: ['443'],
      publishAll: false,
      imageExposed: ['80/tcp', '9000'],
    });
    expect(r.exposed).toEqual(['53/udp', '80/tcp', '443/tcp', '9000/tcp']);
    expect(r.bindings).toEqual({ '80/tcp': [b('', '8080'), b('127.0.0.1', '9090')], '53/udp': [b('', '53')] });
  });

  it('-P publishes every exposed tcp/udp port without a binding to a free port', () => {
    const r = portMapFrom({ publish: ['8080:80'], expose: ['443'], publishAll: true, imageExposed: ['80/tcp', '132/sctp'] });
    expect(r.exposed).toEqual(['80/tcp', '132/sctp', '443/tcp']);
    expect(r.bindings).toEqual({ '80/tcp': [b('', '8080')], '443/tcp': [b('', '')] });
  });

  it('refuses an image port that is no port', () => {
    expect(() => portMapFrom({ publish: [], expose: [], publishAll: false, imageExposed: ['http/tcp'] })).toThrow(
      'invalid exposed port in image config: http/tcp',
    );
  });
});

describe('resolvePorts', () => {
  const freeExcept =
    (...busy: number[]) =>
    async (_proto: PortProtocol, _ip: string, port: number) =>
      !busy.includes(port);

  it('keeps fixed ports, picks ephemeral ones, and takes the first free one of a range', async () => {
    const out = await resolvePorts(
      { '80/tcp': [b('', '8080'), b('127.0.0.1', '')], '81/udp': [b('', '9000-9005')] },
      { isFree: freeExcept(9000, 9001), ephemeralRange: [40000, 40000] },
    );
    expect(out).toEqual([
      { protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 },
      { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 40000, containerPort: 80 },
      { protocol: 'udp', hostIp: '0.0.0.0', hostPort: 9002, containerPort: 81 },
    ]);
  });

  it('picks a free ephemeral port in range and never the same one twice', async () => {
    const out = await resolvePorts(
      { '80/tcp': [b('', '')], '81/tcp': [b('', '')], '82/tcp': [b('', '')] },
      { isFree: freeExcept(50001), ephemeralRange: [50000, 50003] },
    );
    expect(out.map((p) => p.hostPort).sort()).toEqual([50000, 50002, 50003]);
  });

  it('keeps previous ports on restart when still free', async () => {
    const previous = [
      { protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 45000, containerPort: 80 },
      { protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 9003, containerPort: 81 },
      { protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 46000, containerPort: 82 },
    ];
    const out = await resolvePorts(
      { '80/tcp': [b('', '')], '81/tcp': [b('', '9000-9005')], '82/tcp': [b('', '')] },
      { isFree: freeExcept(46000), previous, ephemeralRange: [47000, 47000] },
    );
    expect(out.map((p) => p.hostPort)).toEqual([45000, 9003, 47000]);
  });

  it('fails clearly when a port is taken or none is left', async () => {
    await expect(resolvePorts({ '80/tcp': [b('', '8080')] }, { isFree: freeExcept(8080) })).rejects.toThrow(
      new ConflictError('Bind for 0.0.0.0:8080 failed: port is already allocated'),
    );
    await expect(resolvePorts({ '80/tcp': [b('', '8080')], '81/tcp': [b('127.0.0.1', '8080')] }, { isFree: freeExcept() })).rejects.toThrow(
      'Bind for 127.0.0.1:8080 failed: port is already allocated',
    );
    await expect(resolvePorts({ '80/tcp': [b('', '')] }, { isFree: freeExcept(40000), ephemeralRange: [40000, 40000] })).rejects.toThrow(ConflictError);
    // udp and tcp ports are separate, as are two specific addresses.
    const ok = await resolvePorts({ '80/tcp': [b('127.0.0.1', '8080'), b('127.0.0.2', '8080')], '80/udp': [b('', '8080')] }, { isFree: freeExcept() });
    expect(ok).toHaveLength(3);
  });

  it('refuses an IPv6 or bad address and a bad key', async () => {
    await expect(resolvePorts({ '80/tcp': [b('::1', '8080')] }, { isFree: freeExcept() })).rejects.toThrow(InvalidArgumentError);
    await expect(resolvePorts({ '80/sctp': [b('', '8080')] }, { isFree: freeExcept() })).rejects.toThrow('invalid port binding key: 80/sctp');
    await expect(resolvePorts({ '80/tcp': [b('', '9-8')] }, { isFree: freeExcept() })).rejects.toThrow('invalid host port 9-8 for 80/tcp');
  });

  it('reads the ephemeral range from the kernel file, with docker default when absent', async () => {
    const dir = mkdtempSync('/tmp/berth-ports-');
    try {
      writeFileSync(path.join(dir, 'range'), '40000\t40100\n');
      expect(await ephemeralPortRange(path.join(dir, 'range'))).toEqual([40000, 40100]);
      expect(await ephemeralPortRange(path.join(dir, 'absent'))).toEqual([32768, 60999]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostPortIsFree', () => {
  it('sees a listening tcp socket and a bound udp socket on loopback', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const tcpPort = (server.address() as AddressInfo).port;
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const udpPort = udp.address().port;
    try {
      expect(await hostPortIsFree('tcp', '127.0.0.1', tcpPort)).toBe(false);
      expect(await hostPortIsFree('tcp', '0.0.0.0', tcpPort)).toBe(false);
      expect(await hostPortIsFree('udp', '127.0.0.1', udpPort)).toBe(false);
    } finally {
      server.close();
      udp.close();
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(await hostPortIsFree('tcp', '127.0.0.1', tcpPort)).toBe(true);
    expect(await hostPortIsFree('udp', '127.0.0.1', udpPort)).toBe(true);
  });

  it('says clearly that an address is not this host’s', async () => {
    await expect(hostPortIsFree('tcp', '192.0.2.1', 8080)).rejects.toThrow('cannot publish on 192.0.2.1: it is not an address of this host');
  });
});

describe('showing ports', () => {
  const published = [
    { protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80 },
    { protocol: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 9090, containerPort: 80 },
    { protocol: 'udp' as const, hostIp: '0.0.0.0', hostPort: 53, containerPort: 53 },
  ];
  const ports = networkSettingsPorts(['80/tcp', '53/udp', '443/tcp'], published);

  it('lists every exposed port in inspect, null when not published', () => {
    expect(ports).toEqual({
      '443/tcp': null,
      '53/udp': [b('0.0.0.0', '53')],
      '80/tcp': [b('0.0.0.0', '8080'), b('127.0.0.1', '9090')],
    });
    expect(Object.keys(ports)).toEqual(['443/tcp', '53/udp', '80/tcp']);
  });

  it('gives the container list its Ports in docker’s order', () => {
    expect(apiPorts(ports)).toEqual([
      { IP: '0.0.0.0', PrivatePort: 53, PublicPort: 53, Type: 'udp' },
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '127.0.0.1', PrivatePort: 80, PublicPort: 9090, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' },
    ]);
  });

  it('writes the ps PORTS column as docker’s DisplayablePorts', () => {
    expect(formatPortsColumn(ports)).toBe('0.0.0.0:53->53/udp, 443/tcp, 0.0.0.0:8080->80/tcp, 127.0.0.1:9090->80/tcp');
    expect(formatPortsColumn({})).toBe('');
    expect(formatPortsColumn({ '80/tcp': null, '81/tcp': null, '83/tcp': null, '84/tcp': null, '90/udp': null })).toBe('80-81/tcp, 83-84/tcp, 90/udp');
    // Runs published to the same numbers group; a run mapped to other numbers lists each port.
    const same = networkSettingsPorts([], [8000, 8001].map((p) => ({ protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: p, containerPort: p })));
    expect(formatPortsColumn(same)).toBe('0.0.0.0:8000-8001->8000-8001/tcp');
    const shifted = networkSettingsPorts([], [80, 81].map((p) => ({ protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: p + 7920, containerPort: p })));
    expect(formatPortsColumn(shifted)).toBe('0.0.0.0:8000->80/tcp, 0.0.0.0:8001->81/tcp');
  });

  it('writes the lines of `port`, with and without a filter', () => {
    expect(formatPortCommand(ports)).toEqual(['53/udp -> 0.0.0.0:53', '80/tcp -> 0.0.0.0:8080', '80/tcp -> 127.0.0.1:9090']);
    expect(formatPortCommand(ports, '80')).toEqual(['0.0.0.0:8080', '127.0.0.1:9090']);
    expect(formatPortCommand(ports, '53/udp')).toEqual(['0.0.0.0:53']);
    expect(formatPortCommand(ports, '53')).toEqual([]);
    expect(formatPortCommand(ports, '443/tcp')).toEqual([]);
    expect(() => formatPortCommand(ports, 'http')).toThrow(new InvalidArgumentError('invalid port (http)'));
  });

  it('sorts naturally as docker’s sortorder does', () => {
    expect(['9/tcp', '10/tcp', '1/tcp', 'a', '010/tcp'].sort(naturalCompare)).toEqual(['1/tcp', '9/tcp', '10/tcp', '010/tcp', 'a']);
  });
});
