/** Container ids and generated names, as docker makes them. */
import { randomBytes } from 'node:crypto';

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

const adjectives = [
  'agile', 'brave', 'calm', 'clever', 'eager', 'fond', 'gentle', 'happy', 'jolly', 'keen',
  'lucid', 'merry', 'nimble', 'proud', 'quiet', 'rapid', 'serene', 'sharp', 'steady', 'sunny',
  'swift', 'tender', 'upbeat', 'vivid', 'warm', 'wise', 'witty', 'zealous', 'bold', 'cosmic',
];
const nouns = [
  'anchor', 'barge', 'beacon', 'buoy', 'cabin', 'canal', 'cargo', 'compass', 'cove', 'crane',
  'dock', 'ferry', 'galley', 'harbor', 'hull', 'jetty', 'keel', 'lagoon', 'mast', 'marina',
  'mooring', 'pier', 'quay', 'rudder', 'schooner', 'sloop', 'tide', 'wharf', 'yacht', 'skiff',
];

function pick(list: readonly string[]): string {
  return list[randomBytes(1)[0]! % list.length]!;
}

/** A name like docker's `adjective_noun`, with a number added when taken. */
export function generateName(taken: (name: string) => boolean): string {
  const base = `${pick(adjectives)}_${pick(nouns)}`;
  if (!taken(base)) return base;
  for (let i = 2; ; i++) {
    const n = `${base}${i}`;
    if (!taken(n)) return n;
  }
}
