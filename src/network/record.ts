/** A network's record on disk and docker's `network inspect` view of it. */
import { z } from 'zod';

export type NetworkDriverName = 'bridge' | 'host' | 'null';

/** Options key that names a bridge network's interface, as docker's bridge driver reads it. */
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/** The networks every engine has and nobody can remove: name → driver. */
export const PREDEFINED: Readonly<Record<string, NetworkDriverName>> = { bridge: 'bridge', host: 'host', none: 'null' };

/** Names as docker takes container names; a network's name also names it on the command line. */
export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const ipamConfigSchema = z.object({ Subnet: z.string(), Gateway: z.string() });

/** docker's Network object without Containers, which is read from the containers at inspect time. */
export const networkRecordSchema = z.object({
  Name: z.string(),
  Id: z.string().regex(/^[0-9a-f]{64}$/),
  Created: z.string(),
  Scope: z.literal('local'),
  Driver: z.enum(['bridge', 'host', 'null']),
  EnableIPv6: z.boolean(),
  IPAM: z.object({ Driver: z.literal('default'), Options: z.record(z.string()), Config: z.array(ipamConfigSchema) }),
  Internal: z.boolean(),
  Attachable: z.boolean(),
  Ingress: z.boolean(),
  ConfigFrom: z.object({ Network: z.string() }),
  ConfigOnly: z.boolean(),
  Options: z.record(z.string()),
  Labels: z.record(z.string()),
});
export type NetworkRecord = z.infer<typeof networkRecordSchema>;

/** docker's EndpointResource: one container on the network, as inspect lists it. */
export interface NetworkEndpoint {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** `a.b.c.d/nn`. */
  IPv4Address: string;
  IPv6Address: string;
}

/** docker's Network JSON, keys in its order. */
export type NetworkInspect = Omit<NetworkRecord, 'Options' | 'Labels'> & {
  Containers: Record<string, NetworkEndpoint>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
};

export function isPredefined(rec: Pick<NetworkRecord, 'Name'>): boolean {
  return Object.hasOwn(PREDEFINED, rec.Name);
}

/** The bridge interface of a bridge network; undefined for host and none. */
export function bridgeName(rec: Pick<NetworkRecord, 'Driver' | 'Options'>): string | undefined {
  return rec.Driver === 'bridge' ? rec.Options[BRIDGE_NAME_OPTION] : undefined;
}

/** User networks' bridges: `berth-` and the id's first 9 hex digits fill IFNAMSIZ's 15 characters. */
export function userBridgeName(id: string): string {
  return `berth-${id.slice(0, 9)}`;
}

/** Go's RFC3339Nano in UTC: the fraction without trailing zeros. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac === '' ? 'Z' : `.${frac}Z`));
}

export function inspectView(rec: NetworkRecord, containers: Record<string, NetworkEndpoint>): NetworkInspect {
  return {
    Name: rec.Name,
    Id: rec.Id,
    Created: rec.Created,
    Scope: rec.Scope,
    Driver: rec.Driver,
    EnableIPv6: rec.EnableIPv6,
    IPAM: rec.IPAM,
    Internal: rec.Internal,
    Attachable: rec.Attachable,
    Ingress: rec.Ingress,
    ConfigFrom: rec.ConfigFrom,
    ConfigOnly: rec.ConfigOnly,
    Containers: containers,
    Options: rec.Options,
    Labels: rec.Labels,
  };
}
