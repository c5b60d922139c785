import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../broker/src/testing/certificates.js';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import type { RunningProducer } from '../../producer/dist/index.js';

// An edge serving https:// and wss:// itself (--tls-cert/--tls-key) with a certificate made by
// openssl for this run, read by `tickstream watch` (trusting the test CA with --ca, refusing it
// without) and by the dashboard in Chromium, which is told to accept exactly this key.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dist = resolve(fileURLToPath(new URL('..', import.meta.url)), 'dist');
const cli = fileURLToPath(new URL('../../cli/bin/tickstream.js', import.meta.url));
const haveChromium = existsSync(CHROMIUM) && existsSync(join(dist, 'index.html'));
if (!haveChromium) process.stderr.write('TLS browser test skipped: no Chromium or no dashboard build\n');

function watch(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child: ChildProcess = spawn(process.execPath, [cli, 'watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.skipIf(!haveChromium)('an edge serving TLS: wss:// to tickstream watch and to the dashboard', () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let certificates: TestCertificates;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    certificates = makeTestCertificates();
    kafka = await startTestKafka();
    const topic = uniqueName('tls');
    producer = await startTestProducer(kafka.brokers, topic, 2000, 50);
    edge = await startTestEdge(kafka.brokers, topic, {
      staticDir: dist,
      tls: { certFile: certificates.certFile, keyFile: certificates.keyFile },
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
    certificates?.remove();
  }, 60_000);

  it('streams to tickstream watch over wss:// with --ca, and is refused without it', async () => {
    expect(edge.scheme).toBe('https');
    const url = `wss://127.0.0.1:${edge.port}/ws`;
    const trusted = await watch([
      '--url',
      url,
      '--ca',
      certificates.caFile,
      '--count',
      '50',
      '--json',
      '--timeout',
      '20s',
    ]);
    expect(trusted.code, trusted.stderr).toBe(0);
    const updates = trusted.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; last: number });
    expect(updates.filter((update) => update.type === 'update').length).toBeGreaterThanOrEqual(50);
    expect(updates.every((update) => update.last > 0)).toBe(true);

    const untrusted = await watch(['--url', url, '--count', '1', '--timeout', '2s']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(
      /connection error: .*certificate.*\(trust the edge’s CA with --ca FILE or NODE_EXTRA_CA_CERTS=FILE\)/,
    );
  }, 60_000);

  it('serves the dashboard over https:// and it goes live over wss://', async () => {
    // Chromium accepts exactly this certificate's key, nothing else untrusted.
    const spki = new X509Certificate(readFileSync(certificates.certFile)).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    profile = mkdtempSync(join(tmpdir(), 'tickstream-chromium-tls-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        `--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`,
        '--use-angle=swiftshader',
        '--enable-unsafe-swiftshader',
        '--no-sandbox',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    const response = await page.goto(`https://127.0.0.1:${edge.port}/`);
    expect(response?.status()).toBe(200);
    await page.waitForFunction(
      () => document.querySelector('[data-testid=status]')?.textContent?.trim() === 'live',
      undefined,
      { timeout: 30_000 },
    );
    const applied = () => page.evaluate('window.tickstream.engine.meter.appliedUpdates') as Promise<number>;
    const before = await applied();
    await page.waitForTimeout(1500);
    expect(await applied()).toBeGreaterThan(before);
    expect(sockets).toContain(`wss://127.0.0.1:${edge.port}/ws`);
  }, 60_000);
});
