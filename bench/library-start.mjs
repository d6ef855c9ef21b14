// The library half of bench/start: engine.run of `true` in a warm process, timed in a
// plain Node process importing the built library as users do (the bench's own runner,
// vite-node, wraps every module access and would add its own cost).
// Usage: node bench/library-start.mjs ROOT RUN_ROOT IMAGE RUNS [NETWORK]; prints the times as JSON.
import { performance } from 'node:perf_hooks';
import { Engine } from '../dist/engine.js';

const [root, runRoot, image, runs, networkMode = 'none'] = process.argv.slice(2);
const engine = new Engine({ root, runRoot });
const once = async () => {
  const h = await engine.run({ image, cmd: ['true'], autoRemove: true, networkMode });
  h.stdout.resume();
  h.stderr.resume();
  await h.wait();
};
for (let i = 0; i < 5; i++) await once();
const times = [];
for (let i = 0; i < Number(runs); i++) {
  const t0 = performance.now();
  await once();
  times.push(performance.now() - t0);
}
await engine.close();
process.stdout.write(JSON.stringify(times));
