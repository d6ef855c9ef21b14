/** docker's shapes for a container's mounts: what was asked (HostConfig.Mounts) and what was made (inspect's Mounts). */
import { z } from 'zod';

export const mountType = z.enum(['volume', 'bind', 'tmpfs']);

/** One `--mount` (docker's mount.Mount): Source is a volume name (empty: anonymous) or a host path. */
export const mountOption = z
  .object({
    Type: mountType,
    Source: z.string().default(''),
    Target: z.string().refine((s) => s.startsWith('/'), 'the mount target must be an absolute path'),
    ReadOnly: z.boolean().default(false),
    /** Skips filling a new volume with the image's content (volume-nocopy). */
    NoCopy: z.boolean().default(false),
    TmpfsOptions: z
      .object({
        SizeBytes: z.number().int().nonnegative().optional(),
        Mode: z.number().int().nonnegative().optional(),
      })
      .optional(),
  })
  .strict();
export type MountOption = z.output<typeof mountOption>;
export type MountOptionInput = z.input<typeof mountOption>;

/** An entry of inspect's `Mounts`: a mount resolved at create. */
export const mountPoint = z.object({
  Type: mountType,
  Name: z.string().optional(),
  Source: z.string(),
  Destination: z.string(),
  Driver: z.string().optional(),
  Mode: z.string(),
  RW: z.boolean(),
  Propagation: z.string(),
  /** berth's own: the tmpfs options (size=…,mode=…) of a tmpfs mount. */
  Options: z.string().optional(),
});
export type MountPoint = z.infer<typeof mountPoint>;
