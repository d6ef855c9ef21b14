/**
 * A container as `docker ps` shows it: its STATUS text and the row its `--format`
 * templates read (docker's ContainerContext fields, with `.Label "k"`).
 */
import { formatPortsColumn } from '../network/port-format.js';
import type { ContainerRecord } from '../container/record.js';
import { humanDuration, humanSize } from './format.js';
import { goStruct } from './go-template/index.js';

const isZero = (t: string): boolean => t.startsWith('0001-01-01');

/**
 * docker's State.String(): "Up 3 minutes", "Up 3 minutes (Paused)", "Up 3 minutes (healthy)",
 * "Restarting (1) 2 seconds ago", "Exited (0) 2 seconds ago", "Created", "Dead", "Removal In Progress".
 */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.State;
  const since = (t: string): string => humanDuration(now - Date.parse(t));
  if (s.Status === 'restarting' || s.Restarting) return `Restarting (${s.ExitCode}) ${since(s.FinishedAt)} ago`;
  if (s.Status === 'running' || s.Status === 'paused' || s.Running) {
    if (s.Status === 'paused' || s.Paused) return `Up ${since(s.StartedAt)} (Paused)`;
    const health = s.Health?.Status ?? (rec.Config.Healthcheck ? 'starting' : undefined);
    if (health !== undefined) return `Up ${since(s.StartedAt)} (${health === 'starting' ? 'health: starting' : health})`;
    return `Up ${since(s.StartedAt)}`;
  }
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead' || s.Dead) return 'Dead';
  if (s.Status === 'created') return 'Created';
  // A start that failed before the process ran (126/127) has no finish time to count from.
  if (isZero(s.FinishedAt)) return `Exited (${s.ExitCode})`;
  return `Exited (${s.ExitCode}) ${since(s.FinishedAt)} ago`;
}

/** Go's time.Time.String() in UTC, as docker prints CreatedAt. */
export function goTimeString(iso: string): string {
  return `${new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')} +0000 UTC`;
}

export interface RowOptions {
  noTrunc: boolean;
  /** SizeRw and SizeRootFs, when they were asked for (-s, or a template naming .Size). */
  size?: { SizeRw: number; SizeRootFs: number };
  now?: number;
}

/** docker's Ellipsis: at most max characters, the last one "…". */
function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The fields `docker ps --format` offers, in the order `--format json` prints them. */
export function containerRow(rec: ContainerRecord, o: RowOptions) {
  const now = o.now ?? Date.now();
  const cmd = [rec.Path, ...rec.Args].join(' ');
  const image = !o.noTrunc && /^sha256:[0-9a-f]{64}$/.test(rec.Config.Image) ? rec.Config.Image.slice(7, 19) : rec.Config.Image;
  const labels = rec.Config.Labels;
  const size = o.size ? `${humanSize(o.size.SizeRw)}${o.size.SizeRootFs > 0 ? ` (virtual ${humanSize(o.size.SizeRootFs)})` : ''}` : '0B';
  return goStruct('*formatter.ContainerContext', {
    Command: JSON.stringify(o.noTrunc ? cmd : ellipsis(cmd, 20)),
    CreatedAt: goTimeString(rec.Created),
    ID: o.noTrunc ? rec.Id : rec.Id.slice(0, 12),
    Image: image,
    Labels: Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(','),
    LocalVolumes: String(rec.Mounts.filter((m) => m.Driver === 'local').length),
    // docker lists mounts by name (binds have none), each cut to 15 characters unless --no-trunc.
    Mounts: rec.Mounts.map((m) => (o.noTrunc ? (m.Name ?? '') : ellipsis(m.Name ?? '', 15))).join(','),
    Names: rec.Name.replace(/^\//, ''),
    // docker lists the networks a container is on; a container of another's namespace, or host/none, by its mode.
    Networks: Object.keys(rec.NetworkSettings.Networks).sort().join(',') || rec.HostConfig.NetworkMode,
    Ports: rec.State.Running ? formatPortsColumn(rec.NetworkSettings.Ports) : '',
    RunningFor: `${humanDuration(now - Date.parse(rec.Created))} ago`,
    Size: size,
    State: rec.State.Status,
    Status: statusText(rec, now),
    /** `{{.Label "key"}}`: one label's value. */
    Label: (key: unknown): string => (typeof key === 'string' ? (labels[key] ?? '') : ''),
  });
}
