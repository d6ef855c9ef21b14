/** A volume's record on disk and docker's `volume inspect` view of it. */
import { z } from 'zod';

/** docker's label for volumes made without a name (`-v /path`, an image's VOLUME). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export const volumeRecordSchema = z.object({
  Name: z.string(),
  CreatedAt: z.string(),
  Labels: z.record(z.string()),
});
export type VolumeRecord = z.infer<typeof volumeRecordSchema>;

/** docker's Volume JSON, keys in its order. */
export interface VolumeInspect {
  CreatedAt: string;
  Driver: 'local';
  Labels: Record<string, string>;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
}

/** Names as docker's local driver takes them (two characters at least). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function isAnonymous(rec: Pick<VolumeRecord, 'Labels'>): boolean {
  return ANONYMOUS_LABEL in rec.Labels;
}
