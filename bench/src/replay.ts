import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReplayState, TickstreamClient } from '@tickstream/client';
import WebSocket from 'ws';
import { ApplyingEdgeClient } from './applying-client.js';
import { newLatencyHistogram } from './edge-load-protocol.js';
import {
  cpuSeconds,
  freePort,
  spawnCli,
  spawnProducer,
  startBrokerProcess,
  stopChild,
  waitForEdge,
} from './processes.js';

/**
 * Replay's cost (issue 27): live clients' tick-to-applied latency and the edge's CPU without
 * replays and with `replays` clients replaying at 10× at once, and one client replaying at 100×
 * alone: the updates/s it is sent. The producer writes `historySeconds` of ticks first, which the
 * replays play from its start, seeking back there each time one ends. Latency samples as in e2e.ts
 * (corrected for coordinated omission). Run: `npx tsc -b && node bench/dist/replay.js`.
 */
export interface ReplayBenchResult {
  rate: number;
  symbols: number;
  replays: number;
  seconds: number;
  live: { p50: number; p99: number; updates: number; edgeCores: number };
  withReplays: { p50: number; p99: number; updates: number; edgeCores: number; replayUpdatesPerClient: number };
  at100: { updatesPerSecond: number; eventSecondsPerSecond: number; edgeCores: number };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runReplayBench(
  options: {
    rate?: number;
    symbols?: number;
    replays?: number;
    seconds?: number;
    historySeconds?: number;
    progress?: (line: string) => void;
  } = {},
): Promise<ReplayBenchResult> {
  const rate = options.rate ?? 2000;
  const symbols = options.symbols ?? 200;
  const replays = options.replays ?? 20;
  const seconds = options.seconds ?? 15;
  const historySeconds = options.historySeconds ?? 30;
  const progress = options.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-replay-'));
  const broker = await startBrokerProcess(dataDir);
  const children: ChildProcess[] = [];
  const live: ApplyingEdgeClient[] = [];
  const replaying: TickstreamClient[] = [];
  try {
    children.push(spawnProducer(broker.bootstrap, { symbols, rate, workers: 1, clock: 'real' }));
    const startedMs = Date.now();
    progress(`producing ${rate} ticks/s of ${symbols} symbols for ${historySeconds} s of history`);
    await sleep(historySeconds * 1000);
    const port = await freePort();
    const edge = spawnCli([
      'edge',
      '--brokers',
      broker.bootstrap,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--history',
      '10m',
      '--replay-warmup',
      '5s',
      '--max-replays',
      String(replays + 1),
    ]);
    children.push(edge);
    await waitForEdge(port, { minSymbols: symbols, child: edge });
    const url = `ws://127.0.0.1:${port}/ws`;
    const pid = edge.pid as number;

    let recording = false;
    let histogram = newLatencyHistogram();
    let liveUpdates = 0;
    const onUpdate = (ageUs: number): void => {
      if (!recording) return;
      liveUpdates++;
      if (ageUs >= 0) histogram.recordValueWithExpectedInterval(ageUs, 25_000);
    };
    for (let i = 0; i < 4; i++) live.push(new ApplyingEdgeClient(url, ['*'], { onUpdate }));
    await Promise.all(live.map((client) => client.ready));
    await sleep(2000);

    const measure = async (): Promise<{ p50: number; p99: number; updates: number; edgeCores: number }> => {
      histogram = newLatencyHistogram();
      liveUpdates = 0;
      const cpuBefore = cpuSeconds(pid);
      recording = true;
      await sleep(seconds * 1000);
      recording = false;
      return {
        p50: histogram.getValueAtPercentile(50) / 1000,
        p99: histogram.getValueAtPercentile(99) / 1000,
        updates: liveUpdates / seconds,
        edgeCores: (cpuSeconds(pid) - cpuBefore) / seconds,
      };
    };

    const liveOnly = await measure();
    progress(
      `live only: p50 ${liveOnly.p50.toFixed(1)} ms, p99 ${liveOnly.p99.toFixed(1)} ms, edge ${liveOnly.edgeCores.toFixed(2)} cores`,
    );

    // A replay from the start of the history, at `speed`, sought back there each time it ends.
    const fromUs = (startedMs + 4000) * 1000;
    let replayUpdates = 0;
    /** Event time the replays' clocks moved forward, µs (a seek back is not counted). */
    let replayedUs = 0;
    const replayer = (speed: number): TickstreamClient => {
      const client = new TickstreamClient({ url, WebSocket, symbols: [], pingEveryMs: 0 });
      client.on('update', (batch) => {
        if (batch.replay) replayUpdates += batch.count;
      });
      let lastClockUs = 0;
      client.on('replay', (status) => {
        if (status.state === ReplayState.Playing || status.state === ReplayState.Ended) {
          if (lastClockUs > 0 && status.clockUs > lastClockUs) replayedUs += status.clockUs - lastClockUs;
          lastClockUs = status.clockUs;
        } else lastClockUs = 0;
        if (status.state === ReplayState.Ended) {
          client.replay.seek(fromUs);
          client.replay.play();
        }
      });
      client.replay.start({ fromUs, speed, symbols: ['*'] });
      client.connect();
      replaying.push(client);
      return client;
    };
    for (let i = 0; i < replays; i++) replayer(10);
    await sleep(3000);
    replayUpdates = 0;
    const withReplays = await measure();
    const perClient = replayUpdates / seconds / replays;
    progress(
      `with ${replays} replays at 10×: live p50 ${withReplays.p50.toFixed(1)} ms, p99 ${withReplays.p99.toFixed(1)} ms, edge ${withReplays.edgeCores.toFixed(2)} cores, ${Math.round(perClient)} replayed updates/s per replaying client`,
    );
    for (const client of replaying.splice(0)) client.close();
    await sleep(1000);

    replayer(100);
    await sleep(1000);
    replayUpdates = 0;
    replayedUs = 0;
    const cpuBefore = cpuSeconds(pid);
    const wallStart = Date.now();
    await sleep(5000);
    const wallSeconds = (Date.now() - wallStart) / 1000;
    const at100 = {
      updatesPerSecond: replayUpdates / wallSeconds,
      eventSecondsPerSecond: replayedUs / 1e6 / wallSeconds,
      edgeCores: (cpuSeconds(pid) - cpuBefore) / wallSeconds,
    };
    progress(
      `one replay at 100×: ${Math.round(at100.updatesPerSecond)} updates/s, clock ${at100.eventSecondsPerSecond.toFixed(1)} event s per s (sought back at each end), edge ${at100.edgeCores.toFixed(2)} cores`,
    );
    return {
      rate,
      symbols,
      replays,
      seconds,
      live: liveOnly,
      withReplays: { ...withReplays, replayUpdatesPerClient: perClient },
      at100,
    };
  } finally {
    for (const client of replaying) client.close();
    for (const client of live) client.socket.terminate();
    for (const child of children.reverse()) await stopChild(child);
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runReplayBench({ progress: (line) => process.stdout.write(`${line}\n`) })
    .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
    .catch((error: Error) => {
      process.stderr.write(`${error.stack}\n`);
      process.exitCode = 1;
    });
}
