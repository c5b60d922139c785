import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BarTimeframe, MarketEventKind } from '@tickstream/schemas';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { triggerOf, writeTriggerAsEvaluatorWould } from '../../edge/src/testing/alert-evaluator-stand-in.js';
import { AnalyticsStandIn, barsOf } from '../../edge/src/testing/analytics-stand-in.js';
import { startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import { defaultUserTopics } from '../../edge/src/user-state-kafka.js';
import type { RunningProducer } from '../../producer/dist/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dashboardDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(dashboardDir, 'dist');
const screenshots = join(dashboardDir, 'test-results');
const haveChromium = existsSync(CHROMIUM);

// The dashboard's views of the analytics job's output, in headless Chromium against the real
// system (broker, producer, edge serving dashboard/dist). The job itself is on another branch:
// AnalyticsStandIn writes its records (candles with indicators, detected market events) with
// the real schema through real Kafka, and the page must show exactly those.
describe.skipIf(!haveChromium)('dashboard: analytics in Chromium against a real edge', () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let standIn: AnalyticsStandIn;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const consoleErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`) });
  const tab = (name: string) => page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
  // The producer's SessionChange (announced at its start) is a real event beside the ones written here.
  const rows = () => page.getByTestId('event-row').filter({ hasNotText: 'SessionChange' });

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: dashboardDir, stdio: 'inherit' });
    }
    mkdirSync(screenshots, { recursive: true });
    kafka = await startTestKafka();
    const topic = uniqueName('dashboard-analytics');
    producer = await startTestProducer(kafka.brokers, topic, 1000, 20);
    standIn = new AnalyticsStandIn(kafka.brokers, {
      candles: `${topic}-candles`,
      correlations: `${topic}-correlations`,
      events: `${topic}-events`,
    });
    edge = await startTestEdge(kafka.brokers, topic, {
      staticDir: dist,
      candlesTopic: standIn.topics.candles,
      correlationsTopic: standIn.topics.correlations,
    });
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
    await edge?.stop();
    await standIn?.close();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('says "analytics offline" while no job has run, and invents nothing', async () => {
    await page.goto(`http://127.0.0.1:${edge.port}/`);
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent?.trim() === 'live');
    await expect.poll(() => page.getByTestId('analytics').innerText(), { timeout: 15_000 }).toBe('analytics offline');
    await tab('Events');
    await expect
      .poll(() => page.getByTestId('events-offline').innerText())
      .toMatch(/analytics offline: no candles topic/);
    expect(await rows().count()).toBe(0);
    await tab('Symbol');
    await expect.poll(() => page.getByTestId('chart-analytics').innerText()).toBe('analytics offline');
    await shot('analytics-offline');
    // The job's own figures need --analytics-metrics: the Performance view says so rather than show zeros.
    await tab('Performance');
    await expect.poll(() => page.locator('.performance').innerText()).toMatch(/analytics offline: no candles topic/);
    expect(await page.locator('.performance').innerText()).toMatch(/The job's own figures: not configured/);
  });

  it('shows detected events (filterable), a row badge and a chart marker once the job writes', async () => {
    const nowUs = Date.now() * 1000;
    await standIn.createTopics();
    await standIn.writeBars([
      ...barsOf('AAPL', 'Technology', BarTimeframe.M1, 60, nowUs, 190_0000),
      ...barsOf('AAPL', 'Technology', BarTimeframe.S1, 1, nowUs),
    ]);
    const detection = {
      sector: 'Technology',
      name: 'fall',
      detail: '',
      evidence: {
        value: 6.2,
        mean: Number.NaN,
        deviation: Number.NaN,
        threshold: 5,
        windowMs: 10_000,
        startTimeUs: nowUs - 125_000_000,
        price: 180_0000,
        startPrice: 192_0000,
      },
    };
    await standIn.writeEvent({
      ...detection,
      kind: MarketEventKind.FlashCrash,
      symbol: 'AAPL',
      timeUs: nowUs - 120_000_000,
    });
    await standIn.writeEvent({
      ...detection,
      kind: MarketEventKind.VolumeSpike,
      symbol: 'MSFT',
      name: 'volume',
      timeUs: nowUs - 60_000_000,
    });
    await standIn.writeEvent({
      kind: MarketEventKind.ScenarioStart,
      symbol: '',
      sector: 'Technology',
      name: 'news-spike',
      detail: 'announced',
      timeUs: nowUs - 30_000_000,
    });

    await expect.poll(() => page.getByTestId('analytics').innerText(), { timeout: 20_000 }).toBe('analytics online');
    await tab('Events');
    await expect.poll(() => rows().count(), { timeout: 15_000 }).toBe(3);
    expect(await page.getByTestId('events-offline').count()).toBe(0);
    await page.getByTestId('event-kind').selectOption('FlashCrash');
    await expect.poll(() => rows().count()).toBe(1);
    const crash = await rows().first().innerText();
    expect(crash).toMatch(/FlashCrash\s+AAPL/);
    expect(crash).toMatch(/value 6\.20, threshold 5\.00/);
    expect(crash).toMatch(/192\.00 → 180\.00/);
    await page.getByTestId('event-kind').selectOption('all');
    await page.getByTestId('event-source').selectOption('Producer');
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().innerText()).toMatch(/ScenarioStart/);
    await page.getByTestId('event-source').selectOption('all');
    await page.getByTestId('event-symbol').fill('msft');
    await expect.poll(() => rows().count()).toBe(1);
    await shot('events');

    await tab('Market');
    const badged = () =>
      page.evaluate(() => (window as unknown as { tickstream: { grid: { badged: string[] } } }).tickstream.grid.badged);
    await expect.poll(async () => (await badged()).sort(), { timeout: 10_000 }).toEqual(['AAPL', 'MSFT']);
    await shot('market-badges');

    // Clicking the event's symbol opens its chart: the 1m bars from the job, a marker at the crash.
    await tab('Events');
    await page.getByTestId('event-symbol').fill('AAPL');
    await rows().first().getByRole('button', { name: 'AAPL' }).click();
    const markers = () =>
      page.evaluate(
        () =>
          (window as unknown as { tickstream: { chart: { markers: { kind: string }[] } } }).tickstream.chart.markers,
      );
    await expect.poll(async () => (await markers()).map((m) => m.kind), { timeout: 15_000 }).toEqual(['FlashCrash']);
    await expect
      .poll(async () => Number((await page.getByTestId('bar-count').innerText()).split(' ')[0]))
      .toBeGreaterThanOrEqual(60);
    await expect.poll(() => page.getByTestId('marker-count').innerText()).toBe('1 events');
    await shot('chart-marker');

    // An alert trigger of this (single-user mode's) user is marked on the same chart, in time
    // order with the event, and is not counted as a market event.
    const armedAt = Date.now() - 200_000;
    await writeTriggerAsEvaluatorWould(kafka.brokers, defaultUserTopics.alertEvents, {
      ...triggerOf(
        { id: 'a-chart', user: 'local', symbol: 'AAPL', kind: 'price-above', value: 190, armedAt },
        190.05,
        1,
      ),
      timeMs: Math.floor(nowUs / 1000) - 90_000,
    });
    await expect
      .poll(async () => (await markers()).map((m) => m.kind), { timeout: 15_000 })
      .toEqual(['FlashCrash', 'AlertTriggered']);
    expect(await page.getByTestId('marker-count').innerText()).toBe('1 events');
    await shot('chart-marker-and-trigger');
    expect(consoleErrors.join('\n')).toBe('');
  });
});
