/**
 * Where berth keeps its state. Every part takes its dirs from here so that tests
 * (and embedding services) can point the whole engine at a temporary root.
 */
import path from 'node:path';

export const DEFAULT_ROOT = '/var/lib/berth';
export const DEFAULT_RUN_ROOT = '/run/berth';

export class StatePaths {
  constructor(
    readonly root: string,
    readonly runRoot: string,
  ) {}

  get containers(): string {
    return path.join(this.root, 'containers');
  }
  container(id: string): string {
    return path.join(this.containers, id);
  }
  /** Serialises container creation, naming and state changes between processes. */
  get containersLock(): string {
    return path.join(this.root, 'containers.lock');
  }
  /**
   * Removed containers' dirs wait here while they are deleted in the background; on the
   * same filesystem as the containers, so moving one here is a rename.
   */
  get trash(): string {
    return path.join(this.root, 'trash');
  }
  /** Attach sockets live under the run root with short names: unix socket paths are limited to 107 bytes. */
  attachSocket(id: string): string {
    return path.join(this.runRoot, 's', id.slice(0, 16));
  }
  /** An exec's attach socket: beside containers' sockets, in a dir of its own so ids never meet. */
  execSocket(execId: string): string {
    return path.join(this.runRoot, 'x', execId.slice(0, 16));
  }
}
