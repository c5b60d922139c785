import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TickstreamClient } from '@tickstream/client';
import { decodeServerFrame, PROTOCOL_VERSION } from '@tickstream/schemas';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import { recordEdgeFeed } from './feed-recorder.js';
import { FRAME_OPTIONS, type Recording, readRecording, writeRecording } from './feed-recording.js';
import { FeedReplayServer } from './feed-replay-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DASHBOARD_DIST = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
const haveBrowser = existsSync(CHROMIUM) && existsSync(join(DASHBOARD_DIST, 'index.html'));
if (!haveBrowser)
  process.stderr.write(`feed replay browser tests skipped: no Chromium at ${CHROMIUM} or no dashboard/dist\n`);

// Issue 25: a real edge's stream for the dashboard's subscription, recorded to a file, and played
// back by the replay server to a protocol client and to the built dashboard in Chromium.
describe('a recorded feed played back by the replay server', () => {
  let kafka: TestKafka;
  let dir: string;
  let recording: Recording;
  const servers: FeedReplayServer[] = [];
  let context: BrowserContext | undefined;
  let profile: string | undefined;

  beforeAll(async () => {
    kafka = await startTestKafka();
    const topic = uniqueName('feed-replay');
    const producer = await startTestProducer(kafka.brokers, topic, 4000, 300);
    await new Promise((r) => setTimeout(r, 1000));
    const edge = await startTestEdge(kafka.brokers, topic);
    try {
      // At least 20 Deltas, however slowly a loaded machine delivers them.
      const recorded = await recordEdgeFeed(`ws://127.0.0.1:${edge.port}/ws`, 1.5, { minDeltas: 20 });
      dir = mkdtempSync(join(tmpdir(), 'tickstream-feed-replay-'));
      // Through the file, as the bench does.
      writeRecording(join(dir, 'feed.tsfeed'), {
        header: {
          targetUpdatesPerSecond: 0,
          updatesPerSecond: 0,
          symbols: 300,
          seconds: 1.5,
          deltas: recorded.deltas.length,
          ticksPerSecond: 4000,
          windowMs: 25,
          recordedAt: new Date().toISOString(),
          protocolVersion: PROTOCOL_VERSION,
        },
        ...recorded,
      });
      recording = readRecording(join(dir, 'feed.tsfeed'));
    } finally {
      await edge.stop();
      await producer.stop();
    }
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    for (const server of servers) await server.close();
    await kafka?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const serve = async (feed: Recording): Promise<FeedReplayServer> => {
    const server = await FeedReplayServer.start({ recording: feed, staticDir: DASHBOARD_DIST });
    servers.push(server);
    return server;
  };

  const snapshotOf = (feed: Recording) => {
    const snapshot = decodeServerFrame(feed.snapshot, FRAME_OPTIONS);
    if (snapshot.type !== 'snapshot') throw new Error('no Snapshot');
    return snapshot;
  };

  it(
    'serves the recorded file: its Snapshot, then its Deltas in order, looping with seq still rising',
    { timeout: 120_000 },
    async () => {
      expect(recording.deltas.length).toBeGreaterThanOrEqual(20);
      const server = await serve(recording);
      const client = new TickstreamClient({ url: `ws://127.0.0.1:${server.port}/ws`, symbols: ['*'], WebSocket });
      const seqs: number[] = [];
      let snapshots = 0;
      let firstBookLast = -1;
      client.on('snapshot', (book) => {
        snapshots++;
        if (firstBookLast < 0) firstBookLast = book.table.last[0] as number;
      });
      client.on('update', (batch) => seqs.push(batch.seq));
      client.connect();
      try {
        // One pass is 1.5 s: wait into the second.
        await expect.poll(() => server.counters.passes, { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
        await expect.poll(() => seqs.length, { timeout: 30_000 }).toBeGreaterThan(recording.deltas.length + 2);
      } finally {
        client.close();
      }
      const snapshot = snapshotOf(recording);
      expect(firstBookLast).toBe(snapshot.quotes.find((q) => q.id === 0)?.last);
      expect(snapshots).toBeGreaterThanOrEqual(2);
      // One stream across the loop: every Delta the previous seq + 1, and no gap seen by the client.
      expect(client.counters.resyncs).toBe(0);
      expect(seqs[0]).toBe(snapshot.seq + 1);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] as number) + 1);
      // The page itself is served too.
      const index = await fetch(server.url);
      expect(index.status).toBe(200);
      expect(await index.text()).toContain('<div id="app"');
    },
  );

  describe.skipIf(!haveBrowser)('the built dashboard in Chromium', () => {
    let page: Page;
    const evaluate = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

    beforeAll(async () => {
      profile = mkdtempSync(join(tmpdir(), 'tickstream-feed-replay-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 800 },
        args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
      });
      page = context.pages()[0] ?? (await context.newPage());
    }, 60_000);

    const open = async (server: FeedReplayServer): Promise<void> => {
      await page.goto(server.url);
      await page.waitForFunction(
        "document.querySelector('[data-testid=status]')?.textContent?.trim() === 'live'",
        null,
        {
          timeout: 30_000,
        },
      );
    };

    it("shows the recorded Snapshot's exact prices", async () => {
      // The Snapshot alone: nothing after it may move a price.
      await open(await serve({ ...recording, deltas: [] }));
      const snapshot = snapshotOf(recording);
      const shown = await evaluate<{ name: string; last: number; open: number; volume: number }[]>(
        `(() => { const b = window.tickstream.engine.book;
           return b.names.map((name, id) => ({ name, last: b.rows[id * 9], open: b.rows[id * 9 + 3], volume: b.rows[id * 9 + 6] })); })()`,
      );
      const names = new Map(snapshot.symbols.map((s) => [s.id, s.name]));
      expect(shown.length).toBe(snapshot.quotes.length);
      for (const quote of snapshot.quotes) {
        const row = shown[quote.id];
        expect(row).toEqual({ name: names.get(quote.id), last: quote.last, open: quote.open, volume: quote.volume });
      }
    });

    it('draws nothing and asks for no animation frame while nothing changes', async () => {
      // Every requestAnimationFrame of the page counted: the engine's, Pixi's tickers', any view's.
      await page.addInitScript(`{
        const request = window.requestAnimationFrame.bind(window);
        window.__frameRequests = 0;
        window.requestAnimationFrame = (callback) => { window.__frameRequests++; return request(callback); };
      }`);
      await open(await serve({ ...recording, deltas: [] }));
      await page.getByRole('tab', { name: /^Market/ }).click();
      await page.waitForFunction('window.tickstream.grid?.order.length > 0', null, { timeout: 30_000 });
      // The Snapshot drawn once, and whatever the first seconds settle.
      await page.waitForTimeout(1500);
      const counts = (): Promise<{ requests: number; drawn: number }> =>
        evaluate('({ requests: window.__frameRequests, drawn: window.tickstream.engine.meter.renderedFrames })');
      const before = await counts();
      expect(before.drawn).toBeGreaterThanOrEqual(1);
      await page.waitForTimeout(2500);
      expect(await counts()).toEqual(before);
    });

    it('resyncs when the recording has a seq gap', { timeout: 90_000 }, async () => {
      // Delta 5 left out of the file: the page sees seq jump by 2 on every pass.
      const gapped: Recording = { ...recording, deltas: recording.deltas.filter((_, index) => index !== 5) };
      const server = await serve(gapped);
      await open(server);
      await expect
        .poll(() => evaluate<number>('window.tickstream.engine.counters?.resyncs ?? 0'), { timeout: 60_000 })
        .toBeGreaterThanOrEqual(1);
      // The page asked (Resync), the server answered with a Snapshot, and Deltas apply again.
      expect(server.counters.resyncs).toBeGreaterThanOrEqual(1);
      const applied = await evaluate<number>('window.tickstream.engine.meter.appliedUpdates');
      await expect
        .poll(() => evaluate<number>('window.tickstream.engine.meter.appliedUpdates'), { timeout: 30_000 })
        .toBeGreaterThan(applied);
      expect(await page.getByTestId('status').innerText()).toBe('live');
    });
  });
});
