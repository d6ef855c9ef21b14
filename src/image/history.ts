/**
 * An image's history as docker shows it: the config's history entries newest first, each
 * non-empty one with the size of its layer, the newest with the image id and tags, the
 * others `<missing>` (their intermediate images are not stored).
 */
import { chainIds } from '../storage/chain-id.js';
import type { HistoryEntry, ImageConfig } from './config.js';

/** The Engine API's ImageHistoryResponseItem. */
export interface ImageHistoryItem {
  Id: string;
  /** Seconds since the epoch. */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export async function imageHistory(
  id: string,
  config: ImageConfig,
  refs: { tags: string[] },
  layerSize: (chainId: string) => Promise<number>,
): Promise<ImageHistoryItem[]> {
  const chains = chainIds(config.rootfs.diff_ids);
  // Without history (an image made by hand), each layer stands for itself.
  const entries = config.history && config.history.length > 0 ? config.history : chains.map(() => ({}));
  const items: ImageHistoryItem[] = [];
  let layer = 0;
  for (const e of entries as HistoryEntry[]) {
    let size = 0;
    if (!e.empty_layer && layer < chains.length) size = await layerSize(chains[layer++]!);
    items.push({
      Id: '<missing>',
      Created: e.created ? Math.floor(Date.parse(e.created) / 1000) || 0 : 0,
      CreatedBy: e.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: e.comment ?? '',
    });
  }
  items.reverse();
  if (items[0]) {
    items[0].Id = id;
    items[0].Tags = refs.tags.length > 0 ? refs.tags : null;
  }
  return items;
}
