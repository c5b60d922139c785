import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStaticFiles, precompressStaticFiles } from './static-files.js';

describe('static files', () => {
  let dir: string;
  const page = `<!doctype html><title>tickstream</title>${'<p>grid</p>'.repeat(200)}`;
  const script = `export const rows = [${Array.from({ length: 300 }, (_, i) => i).join(',')}];`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tickstream-static-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), page);
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), script);
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    writeFileSync(join(dir, 'logo.png'), Buffer.alloc(2048, 7));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the build’s .br and .gz copies, which precompressStaticFiles writes for compressible files only', () => {
    expect(precompressStaticFiles(dir)).toBe(2);
    const files = loadStaticFiles(dir);
    expect([...files.keys()].sort()).toEqual(['/assets/app-abc123.js', '/favicon.svg', '/index.html', '/logo.png']);
    const index = files.get('/index.html');
    expect(index?.brotli).toEqual(readFileSync(join(dir, 'index.html.br')));
    expect(index?.gzip).toEqual(readFileSync(join(dir, 'index.html.gz')));
    expect(brotliDecompressSync(index?.brotli as Buffer).toString()).toBe(page);
    expect(gunzipSync(index?.gzip as Buffer).toString()).toBe(page);
    expect(files.get('/assets/app-abc123.js')?.immutable).toBe(true);
    expect(files.get('/favicon.svg')).toMatchObject({ gzip: null, brotli: null, type: 'image/svg+xml' });
    expect(files.get('/logo.png')).toMatchObject({ gzip: null, brotli: null, type: 'image/png' });
  });

  it('compresses at start when the build wrote no copies', () => {
    const scriptFile = loadStaticFiles(dir).get('/assets/app-abc123.js');
    expect(brotliDecompressSync(scriptFile?.brotli as Buffer).toString()).toBe(script);
    expect(gunzipSync(scriptFile?.gzip as Buffer).toString()).toBe(script);
  });

  it('ignores a copy older than its file (a page rebuilt without precompressing)', () => {
    writeFileSync(join(dir, 'index.html.br'), brotliCompressSync('<!doctype html><title>an old build</title>'));
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'index.html.br'), past, past);
    const index = loadStaticFiles(dir).get('/index.html');
    expect(brotliDecompressSync(index?.brotli as Buffer).toString()).toBe(page);
  });
});
