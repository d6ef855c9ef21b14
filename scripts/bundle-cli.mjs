// Bundles the CLI into one file: a container start should not pay for loading
// some hundred small modules. The library (dist/*.js) stays unbundled.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/bundle/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // pino loads on first use through createRequire; it stays a dependency, not part of the bundle.
  external: ['pino'],
  // CommonJS dependencies call require(); give the ES module one.
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: 'warning',
});
