import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

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

const VARIANTS = ['.br', '.gz'] as const;
/** Brotli at its best takes ~1.4 s of CPU for the dashboard: for the build, not for every edge start. */
const BROTLI_BEST = { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } };
const BROTLI_FAST = { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } };

function typeOf(name: string): string {
  return TYPES[extname(name)] ?? 'application/octet-stream';
}

function isCompressible(type: string, body: Buffer): boolean {
  return /^text\/|json|svg|wasm/.test(type) && body.length > 512;
}

/** Every file under `dir` but the .br / .gz copies written next to another file. */
function* servedFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) yield* servedFiles(full);
    else if (!VARIANTS.some((suffix) => name.endsWith(suffix) && existsSync(full.slice(0, -suffix.length)))) yield full;
  }
}

/**
 * Writes NAME.br and NAME.gz next to every compressible file under `dir`, at the highest
 * settings (the build runs it on the dashboard), so that edges load them instead of compressing
 * at every start. Returns how many files it compressed.
 */
export function precompressStaticFiles(dir: string): number {
  let count = 0;
  for (const full of servedFiles(dir)) {
    const body = readFileSync(full);
    if (!isCompressible(typeOf(full), body)) continue;
    writeFileSync(`${full}.br`, brotliCompressSync(body, BROTLI_BEST));
    writeFileSync(`${full}.gz`, gzipSync(body, { level: 9 }));
    count++;
  }
  return count;
}

/** The copy the build wrote next to `full`, if it is not older than the file itself. */
function prebuilt(full: string, suffix: (typeof VARIANTS)[number]): Buffer | null {
  const variant = `${full}${suffix}`;
  return existsSync(variant) && statSync(variant).mtimeMs >= statSync(full).mtimeMs ? readFileSync(variant) : null;
}

/**
 * The dashboard's built files, read once at start: serving them costs a map lookup. Text files
 * get gzip and brotli copies when those are smaller: the build's (precompressStaticFiles), or
 * made here with fast settings when the build wrote none.
 */
export function loadStaticFiles(dir: string | null): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (dir === null || !existsSync(dir)) return files;
  for (const full of servedFiles(dir)) {
    const body = readFileSync(full);
    const type = typeOf(full);
    const compressible = isCompressible(type, body);
    const gzip = compressible ? (prebuilt(full, '.gz') ?? gzipSync(body, { level: 9 })) : null;
    const brotli = compressible ? (prebuilt(full, '.br') ?? brotliCompressSync(body, BROTLI_FAST)) : null;
    const url = `/${relative(dir, full).split('\\').join('/')}`;
    files.set(url, {
      type,
      body,
      gzip: gzip && gzip.length < body.length ? gzip : null,
      brotli: brotli && brotli.length < body.length ? brotli : null,
      immutable: url.startsWith('/assets/'),
    });
  }
  return files;
}
