/** Which containers are on a network, read from their records' `NetworkSettings.Networks` (docker's shape: network name → endpoint). */
import type { ContainerRecord } from '../container/record.js';
import type { AttachedContainer } from './manager.js';

/** The containers among records whose settings list the network. */
export function attachedContainers(records: ReadonlyArray<Pick<ContainerRecord, 'Id' | 'Name' | 'NetworkSettings'>>, networkId: string): AttachedContainer[] {
  const out: AttachedContainer[] = [];
  for (const rec of records) {
    for (const ep of Object.values(rec.NetworkSettings.Networks)) {
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
