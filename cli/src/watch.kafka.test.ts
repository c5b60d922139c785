import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MarketEventKind, TickEncoder } from '@tickstream/schemas';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/src/processes.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { type ApiSymbol, getJson, startTestProducer } from '../../edge/src/testing/system.js';
import type { RunningProducer } from '../../producer/dist/index.js';

const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<number | null>;
}

function tickstream(args: string[]): Run {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

interface WatchLine {
  type: 'snapshot' | 'update';
  symbol: string;
  replay?: boolean;
  exchangeTimeUs: number;
  epoch: number;
  seq: number;
  last: number;
  bid: number;
  ask: number;
  volume: number;
  changed?: string[];
}

const lines = (text: string): WatchLine[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as WatchLine);

// `tickstream edge` and `tickstream watch` as users run them, each in its own process: the edge
// reads the producer's lz4 batches on its own, and watch is the reference client.
describe(`tickstream watch (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let topic: string;
  let port: number;
  let edge: Run;
  /** Every partition holds ticks from before this. */
  let startedMs: number;
  const runs: Run[] = [];

  const edgeProcess = async (): Promise<Run> => {
    const run = tickstream([
      'edge',
      '--brokers',
      kafka.bootstrap,
      '--topic',
      topic,
      '--events-topic',
      `${topic}-events`,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
    ]);
    runs.push(run);
    await until(
      async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200,
      30_000,
      () => `the edge to serve: ${run.stderr()}${run.stdout()}`,
    );
    return run;
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('watch-ticks');
    producer = await startTestProducer(kafka.brokers, topic, 3000, 60);
    await sleep(1000);
    startedMs = Date.now();
    port = await freePort();
    edge = await edgeProcess();
  }, 120_000);

  afterAll(async () => {
    for (const run of runs) run.child.kill('SIGKILL');
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('--json --count 200 prints the Snapshot, then exactly 200 updates as JSON lines, and exits 0', async () => {
    const watch = tickstream(['watch', '--url', `ws://127.0.0.1:${port}/ws`, '--json', '--count', '200']);
    runs.push(watch);
    const code = await Promise.race([watch.done, sleep(30_000).then(() => 'timeout')]);
    expect(code, watch.stderr()).toBe(0);
    const printed = lines(watch.stdout());
    const snapshot = printed.filter((line) => line.type === 'snapshot');
    const updates = printed.filter((line) => line.type === 'update');
    expect(updates).toHaveLength(200);
    expect(snapshot.length).toBeGreaterThan(0);
    expect(printed.indexOf(updates[0] as WatchLine)).toBe(snapshot.length); // the Snapshot comes first
    // The AnalyticsStatus after Hello is said on stderr (no analytics job runs here).
    expect(watch.stderr()).toMatch(/^watch: analytics (Unknown|NeverRan): .+$/m);

    const { body } = await getJson(`http://127.0.0.1:${port}/api/symbols`);
    const known = new Set((body as { symbols: ApiSymbol[] }).symbols.map((symbol) => symbol.name));
    let previousSeq = -1;
    for (const update of updates) {
      expect(known.has(update.symbol)).toBe(true);
      expect(update.epoch).toBe(updates[0]?.epoch);
      expect(update.seq).toBeGreaterThanOrEqual(previousSeq); // several updates share a Delta
      previousSeq = update.seq;
      expect(update.last).toBeGreaterThan(0);
      expect(update.bid).toBeLessThanOrEqual(update.ask);
      expect(update.changed?.length).toBeGreaterThan(0);
    }
  }, 40_000);

  it('--replay-from --replay-to --speed 10 --json prints the replayed market as JSON lines with "replay": true and exits 0 at its end', async () => {
    const fromUs = (startedMs + 500) * 1000;
    const toUs = (startedMs + 2500) * 1000;
    // A replay's clock stays 2 s behind now (later ticks may not be in Kafka yet).
    await until(() => Date.now() > startedMs + 5000, 10_000, 'the replayed time to be well past');
    const watch = tickstream([
      'watch',
      '--url',
      `ws://127.0.0.1:${port}/ws`,
      '--symbols',
      'AAPL,MSFT',
      '--replay-from',
      new Date(fromUs / 1000).toISOString(),
      '--replay-to',
      new Date(toUs / 1000).toISOString(),
      '--speed',
      '10',
      '--json',
    ]);
    runs.push(watch);
    const code = await Promise.race([watch.done, sleep(30_000).then(() => 'timeout')]);
    expect(code, `${watch.stderr()}${watch.stdout().slice(0, 2000)}`).toBe(0);
    const printed = lines(watch.stdout());
    expect(printed.every((line) => line.replay === true)).toBe(true);
    const snapshot = printed.filter((line) => line.type === 'snapshot');
    const updates = printed.filter((line) => line.type === 'update');
    expect(new Set(snapshot.map((line) => line.symbol))).toEqual(new Set(['AAPL', 'MSFT']));
    expect(updates.length).toBeGreaterThan(10);
    for (const line of snapshot) expect(line.exchangeTimeUs).toBeLessThanOrEqual(fromUs);
    for (const line of updates) {
      expect(line.exchangeTimeUs).toBeGreaterThan(fromUs);
      expect(line.exchangeTimeUs).toBeLessThanOrEqual(toUs);
    }
    expect(watch.stderr()).toMatch(/^watch: replay Ended at .+: reached/m);
  }, 40_000);

  it('--events --json --count 1 prints a market event written to Kafka as one JSON line with its time, and exits 0', async () => {
    const watch = tickstream(['watch', '--url', `ws://127.0.0.1:${port}/ws`, '--events', '--json', '--count', '1']);
    runs.push(watch);
    await until(() => watch.stderr().includes('connected to'), 15_000, 'watch --events to connect');
    const timeUs = Date.now() * 1000;
    const writer = new kafkajs.Kafka({ brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).producer();
    await writer.connect();
    const event = {
      kind: MarketEventKind.Halt,
      symbol: 'AAPL',
      sector: 'Technology',
      name: 'halt',
      detail: 'watch',
      timeUs,
    };
    await writer.send({
      topic: `${topic}-events`,
      messages: [{ key: 'AAPL', value: Buffer.from(new TickEncoder().encodeMarketEvent(event)) }],
    });
    await writer.disconnect();
    const code = await Promise.race([watch.done, sleep(20_000).then(() => 'timeout')]);
    expect(code, watch.stderr()).toBe(0);
    const printed = watch
      .stdout()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(printed).toEqual([
      expect.objectContaining({
        kind: 'Halt',
        source: 'Producer',
        symbol: 'AAPL',
        detail: 'watch',
        timeUs,
        time: new Date(timeUs / 1000).toISOString(),
      }),
    ]);
  }, 40_000);

  it('refuses a bad flag with one line naming it and exit code 2', async () => {
    const watch = tickstream(['watch', '--count', 'x']);
    expect(await watch.done).toBe(2);
    expect(watch.stderr().trim()).toBe("tickstream watch: --count must be an integer, got 'x'");
    const speed = tickstream(['watch', '--replay-from', '2026-12-07T14:31:00Z', '--speed', '1000']);
    expect(await speed.done).toBe(2);
    expect(speed.stderr().trim()).toBe("tickstream watch: --speed must be a number from 0.25 to 100, got '1000'");
  });

  it('rides out its edge killed and restarted: says so, resyncs from the new epoch, and goes on', async () => {
    const watch = tickstream(['watch', '--url', `ws://127.0.0.1:${port}/ws`, '--json', '--symbols', 'AAPL,MSFT,GOOGL']);
    runs.push(watch);
    await until(() => lines(watch.stdout()).some((line) => line.type === 'update'), 15_000, 'updates before the kill');
    const firstEpoch = lines(watch.stdout())[0]?.epoch;
    edge.child.kill('SIGKILL');
    await edge.done;
    await until(() => /reconnecting in \d+ ms/.test(watch.stderr()), 10_000, 'watch to say it reconnects');
    edge = await edgeProcess();
    await until(
      () => lines(watch.stdout()).some((line) => line.type === 'update' && line.epoch !== firstEpoch),
      30_000,
      () => `updates from the new epoch; watch said:\n${watch.stderr()}`,
    );
    const after = lines(watch.stdout()).filter((line) => line.epoch !== firstEpoch);
    // The new epoch starts from a Snapshot of the three symbols, then updates.
    expect(after[0]?.type).toBe('snapshot');
    expect(new Set(after.filter((line) => line.type === 'snapshot').map((line) => line.symbol))).toEqual(
      new Set(['AAPL', 'MSFT', 'GOOGL']),
    );
    expect(watch.stderr()).toMatch(/new epoch \d+ from edge/);
    watch.child.kill('SIGTERM');
    expect(await watch.done).toBe(0);
  }, 90_000);
});
