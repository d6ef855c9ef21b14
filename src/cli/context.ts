/** What every command gets: the Engine and where to print. */
import type { Engine } from '../engine.js';

export interface CommandContext {
  engine: Engine;
  /** The client config dir (registry credentials): --config, $BERTH_CONFIG or ~/.berth. */
  configDir: string;
  out(text: string): void;
  err(text: string): void;
}
