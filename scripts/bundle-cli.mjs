// Bundles the CLI into one CommonJS file: a container start should not pay for loading
// some hundred small modules, and one classic script can be loaded through V8's code
// cache (bin/berth.js). The library (dist/*.js) stays unbundled ES modules.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const outfile = 'dist/bundle/cli.cjs';
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // pino and undici load on first use through createRequire; they stay dependencies, not part of the bundle.
  external: ['pino', 'undici'],
  // The sources find the package and load the addon relative to their own file.
  define: { 'import.meta.url': '__berthModuleUrl' },
  banner: { js: "const __berthModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: true,
  logLevel: 'warning',
});
// A code cache made for an older build must not be offered to V8 (it would reject it anyway).
rmSync(`${outfile}.cache`, { force: true });

// A code-cached script cannot import() on Node 20 (bin/berth.js): fail the build, not a user's command.
const { readFileSync } = await import('node:fs');
const dynamic = /\bimport\((?!\s*\))/.exec(readFileSync(outfile, 'utf8').replace(/\/\/.*$/gm, ''));
if (dynamic) throw new Error(`${outfile} contains a dynamic import(); require() the module lazily instead`);
