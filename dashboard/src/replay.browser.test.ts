import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MarketEventKind, TickEncoder } from '@tickstream/schemas';
import kafkajs from 'kafkajs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import type { RunningProducer } from '../../producer/dist/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dashboardDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(dashboardDir, 'dist');
const screenshots = join(dashboardDir, 'test-results');
const haveChromium = existsSync(CHROMIUM);

// The built dashboard in headless Chromium against the real system: its time bar replays what
// Kafka holds, every sign says REPLAY, the grid shows the replayed market, and L goes back to live.
describe.skipIf(!haveChromium)('dashboard replay in Chromium against a real edge', () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let topic: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let startedMs: number;
  let eventTimeUs: number;
  const pageErrors: string[] = [];

  /** AAPL's exchange time in the dashboard's book (µs), and the replay's clock (null: live). */
  const shown = (): Promise<{ aaplTimeUs: number; replayClockUs: number | null }> =>
    page.evaluate(`(() => {
      const engine = window.tickstream.engine;
      const id = engine.book.idOf('AAPL');
      return { aaplTimeUs: id === undefined ? 0 : engine.book.value(id, 8), replayClockUs: engine.replay ? engine.replay.clockUs : null };
    })()`) as Promise<{ aaplTimeUs: number; replayClockUs: number | null }>;

  /**
   * Whether the Overview's movers and heatmap are the replay's: marked so, and every listed
   * mover's last and change, and every heatmap tile's change, equal to the book shown (the
   * replayed one); with the listed movers' [symbol, last].
   */
  const summariesShown = (): Promise<{
    replay: boolean;
    moversMatch: boolean;
    heatmapMatch: boolean;
    listed: [string, number][];
  }> =>
    page.evaluate(`(() => {
      const { book, movers, heatmap } = window.tickstream.engine;
      const listed = movers ? [...movers.gainers, ...movers.losers] : [];
      const moversMatch = listed.length > 0 && listed.every((m) => {
        const id = book.idOf(m.symbol);
        return id !== undefined && book.value(id, 0) === m.last && Math.abs(book.changePercent(id) - m.changePct) < 1e-9;
      });
      const heatmapMatch = heatmap !== null && heatmap.symbols.length > 0 && heatmap.symbols.every((symbol, i) => {
        const id = book.idOf(symbol);
        return id !== undefined && Math.abs(heatmap.tiles[i * 5 + 4] - book.changePercent(id)) < 1e-3;
      });
      return {
        replay: movers !== null && movers.replay && heatmap !== null && heatmap.replay,
        moversMatch,
        heatmapMatch,
        listed: listed.map((m) => [m.symbol, m.last]),
      };
    })()`) as Promise<{ replay: boolean; moversMatch: boolean; heatmapMatch: boolean; listed: [string, number][] }>;

  /** Start times of the Overview chart's bars (µs), and the replay's clock (null: live). */
  const chartShown = (): Promise<{ starts: number[]; replayClockUs: number | null }> =>
    page.evaluate(`(() => {
      const series = window.tickstream.charts?.overview?.handle?.series;
      const replay = window.tickstream.engine.replay;
      return { starts: series ? series.bars.map((bar) => bar.startTimeUs) : [], replayClockUs: replay ? replay.clockUs : null };
    })()`) as Promise<{ starts: number[]; replayClockUs: number | null }>;

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: dashboardDir, stdio: 'inherit' });
    }
    mkdirSync(screenshots, { recursive: true });
    kafka = await startTestKafka();
    topic = uniqueName('dashboard-replay');
    producer = await startTestProducer(kafka.brokers, topic, 1000, 30);
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
    startedMs = Date.now();
    edge = await startTestEdge(kafka.brokers, topic, { staticDir: dist });
    profile = mkdtempSync(join(tmpdir(), 'tickstream-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-sandbox'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // A market event four seconds into the run, as the analytics job writes them: a real record in Kafka.
    eventTimeUs = (startedMs + 4000) * 1000;
    await new Promise((resolveWait) => setTimeout(resolveWait, 4500));
    const writer = new kafkajs.Kafka({ brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).producer();
    await writer.connect();
    const event = {
      kind: MarketEventKind.Halt,
      symbol: 'AAPL',
      sector: 'Technology',
      name: 'halt',
      detail: 'replay',
      timeUs: eventTimeUs,
    };
    await writer.send({
      topic: `${topic}-events`,
      messages: [{ key: 'AAPL', value: Buffer.from(new TickEncoder().encodeMarketEvent(event)) }],
    });
    await writer.disconnect();
    // Something to replay: some seconds of ticks, then the replayed time is well behind now.
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('replays from a time picked on the scrubber at 10×, says REPLAY with the clock, and L returns to live', async () => {
    await page.goto(`http://127.0.0.1:${edge.port}/`);
    await page.waitForFunction("document.querySelector('[data-testid=status]')?.textContent?.trim() === 'live'", null, {
      timeout: 20_000,
    });
    await page.getByTestId('replay-open').click();
    const fromUs = (startedMs + 1000) * 1000;
    // A range input is set as a person's drag would end: its value, then a change event.
    await page.getByTestId('replay-scrubber').evaluate((input, value) => {
      (input as unknown as { value: string }).value = String(value);
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, fromUs);
    await page.getByTestId('replay-play').click();

    const banner = page.getByTestId('replay-banner');
    await banner.waitFor({ timeout: 15_000 });
    await expect.poll(async () => (await shown()).replayClockUs ?? 0, { timeout: 15_000 }).toBeGreaterThan(fromUs);
    expect(await banner.innerText()).toMatch(/^REPLAY 10× — \d\d:\d\d:\d\d/);
    // The connection's status says REPLAY too, never "live", while the replay is shown.
    expect((await page.getByTestId('status').innerText()).trim()).toBe('REPLAY');
    // The grid shows the replayed market: AAPL as it was at the replay's clock, not as it is now.
    // The replay's status and its book reach the page by separate messages, so the clock can
    // move while the grid still holds the live book (AAPL newer than the clock) or none yet:
    // wait for the replayed quote (at or before the clock), then check it is not live.
    await expect
      .poll(
        async () => {
          const { aaplTimeUs, replayClockUs } = await shown();
          return aaplTimeUs > 0 && replayClockUs !== null && aaplTimeUs <= replayClockUs;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    const replaying = await shown();
    expect(Date.now() * 1000 - replaying.aaplTimeUs).toBeGreaterThan(1_000_000);
    // The Overview's movers and heatmap follow the replay: computed from the replayed book, which
    // reaches the page by other messages than they do. Paused unless it has ended (caught up with
    // live), so that the book stops moving: a loaded machine can keep a 10× replay from ever
    // catching up. Then polled until they agree.
    const state = (): Promise<string | undefined> => page.evaluate('window.tickstream.engine.replay?.state');
    if ((await state()) === 'Playing') await page.getByTestId('replay-play').click();
    await expect
      .poll(
        async () => {
          const summaries = await summariesShown();
          const frozen = ['Paused', 'Ended'].includes((await state()) ?? '');
          return frozen && summaries.replay && summaries.moversMatch && summaries.heatmapMatch;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    // ...and are not the live ones: the edge's live movers price some listed symbol otherwise.
    const live = (await page.evaluate("fetch('/api/movers?limit=50&tf=1m').then((r) => r.json())")) as {
      gainers: { symbol: string; last: number }[];
      losers: { symbol: string; last: number }[];
    };
    const liveLast = new Map([...live.gainers, ...live.losers].map((m) => [m.symbol, m.last]));
    const { listed } = await summariesShown();
    expect(listed.some(([symbol, last]) => liveLast.has(symbol) && liveLast.get(symbol) !== last)).toBe(true);
    await page.screenshot({ path: join(screenshots, 'replay.png') });

    await page.keyboard.press('l');
    await banner.waitFor({ state: 'detached', timeout: 10_000 });
    await expect
      .poll(async () => Date.now() * 1000 - (await shown()).aaplTimeUs, { timeout: 10_000 })
      .toBeLessThan(1_000_000);
    expect((await shown()).replayClockUs).toBeNull();
    expect((await page.getByTestId('status').innerText()).trim()).toBe('live');
    // Back to live, the movers and heatmap are the edge's live summaries again.
    await expect
      .poll(
        async () => {
          return page.evaluate(`(() => {
          const { movers, heatmap } = window.tickstream.engine;
          return movers?.replay === false && heatmap?.replay === false;
        })()`);
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('lists only the market events that had happened by the replay’s clock', async () => {
    // Starts from the live market whatever the test before left shown.
    if (await page.getByTestId('replay-banner').isVisible()) {
      await page.keyboard.press('L');
      await page.getByTestId('replay-banner').waitFor({ state: 'detached', timeout: 10_000 });
    }
    await page.getByRole('tab', { name: /Events/ }).click();
    // The test's Halt only: the producer also announces the market session (a SessionChange) at its start.
    const rows = page.getByTestId('event-row').filter({ hasText: 'Halt' });
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    // From three seconds before the event at 1×: it is not there, then it is, when the clock passes it.
    await page.getByTestId('replay-open').click();
    await page.getByTestId('replay-speed-1').click();
    await page.getByTestId('replay-scrubber').evaluate((input, value) => {
      (input as unknown as { value: string }).value = String(value);
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, eventTimeUs - 3_000_000);
    await page.getByTestId('replay-play').click();
    await page.getByTestId('replay-banner').waitFor({ timeout: 15_000 });
    await expect.poll(async () => (await shown()).replayClockUs ?? 0, { timeout: 15_000 }).toBeGreaterThan(0);
    expect((await shown()).replayClockUs as number).toBeLessThan(eventTimeUs);
    expect(await rows.count()).toBe(0);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    expect((await shown()).replayClockUs as number).toBeGreaterThanOrEqual(eventTimeUs);

    // The Volume view's table is asked for as of the replay's clock, and says so.
    await page.getByRole('tab', { name: /^Volume/ }).click();
    await expect
      .poll(() => page.getByTestId('volume-as-of').innerText(), { timeout: 10_000 })
      .toMatch(/^REPLAY: bars finished by \d\d:\d\d:\d\d UTC$/);
    // The correlation matrices are the job's newest, not of the replay's time: the view says so.
    await page.getByRole('tab', { name: /^Correlation/ }).click();
    await page.getByTestId('correlation-live-only').waitFor({ timeout: 5_000 });

    // The chart follows the clock too: at 1 s bars, the history before the replay's start and the
    // replay's own bars from there, none after the clock (live ones reach seconds past it).
    await page.getByRole('tab', { name: /^Overview/ }).click();
    await page.locator('[data-panel=chart]').getByRole('button', { name: '1s', exact: true }).click();
    const replayFromUs = eventTimeUs - 3_000_000;
    await expect
      .poll(
        async () => {
          const { starts, replayClockUs } = await chartShown();
          const newest = starts.at(-1) ?? 0;
          return replayClockUs !== null && newest >= Math.floor(replayFromUs / 1e6) * 1e6 && newest <= replayClockUs;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    const replayed = await chartShown();
    expect(replayed.starts.every((start) => start <= (replayed.replayClockUs as number))).toBe(true);
    expect(Date.now() * 1000 - (replayed.replayClockUs as number)).toBeGreaterThan(2_000_000);
    // The session panel says its session and halts are live, not the replay's.
    await page.getByTestId('session-live-only').waitFor({ timeout: 5_000 });

    await page.keyboard.press('L');
    await page.getByTestId('replay-banner').waitFor({ state: 'detached', timeout: 10_000 });
    // Back to live: the live history again, its newest bar the current second's (or the one before).
    await expect
      .poll(async () => Date.now() * 1000 - ((await chartShown()).starts.at(-1) ?? 0), { timeout: 10_000 })
      .toBeLessThan(2_500_000);
    expect(await page.getByTestId('session-live-only').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
