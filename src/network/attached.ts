/**
 * Which containers are on a network, read from their records' `NetworkSettings.Networks`
 * (docker's shape: network name → endpoint settings). The one place that reads it, so the
 * network manager does not depend on the container record's layout.
 */
import { z } from 'zod';
import type { AttachedContainer } from './manager.js';

const endpointSettingsSchema = z.object({
  NetworkID: z.string(),
  EndpointID: z.string().default(''),
  IPAddress: z.string().default(''),
  IPPrefixLen: z.number().default(0),
  MacAddress: z.string().default(''),
});

const networkedRecordSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  NetworkSettings: z.object({ Networks: z.record(endpointSettingsSchema).nullable().optional() }).nullable().optional(),
});

/** The containers among records whose settings list the network. */
export function attachedContainers(records: readonly unknown[], networkId: string): AttachedContainer[] {
  const out: AttachedContainer[] = [];
  for (const raw of records) {
    const parsed = networkedRecordSchema.safeParse(raw);
    if (!parsed.success) continue;
    const rec = parsed.data;
    for (const ep of Object.values(rec.NetworkSettings?.Networks ?? {})) {
      if (ep.NetworkID !== networkId) continue;
      out.push({
        id: rec.Id,
        name: rec.Name.replace(/^\//, ''),
        endpointId: ep.EndpointID,
        macAddress: ep.MacAddress,
        ipv4Address: ep.IPAddress === '' ? '' : `${ep.IPAddress}/${ep.IPPrefixLen}`,
      });
    }
  }
  return out;
}
