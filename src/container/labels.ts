/** Label filters as docker's `label=KEY` / `label=KEY=VALUE` take them. */

/** Whether labels match one filter value: `KEY` needs the key, `KEY=VALUE` that value too. */
export function matchesLabel(labels: Readonly<Record<string, string>>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, filter);
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

/** All filters match (wanted true), or none does (wanted false, docker's `label!=`). */
export function matchesLabels(labels: Readonly<Record<string, string>>, filters: readonly string[], wanted: boolean): boolean {
  return filters.every((f) => matchesLabel(labels, f) === wanted);
}
