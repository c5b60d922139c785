import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import type { RunningProducer } from '../../producer/dist/index.js';
import { TcpProxy } from './testing/tcp-proxy.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dashboardDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(dashboardDir, 'dist');
const screenshots = join(dashboardDir, 'test-results');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  process.stderr.write(`dashboard browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)\n`);
}

interface EngineView {
  tickstream: {
    engine: {
      status: string;
      book: { size: number };
      meter: { appliedUpdates: number };
      counters: { reconnects: number; protocolErrors: number } | null;
    };
  };
}

// The built dashboard in headless Chromium (WebGL through SwiftShader) against the real
// system: embedded broker, producer (500 symbols), an edge serving dashboard/dist behind a
// fixed address so it can be killed and brought back.
describe.skipIf(!haveChromium)('dashboard in Chromium against a real edge', () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let proxy: TcpProxy;
  let topic: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let url: string;
  const consoleErrors: string[] = [];

  const startEdge = (): Promise<RunningEdge> => startTestEdge(kafka.brokers, topic, { staticDir: dist });
  const engineValue = <T>(read: (view: EngineView['tickstream']['engine']) => T): Promise<T> =>
    page.evaluate(`(${read.toString()})(window.tickstream.engine)`) as Promise<T>;
  const statusText = (): Promise<string> => page.getByTestId('status').innerText();
  const waitForStatus = (text: string, timeout = 20_000) =>
    page.waitForFunction(
      (wanted) => document.querySelector('[data-testid=status]')?.textContent?.trim() === wanted,
      text,
      { timeout },
    );
  const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`) });

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: dashboardDir, stdio: 'inherit' });
    }
    mkdirSync(screenshots, { recursive: true });
    kafka = await startTestKafka();
    topic = uniqueName('dashboard-e2e');
    producer = await startTestProducer(kafka.brokers, topic, 5000, 500);
    await new Promise((r) => setTimeout(r, 1500));
    edge = await startEdge();
    proxy = new TcpProxy(edge.port);
    url = `http://127.0.0.1:${await proxy.listen()}/`;
    profile = mkdtempSync(join(tmpdir(), 'tickstream-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-sandbox'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await proxy?.close();
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('loads without console errors, goes live and draws the grid with WebGL', async () => {
    await page.goto(url);
    await waitForStatus('live');
    const webgl = await page.evaluate(() => {
      const canvas = document.querySelector('.grid canvas') as HTMLCanvasElement | null;
      return canvas ? Boolean(canvas.getContext('webgl2') ?? canvas.getContext('webgl')) : false;
    });
    expect(webgl).toBe(true);
    expect(await engineValue((e) => e.book.size)).toBe(500);
    expect(consoleErrors.join('\n')).toBe('');
  });

  it('applies at least 1,000 symbol updates a second across 500 symbols', async () => {
    const before = await engineValue((e) => e.meter.appliedUpdates);
    const started = Date.now();
    await page.waitForTimeout(3000);
    const after = await engineValue((e) => e.meter.appliedUpdates);
    const perSecond = (after - before) / ((Date.now() - started) / 1000);
    process.stderr.write(`dashboard applied ${Math.round(perSecond)} symbol updates/s\n`);
    expect(perSecond).toBeGreaterThanOrEqual(1000);
    await shot('market');
  });

  it('pins a symbol from the grid and shows it in the watchlist', async () => {
    await page.locator('.grid').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('p');
    await page.getByRole('tab', { name: /Watchlist/ }).click();
    await expect.poll(() => page.locator('.watchlist tbody tr').count()).toBe(1);
    await shot('watchlist');
  });

  it('opens the help overlay (Ctrl+H) and the search (Ctrl+K) as dialogs that Esc closes', async () => {
    await page.keyboard.press('Control+h');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor({ timeout: 5_000 });
    expect(await help.innerText()).toContain('Ctrl+K');
    await shot('help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached', timeout: 5_000 });
    await page.keyboard.press('Control+k');
    const search = page.getByRole('dialog', { name: 'Symbol search' });
    await search.waitFor({ timeout: 5_000 });
    // The search field has the focus: typing goes into it.
    await page.keyboard.type('MS');
    expect(await search.getByRole('combobox').inputValue()).toBe('MS');
    await page.keyboard.press('Escape');
    await search.waitFor({ state: 'detached', timeout: 5_000 });
  });

  it('shows candles for a symbol, with the OHLC readout', async () => {
    await page.keyboard.press('Control+k');
    await page.keyboard.type('AAPL');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => Number((await page.getByTestId('bar-count').innerText()).split(' ')[0]), { timeout: 10_000 })
      .toBeGreaterThan(0);
    // A fresh market has few 1m bars: the 1s chart shows more.
    await page.getByRole('button', { name: '1s', exact: true }).click();
    await expect
      .poll(async () => Number((await page.getByTestId('bar-count').innerText()).split(' ')[0]), { timeout: 10_000 })
      .toBeGreaterThan(3);
    await page.locator('.chart canvas').hover({ position: { x: 1180, y: 300 } });
    await expect.poll(() => page.getByTestId('ohlc').innerText()).toMatch(/O \d+\.\d\d.*C \d+\.\d\d/s);
    await shot('symbol');
  });

  it('fills the Performance tab and the Activity log', async () => {
    await page.getByRole('tab', { name: /Performance/ }).click();
    await page.waitForTimeout(2500);
    const updates = await page.locator('[data-metric=updatesPerS]').innerText();
    expect(Number(updates.replace(/,/g, ''))).toBeGreaterThan(0);
    await shot('performance');
    await page.getByRole('tab', { name: /Activity/ }).click();
    await expect.poll(() => page.locator('.activity li').count()).toBeGreaterThan(0);
    await shot('activity');
  });

  it('keeps the theme across a reload', async () => {
    const before = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.getByTestId('theme').click();
    const chosen = await page.evaluate(() => document.documentElement.dataset.theme);
    expect(chosen).not.toBe(before);
    await page.reload();
    await waitForStatus('live');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(chosen);
    await shot(`market-${chosen}`);
    expect(consoleErrors.join('\n')).toBe('');
  });

  it('reconnects on Ctrl+R without reloading the page', async () => {
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    const before = await engineValue((e) => e.counters?.reconnects ?? 0);
    await page.locator('body').press('Control+r');
    await expect
      .poll(() => engineValue((e) => e.counters?.reconnects ?? 0), { timeout: 10_000 })
      .toBeGreaterThan(before);
    await waitForStatus('live');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('shows "reconnecting" while the edge is down and recovers when it returns', async () => {
    await edge.stop();
    proxy.dropConnections();
    await waitForStatus('reconnecting');
    await shot('reconnecting');
    edge = await startEdge();
    proxy.targetPort = edge.port;
    await waitForStatus('live', 30_000);
    expect(await statusText()).toBe('live');
    expect(await engineValue((e) => e.counters?.protocolErrors ?? 0)).toBe(0);
  });
});
