/**
 * The built-in `hello-world:latest`: one layer holding only `/hello` (berth's static
 * berth-hello program), made on first use without a registry. Every byte of the
 * layer and config is fixed, so the image id only changes with the program itself,
 * and two processes making it at once store one image.
 */
import { readFile } from 'node:fs/promises';
import { pack } from 'tar-stream';
import { NotFoundError, UnavailableError, isSystemError } from '../errors.js';
import { nativeExecutable } from '../native/addon.js';
import type { LayerStore } from '../storage/layer-store.js';
import type { ImageStore } from './image-store.js';
import { importArchive } from './import.js';
import { hostPlatform } from './platform.js';

import { HELLO_WORLD_REF } from './reference.js';

export { HELLO_WORLD_REF };

/** A fixed date for the layer's mtimes and the config: the image must not change with the clock. */
const CREATED = '2024-01-01T00:00:00Z';

async function helloProgram(): Promise<Buffer> {
  const file = nativeExecutable('berth-hello');
  try {
    return await readFile(file);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) {
      throw new UnavailableError(`the built-in hello-world image needs ${file}, which is not built; run 'npm run build'`);
    }
    throw err;
  }
}

/** The layer: a tar holding /hello, owned by root, executable by all. */
function helloLayer(program: Buffer): AsyncIterable<Uint8Array> {
  const tar = pack();
  tar.entry({ name: 'hello', type: 'file', mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(CREATED), size: program.length }, program);
  tar.finalize();
  return bytesOf(tar);
}

/** tar-stream's Pack is typed as yielding unknown; its chunks are Buffers. */
async function* bytesOf(stream: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('tar-stream produced a non-binary chunk');
    yield chunk;
  }
}

/** Makes hello-world:latest unless the tag exists; returns the image id. */
export async function ensureHelloWorld(images: ImageStore, layers: LayerStore): Promise<string> {
  try {
    return (await images.resolve(HELLO_WORLD_REF)).id;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  const program = await helloProgram();
  return importArchive(images, layers, {
    source: helloLayer(program),
    label: 'the hello-world layer',
    ref: HELLO_WORLD_REF,
    config: (diffId) => ({
      ...hostPlatform(),
      created: CREATED,
      config: {
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['/hello'],
      },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: CREATED, created_by: 'COPY hello / # berth built-in' }],
    }),
  });
}
