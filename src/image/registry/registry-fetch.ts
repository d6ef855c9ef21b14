/**
 * The fetch registry requests go through. Node reads NODE_EXTRA_CA_CERTS at every start, which
 * costs about 100 ms a command on hosts that set it (to the system bundle, as these do); the
 * `bin/berth` launcher hands the file over as BERTH_EXTRA_CA_CERTS instead, and its CAs are
 * read here, once, for the commands that talk to a registry.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { rootCertificates } from 'node:tls';
import type * as Undici from 'undici';

/** The extra CA file handed over by the launcher; undefined when Node reads its own (or there is none). */
export function handedOverCaFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env['BERTH_EXTRA_CA_CERTS'];
  return file && !env['NODE_EXTRA_CA_CERTS'] ? file : undefined;
}

let withExtraCas: typeof fetch | undefined;

function fetchWithCas(file: string): typeof fetch {
  // undici is loaded only here: the CLI bundle keeps it out (a code-cached script cannot import()).
  const undici = createRequire(import.meta.url)('undici') as typeof Undici;
  const dispatcher = new undici.Agent({ connect: { ca: [...rootCertificates, readFileSync(file, 'utf8')] } });
  // undici's fetch is the one Node bundles, with its own type names for the same shapes.
  const f = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> =>
    undici.fetch(input as Undici.RequestInfo, { ...(init as Undici.RequestInit), dispatcher }) as unknown as Promise<Response>;
  return f as typeof fetch;
}

/** Node's fetch, or one that also trusts the handed-over CAs. */
export function registryFetch(): typeof fetch {
  const file = handedOverCaFile();
  if (file === undefined) return fetch;
  withExtraCas ??= fetchWithCas(file);
  return withExtraCas;
}
