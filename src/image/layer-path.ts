/**
 * Where an archive entry lands inside a layer. Absolute names are taken relative
 * to the layer root (the leading `/` is dropped, as docker does); a name whose
 * `..` components climb above the root is refused rather than clamped.
 */

/** The path components of name below the layer root ([] for the root itself), or undefined when it escapes. */
export function layerPathComponents(name: string): string[] | undefined {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts;
}
