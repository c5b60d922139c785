import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import { joinPipeline, type ProducerInPipeline } from '../../producer/src/pipeline.js';
import type { RunningProducer } from '../../producer/src/producer.js';
import { type ChaosCommand, CONTROL_TOPIC, signControlCommand } from '../../schemas/src/control-command.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dashboardDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(dashboardDir, 'dist');
const screenshots = join(dashboardDir, 'test-results');
const haveChromium = existsSync(CHROMIUM);
const SECRET = 'pipeline-browser-secret';

// The Pipeline tab in headless Chromium against the real system (broker, a producer reporting to
// system_metrics and obeying control, an edge serving dashboard/dist): the producer's node turns
// degraded when chaos pauses it, ok when resumed, silent when it stops reporting; a click shows
// its sparklines.
describe.skipIf(!haveChromium)('dashboard: the Pipeline tab in Chromium', () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let inPipeline: ProducerInPipeline;
  let edge: RunningEdge;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let control: kafkajs.Producer;
  const producerId = uniqueName('producer-browser');
  const consoleErrors: string[] = [];
  const producerNode = () => page.locator(`[data-node="${producerId}#0"]`);
  const send = async (command: ChaosCommand): Promise<void> => {
    const value = await signControlCommand({ secret: SECRET, user: 'ops', role: 'admin', command });
    await control.send({ topic: CONTROL_TOPIC, messages: [{ value }] });
  };

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html'))) {
      execFileSync('npx', ['vite', 'build'], { cwd: dashboardDir, stdio: 'inherit' });
    }
    mkdirSync(screenshots, { recursive: true });
    kafka = await startTestKafka();
    const topic = uniqueName('dashboard-pipeline');
    producer = await startTestProducer(kafka.brokers, topic, 1000, 20);
    inPipeline = await joinPipeline(producer, {
      brokers: kafka.brokers,
      componentId: producerId,
      authSecret: SECRET,
      log: () => {},
    });
    await inPipeline.listening;
    control = new kafkajs.Kafka({ brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).producer();
    await control.connect();
    edge = await startTestEdge(kafka.brokers, topic, { staticDir: dist, edgeId: uniqueName('edge-browser') });
    profile = mkdtempSync(join(tmpdir(), 'tickstream-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-sandbox'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await control?.disconnect();
    await edge?.stop();
    await inPipeline?.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('draws the flow live and shows pause, resume and silence as they happen', async () => {
    await page.goto(`http://127.0.0.1:${edge.port}/`);
    await page.getByRole('tab', { name: /^Pipeline/ }).click();
    await expect.poll(() => producerNode().getAttribute('data-status'), { timeout: 20_000 }).toBe('ok');
    const edgeNode = page.locator(`[data-node="edge-${edge.edgeId}"]`);
    await expect.poll(() => edgeNode.getAttribute('data-status'), { timeout: 20_000 }).toBe('ok');
    // Throughput on the producer's arrow: its worker's ticks Kafka acknowledged, about 1,000 a second.
    const arrowLabel = () =>
      page
        .locator(`[data-arrow="${producerId}#0->ticks"] text`)
        .textContent()
        .then((text) => text ?? '');
    await expect
      .poll(async () => Number((await arrowLabel()).replace(/[^\d]/g, '')), { timeout: 10_000 })
      .toBeGreaterThan(500);
    await page.screenshot({ path: join(screenshots, 'pipeline-live.png') });

    await send({ action: 'pause', target: producerId, forMs: null, factor: null });
    await expect.poll(() => producerNode().getAttribute('data-status'), { timeout: 15_000 }).toBe('degraded');
    await expect.poll(() => producerNode().textContent()).toContain('paused');
    await expect.poll(async () => await arrowLabel(), { timeout: 10_000 }).toBe('0 ticks/s');

    await send({ action: 'resume', target: producerId, forMs: null, factor: null });
    await expect.poll(() => producerNode().getAttribute('data-status'), { timeout: 15_000 }).toBe('ok');

    await producerNode().click();
    const detail = page.getByTestId('pipeline-detail');
    await expect.poll(() => detail.innerText(), { timeout: 10_000 }).toContain('ticks_per_s:0');
    expect(await detail.locator('svg polyline').count()).toBeGreaterThan(3);

    await inPipeline.stop();
    await expect.poll(() => producerNode().getAttribute('data-status'), { timeout: 15_000 }).toBe('silent');
    await expect.poll(() => page.getByTestId('pipeline-status').innerText()).toMatch(/^silent since /);
    await page.screenshot({ path: join(screenshots, 'pipeline-silent.png') });
    expect(consoleErrors).toEqual([]);
  }, 90_000);
});
