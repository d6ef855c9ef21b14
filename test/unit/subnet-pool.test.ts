/** Subnet choice from docker's default pools, and the checks on --subnet and --gateway. */
import { describe, expect, it } from 'vitest';
import { chooseIpam, defaultPoolCandidates, pickSubnet } from '../../src/network/subnet-pool.js';
import { formatCidr, overlaps, parseCidr } from '../../src/network/cidr.js';

describe('default pools', () => {
  it('are 172.17-31.0.0/16 then 192.168.0-240.0/20, in that order', () => {
    const all = defaultPoolCandidates().map(formatCidr);
    expect(all).toHaveLength(15 + 16);
    expect(all.slice(0, 2)).toEqual(['172.17.0.0/16', '172.18.0.0/16']);
    expect(all[14]).toBe('172.31.0.0/16');
    expect(all[15]).toBe('192.168.0.0/20');
    expect(all.at(-1)).toBe('192.168.240.0/20');
  });
});

describe('pickSubnet', () => {
  it('takes the first pool when nothing is in use, ignoring the default route', () => {
    expect(pickSubnet(['0.0.0.0/0', '127.0.0.1/8', 'fe80::1/64'], [])).toBe('172.17.0.0/16');
  });

  it('skips pools that overlap the host addresses and routes (host bits and all)', () => {
    expect(pickSubnet(['172.17.0.1/16', '172.18.5.0/24'], [])).toBe('172.19.0.0/16');
  });

  it('skips a pool a wider host route covers', () => {
    expect(pickSubnet(['172.16.0.0/12'], [])).toBe('192.168.0.0/20');
  });

  it('skips the subnets of other networks', () => {
    expect(pickSubnet([], ['172.17.0.0/16', '172.18.0.0/16', '172.20.3.0/24'])).toBe('172.19.0.0/16');
  });

  it('says so when every pool is taken', () => {
    expect(() => pickSubnet(['172.16.0.0/12', '192.168.0.0/16'], [])).toThrow(/could not find an available, non-overlapping IPv4 address pool/);
  });
});

describe('chooseIpam', () => {
  it('fills the gateway with the first host address of a picked subnet', () => {
    expect(chooseIpam({}, ['172.17.0.1/16'], [])).toEqual({ Subnet: '172.18.0.0/16', Gateway: '172.18.0.1' });
  });

  it('keeps a given subnet even over host routes, with the given or first gateway', () => {
    expect(chooseIpam({ subnet: '10.20.0.0/16' }, ['10.0.0.0/8'], [])).toEqual({ Subnet: '10.20.0.0/16', Gateway: '10.20.0.1' });
    expect(chooseIpam({ subnet: '10.20.0.0/16', gateway: '10.20.3.4' }, [], [])).toEqual({ Subnet: '10.20.0.0/16', Gateway: '10.20.3.4' });
  });

  it("refuses a subnet overlapping another network's, with docker's message", () => {
    expect(() => chooseIpam({ subnet: '10.20.128.0/17' }, [], ['10.20.0.0/16'])).toThrow(/^Pool overlaps with other one on this address space$/);
    expect(() => chooseIpam({ subnet: '10.0.0.0/8' }, [], ['10.20.0.0/16'])).toThrow(/Pool overlaps/);
    expect(chooseIpam({ subnet: '10.21.0.0/16' }, [], ['10.20.0.0/16']).Subnet).toBe('10.21.0.0/16');
  });

  it('refuses bad CIDRs and host bits as docker does', () => {
    expect(() => chooseIpam({ subnet: '10.20.0.0' }, [], [])).toThrow('invalid network config: invalid subnet 10.20.0.0: invalid CIDR block notation');
    expect(() => chooseIpam({ subnet: '10.20.0.256/16' }, [], [])).toThrow(/invalid CIDR block notation/);
    expect(() => chooseIpam({ subnet: '10.020.0.0/16' }, [], [])).toThrow(/invalid CIDR block notation/);
    expect(() => chooseIpam({ subnet: '10.20.0.0/33' }, [], [])).toThrow(/invalid CIDR block notation/);
    expect(() => chooseIpam({ subnet: '10.20.1.5/16' }, [], [])).toThrow('invalid network config: invalid subnet 10.20.1.5/16: it should be 10.20.0.0/16');
    expect(() => chooseIpam({ subnet: '10.20.0.0/31' }, [], [])).toThrow(/needs a \/30 or larger block/);
  });

  it('refuses a gateway outside the subnet, or its network or broadcast address', () => {
    expect(() => chooseIpam({ subnet: '10.20.0.0/24', gateway: '10.21.0.1' }, [], [])).toThrow(
      "invalid network config: invalid gateway 10.21.0.1: parent subnet 10.20.0.0/24 doesn't contain this address",
    );
    expect(() => chooseIpam({ subnet: '10.20.0.0/24', gateway: 'nope' }, [], [])).toThrow(/invalid gateway nope: invalid address/);
    expect(() => chooseIpam({ subnet: '10.20.0.0/24', gateway: '10.20.0.0' }, [], [])).toThrow(/network or broadcast address/);
    expect(() => chooseIpam({ subnet: '10.20.0.0/24', gateway: '10.20.0.255' }, [], [])).toThrow(/network or broadcast address/);
  });

  it('refuses a gateway without a subnet', () => {
    expect(() => chooseIpam({ gateway: '10.20.0.1' }, [], [])).toThrow('every ip-range or gateway must have a corresponding subnet');
  });
});

describe('cidr overlap', () => {
  it('holds for nested and equal blocks, not for neighbours', () => {
    const c = (t: string) => parseCidr(t)!;
    expect(overlaps(c('10.0.0.0/8'), c('10.5.0.0/16'))).toBe(true);
    expect(overlaps(c('10.5.0.0/16'), c('10.0.0.0/8'))).toBe(true);
    expect(overlaps(c('10.5.0.0/16'), c('10.5.0.0/16'))).toBe(true);
    expect(overlaps(c('10.5.0.0/16'), c('10.6.0.0/16'))).toBe(false);
  });
});
