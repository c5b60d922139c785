import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import type { RunningProducer } from '../../producer/dist/index.js';

const clientDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const root = resolve(clientDir, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Serves a folder's files over HTTP (the browser example's page and the installed package). */
function serveFolder(folder: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript' };
  const server = createServer((request, response) => {
    const path = normalize(join(folder, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(folder) || !existsSync(path)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' });
    response.end(readFileSync(path));
  });
  return new Promise((resolveServer) => server.listen(0, '127.0.0.1', () => resolveServer(server)));
}

// `npm run pack -w client`, installed in a fresh folder with nothing else of the repository, then the
// README's two examples run as printed against a real edge (real broker, real producer).
describe(`@tickstream/client as a package (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let folder: string;
  let url: string;

  beforeAll(async () => {
    kafka = await startTestKafka();
    const topic = uniqueName('sdk-ticks');
    producer = await startTestProducer(kafka.brokers, topic, 1000, 20);
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
    edge = await startTestEdge(kafka.brokers, topic);
    url = `ws://127.0.0.1:${edge.port}/ws`;

    folder = mkdtempSync(join(tmpdir(), 'tickstream-client-install-'));
    const packed = execFileSync(process.execPath, [join(clientDir, 'scripts/pack.mjs'), folder])
      .toString()
      .trim();
    // Its dependency and the optional peer come as tarballs too: the install needs no registry.
    const pack = (name: string): string =>
      join(
        folder,
        execFileSync('npm', ['pack', '--silent', '--pack-destination', folder, join(root, 'node_modules', name)])
          .toString()
          .trim(),
      );
    const tarballs = [packed, pack('flatbuffers'), pack('ws')];
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'fresh', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs], {
      cwd: folder,
      stdio: 'pipe',
    });
  }, 240_000);

  afterAll(async () => {
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('installs alone: the package holds the client and the schemas it needs, and depends on flatbuffers only', () => {
    const installed = join(folder, 'node_modules/@tickstream/client');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies)).toEqual(['flatbuffers']);
    expect(existsSync(join(installed, 'dist/index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'dist/schemas/index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/schemas/lz4-node.js'))).toBe(false);
    expect(readFileSync(join(installed, 'dist/client.js'), 'utf8')).not.toContain('@tickstream/schemas');
    // The README prints the examples the package ships.
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    for (const example of ['node.mjs', 'browser.html'])
      expect(readme).toContain(readFileSync(join(installed, 'examples', example), 'utf8').trim());
  });

  it('runs the Node example: a Snapshot of its two symbols, then 20 updates with prices, and exits 0', async () => {
    copyFileSync(join(folder, 'node_modules/@tickstream/client/examples/node.mjs'), join(folder, 'node.mjs'));
    const child = spawn(process.execPath, ['node.mjs', url], { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const code = await new Promise<number | null>((resolveExit) => child.once('close', resolveExit));
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^snapshot: 2 symbols at seq \d+$/);
    const updates = lines.slice(1);
    expect(updates.length).toBeGreaterThanOrEqual(20);
    for (const line of updates) expect(line).toMatch(/^(AAPL|MSFT) \d+(\.\d+)? \(\d+ ticks\)$/);
  }, 30_000);

  it.skipIf(!existsSync(CHROMIUM))(
    'runs the browser example in Chromium: a row per symbol with a price',
    async () => {
      copyFileSync(join(folder, 'node_modules/@tickstream/client/examples/browser.html'), join(folder, 'index.html'));
      const server = await serveFolder(folder);
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        const port = (server.address() as AddressInfo).port;
        await page.goto(`http://127.0.0.1:${port}/index.html?edge=${encodeURIComponent(url)}`);
        // A string, not a function: this file is compiled without the DOM's types.
        await page.waitForFunction("document.querySelectorAll('#quotes tr').length === 3", null, { timeout: 15_000 });
        const rows = await page.$$eval('#quotes tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
        expect(errors).toEqual([]);
        expect(rows.map((row) => row.replace(/[\d.]+$/, '')).sort()).toEqual(['AAPL', 'GOOGL', 'MSFT']);
        for (const row of rows) expect(Number(row.replace(/^[A-Z]+/, ''))).toBeGreaterThan(0);
      } finally {
        await browser.close();
        server.close();
      }
    },
    30_000,
  );
});
