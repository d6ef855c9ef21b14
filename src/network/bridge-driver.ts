/**
 * The host side of bridge networks over rtnetlink: bridges with their gateway address, and
 * each container's veth pair, its host end on the bridge and its peer configured inside the
 * container's network namespace.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Rtnetlink } from './netlink/rtnetlink.js';
import { createNetns, removeNetns } from './netns.js';
import type { LinkOps } from './container-network.js';
import { ConflictError } from '../errors.js';
import type { BridgeDriver } from './types.js';

function withRtnetlink<T>(netnsPath: string, fn: (nl: Rtnetlink) => T): T {
  const nl = Rtnetlink.open(netnsPath);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}

function setSysctl(file: string, value: string): void {
  if (readFileSync(file, 'utf8').trim() !== value) writeFileSync(file, value);
}

export class NetlinkBridgeDriver implements BridgeDriver, LinkOps {
  async hostCidrs(): Promise<string[]> {
    return withRtnetlink('', (nl) => [...nl.listIPv4Addresses().map((a) => a.cidr), ...nl.listIPv4Routes().map((r) => r.dst)]);
  }

  async createBridge(bridge: string, gatewayCidr: string): Promise<void> {
    withRtnetlink('', (nl) => {
      if (!nl.linkExists(bridge)) nl.createBridge(bridge);
      if (!nl.listIPv4Addresses().some((a) => a.ifname === bridge && a.cidr === gatewayCidr)) nl.addAddress(bridge, gatewayCidr);
      nl.setUp(bridge);
    });
    // Published ports answer on 127.0.0.1: DNATed loopback traffic must be routable out of the bridge.
    setSysctl(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1');
    // Containers reach out (and each other through published ports) by the host routing for them, as docker's bridge does.
    setSysctl('/proc/sys/net/ipv4/ip_forward', '1');
  }

  async removeBridge(bridge: string): Promise<void> {
    withRtnetlink('', (nl) => nl.deleteLink(bridge));
  }

  createNetns(file: string): void {
    createNetns(file);
  }

  removeNetns(file: string): void {
    removeNetns(file);
  }

  async addEndpoint(o: { netns: string; hostName: string; ifName: string; bridge: string; mac: string; cidr: string; gateway?: string }): Promise<void> {
    await this.createVeth(o.hostName, o.ifName, o.netns, o.mac);
    withRtnetlink('', (nl) => {
      try {
        nl.setMaster(o.hostName, o.bridge);
        nl.setUp(o.hostName);
      } catch (err) {
        nl.deleteLink(o.hostName);
        throw err;
      }
    });
    try {
      withRtnetlink(o.netns, (ns) => {
        ns.addAddress(o.ifName, o.cidr);
        ns.setUp(o.ifName);
        if (o.gateway !== undefined) ns.addDefaultRoute(o.gateway);
      });
    } catch (err) {
      this.removeLink(o.hostName);
      throw err;
    }
  }

  freeEthName(netns: string): string {
    const taken = new Set(withRtnetlink(netns, (ns) => ns.listLinks().map((l) => l.name)));
    let n = 0;
    while (taken.has(`eth${n}`)) n++;
    return `eth${n}`;
  }

  /**
   * The last run's veth of the same name may still be going with its namespace (the kernel
   * destroys it in the background, and holds the name until then): its name is waited for.
   */
  private async createVeth(hostName: string, ifName: string, netns: string, mac: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      try {
        withRtnetlink('', (nl) => nl.createVethPair(hostName, ifName, { peerNetns: netns, peerMac: mac }));
        return;
      } catch (err) {
        if (!(err instanceof ConflictError) || Date.now() > deadline) throw err;
        this.removeLink(hostName);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  removeLink(name: string): void {
    withRtnetlink('', (nl) => nl.deleteLink(name));
  }
}
