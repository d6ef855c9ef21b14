/**
 * Whiteouts: how a layer says "this path of the layers below is deleted". Layer
 * tars use AUFS names (docker's wire format); unpacked layers use overlayfs's own
 * form, so that they can be stacked as overlay lower dirs directly.
 */
export const WHITEOUT_PREFIX = '.wh.';
/** AUFS metadata files (`.wh..wh.plnk`, `.wh..wh.aufs`) carry nothing a layer needs. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';
/** AUFS keeps hard link targets here; docker resolves hard links into it and drops the dir. */
export const AUFS_HARDLINK_DIR = '.wh..wh.plnk';
/** In a tar: every entry of the layers below in this directory is hidden. */
export const WHITEOUT_OPAQUE_DIR = '.wh..wh..opq';

/** overlayfs: a directory hiding everything below it. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';
/** overlayfs: attributes in this namespace steer the mount (redirects, origins); a layer's tar must not set them. */
export const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
