import type * as Uws from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { EdgeStartError } from './startup-error.js';

export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';
export type UwsModule = typeof Uws;

/**
 * Loads uWebSockets.js and insists on its native binary. The package quietly falls back to a
 * pure-JS server (built on `ws`) when the binary does not load, which would pass every test at
 * a fraction of the speed the edge exists for, so that fallback is refused with a clear error.
 */
export function loadNativeUws(resolveFrom: string = import.meta.url): UwsModule {
  const require = createRequire(resolveFrom);
  if (/^(1|true)$/i.test(process.env.UWS_USE_FALLBACK ?? '')) {
    throw new EdgeStartError(
      'UWS_USE_FALLBACK asks uWebSockets.js for its pure-JS fallback; the edge runs only on the native binary: unset it',
    );
  }
  let uws: UwsModule;
  try {
    uws = require('uWebSockets.js') as UwsModule;
  } catch (error) {
    throw new EdgeStartError(`uWebSockets.js did not load at all: ${(error as Error).message.split('\n')[0]}`);
  }
  // The package's own native binary, if it loaded, is in the module cache under its directory.
  const packageDir = dirname(dirname(require.resolve('uWebSockets.js')));
  const binary = Object.keys(require.cache).find((path) => path.startsWith(packageDir) && path.endsWith('.node'));
  if (binary === undefined) {
    throw new EdgeStartError(
      `uWebSockets.js could not load its native binary for Node ${process.versions.node} (ABI ${process.versions.modules}, ` +
        `${process.platform}-${process.arch}) and fell back to pure JS; the edge refuses to run on it. ` +
        'Use Node 20 on glibc ≥ 2.36, or a uWebSockets.js build for this platform.',
    );
  }
  return uws;
}
