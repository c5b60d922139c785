import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
  brotli: Buffer | null;
  /** Vite puts a content hash in asset names: those can be cached for ever. */
  immutable: boolean;
}

/**
 * The dashboard's built files, read and compressed once at start: serving them costs a map
 * lookup. Text files get gzip and brotli copies when those are smaller.
 */
export function loadStaticFiles(dir: string | null): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (dir === null || !existsSync(dir)) return files;
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const body = readFileSync(full);
      const type = TYPES[extname(name)] ?? 'application/octet-stream';
      const compressible = /^text\/|json|svg|wasm/.test(type) && body.length > 512;
      const gzip = compressible ? gzipSync(body, { level: 9 }) : null;
      const brotli = compressible ? brotliCompressSync(body) : null;
      const url = `/${relative(dir, full).split('\\').join('/')}`;
      files.set(url, {
        type,
        body,
        gzip: gzip && gzip.length < body.length ? gzip : null,
        brotli: brotli && brotli.length < body.length ? brotli : null,
        immutable: url.startsWith('/assets/'),
      });
    }
  };
  walk(dir);
  return files;
}
