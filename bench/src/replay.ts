import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ReplayState, TickstreamClient } from '@tickstream/client';
import WebSocket from 'ws';
import { ApplyingEdgeClient } from './applying-client.js';
import { newLatencyHistogram } from './edge-load-protocol.js';
import {
  cpuSeconds,
  endOffsetTotal,
  spawnProducer,
  startBrokerProcess,
  startEdgeProcess,
  stopChild,
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
  live: LiveStretch;
  /** The live clients again without replays, after the replays' stretch (A-B-A: the load of a shared machine drifts); null in --quick. */
  liveAfter: LiveStretch | null;
  withReplays: {
    p50: number;
    p99: number;
    updates: number;
    edgeCores: number;
    brokerCores: number;
    replayUpdatesPerClient: number;
    /** Replays whose clock moved forward during the measured stretch (all of them, unless --quick measured anyway). */
    replaysAdvanced: number;
  };
  at100: { updatesPerSecond: number; eventSecondsPerSecond: number; edgeCores: number };
  /** Edge cores each replay at 10× added: (with − without) / replays, "without" the mean of the stretches before and after. */
  edgeCoresPerReplay: number;
  /** Live p99 with the replays ÷ without (the mean of the stretches before and after; issue 27: at most 1.1). */
  p99Ratio: number;
}

interface LiveStretch {
  p50: number;
  p99: number;
  updates: number;
  edgeCores: number;
  brokerCores: number;
}

/** The run as a table: live without and with the replays side by side, then the replays' own figures. */
/**
 * `tickstream bench --quick` (CI's smoke run, ~40 s): 6 s of history, 3 s stretches, replays
 * loading 2 s of warm-up each, measured after at most 8 s of loading even if some have not
 * played yet (CI checks that the figures are numbers, not what they are).
 */
export const QUICK = {
  historySeconds: 6,
  seconds: 3,
  settleSeconds: 1,
  warmupSeconds: 2,
  loadTimeoutSeconds: 8,
  measureUnlessAllPlay: true,
  liveAgain: false,
} as const satisfies Parameters<typeof runReplayBench>[0];

export function formatReplayBench(result: ReplayBenchResult): string {
  const { live, withReplays, at100 } = result;
  const row = (name: string, side: typeof live): string =>
    `| ${name} | ${side.p50.toFixed(1)} ms | ${side.p99.toFixed(1)} ms | ${Math.round(side.updates)} | ${side.edgeCores.toFixed(2)} | ${side.brokerCores.toFixed(2)} |`;
  return [
    `replay: ${result.rate} ticks/s over ${result.symbols} symbols, 4 live clients, ${result.seconds} s per stretch`,
    '| | live p50 | live p99 | live updates/s | edge cores | broker cores |',
    '|---|---|---|---|---|---|',
    row('no replays', live),
    row(`${result.replays} replays at 10×`, withReplays),
    ...(result.liveAfter === null ? [] : [row('no replays, after', result.liveAfter)]),
    `live p99 with ÷ without: ${result.p99Ratio.toFixed(2)}×; edge CPU per replay at 10×: ${result.edgeCoresPerReplay.toFixed(3)} cores; ${Math.round(withReplays.replayUpdatesPerClient)} replayed updates/s per replaying client; ${withReplays.replaysAdvanced} of ${result.replays} replays played during the stretch`,
    `one replay at 100×: ${Math.round(at100.updatesPerSecond)} updates/s, clock ${at100.eventSecondsPerSecond.toFixed(1)} event s per s, edge ${at100.edgeCores.toFixed(2)} cores`,
  ].join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** When the first tick reached `ticks` (ms), polled every 200 ms for up to a minute. */
async function firstTickStored(bootstrap: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await endOffsetTotal(bootstrap, 'ticks')) > 0) return Date.now();
    } catch {
      // the topic is not created yet
    }
    await sleep(200);
  }
  throw new Error('the producer stored no tick within 60 s');
}

export async function runReplayBench(
  options: {
    rate?: number;
    symbols?: number;
    replays?: number;
    seconds?: number;
    historySeconds?: number;
    /** Event time each replay's load reads before its start (the edge's --replay-warmup), s. */
    warmupSeconds?: number;
    /** How long the replaying clients' first loads may take, s: then the run fails, or measures anyway with `measureUnlessAllPlay`. */
    loadTimeoutSeconds?: number;
    /** Measure even if not every replay has played within `loadTimeoutSeconds` (--quick); otherwise that fails the run. */
    measureUnlessAllPlay?: boolean;
    /** Measure the live clients without replays again after the replays' stretch (default true; --quick: false). */
    liveAgain?: boolean;
    /** Seconds the replaying clients run before their figures count (loads, seeks settle). */
    settleSeconds?: number;
    /** Where the edge writes a V8 CPU profile (--cpu-prof) when it stops; none by default. */
    edgeCpuProfileDir?: string;
    progress?: (line: string) => void;
  } = {},
): Promise<ReplayBenchResult> {
  const rate = options.rate ?? 2000;
  const symbols = options.symbols ?? 200;
  const replays = options.replays ?? 20;
  const seconds = options.seconds ?? 15;
  const historySeconds = options.historySeconds ?? 30;
  const settleSeconds = options.settleSeconds ?? 3;
  const warmupSeconds = options.warmupSeconds ?? 5;
  const loadTimeoutMs = (options.loadTimeoutSeconds ?? 120) * 1000;
  const progress = options.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-replay-'));
  const broker = await startBrokerProcess(dataDir);
  const children: ChildProcess[] = [];
  const live: ApplyingEdgeClient[] = [];
  let edge: ChildProcess | undefined;
  try {
    children.push(spawnProducer(broker.bootstrap, { symbols, rate, workers: 1, clock: 'real' }));
    // History counts from the first tick stored: the producer's start takes seconds on a busy machine.
    const startedMs = await firstTickStored(broker.bootstrap);
    progress(`producing ${rate} ticks/s of ${symbols} symbols for ${historySeconds} s of history`);
    await sleep(historySeconds * 1000);
    const started = await startEdgeProcess(broker.bootstrap, {
      history: '10m',
      minSymbols: symbols,
      args: ['--replay-warmup', `${warmupSeconds}s`, '--max-replays', String(replays + 1)],
      nodeArgs:
        options.edgeCpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.edgeCpuProfileDir],
    });
    edge = started.child;
    children.push(edge);
    const port = started.port;
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
    await sleep(settleSeconds * 1000);

    const measure = async (): Promise<LiveStretch> => {
      histogram = newLatencyHistogram();
      liveUpdates = 0;
      const cpuBefore = cpuSeconds(pid);
      const brokerBefore = cpuSeconds(broker.pid);
      recording = true;
      await sleep(seconds * 1000);
      recording = false;
      return {
        p50: histogram.getValueAtPercentile(50) / 1000,
        p99: histogram.getValueAtPercentile(99) / 1000,
        updates: liveUpdates / seconds,
        edgeCores: (cpuSeconds(pid) - cpuBefore) / seconds,
        brokerCores: (cpuSeconds(broker.pid) - brokerBefore) / seconds,
      };
    };

    const liveOnly = await measure();
    progress(
      `live only: p50 ${liveOnly.p50.toFixed(1)} ms, p99 ${liveOnly.p99.toFixed(1)} ms, ${Math.round(liveOnly.updates)} updates/s, edge ${liveOnly.edgeCores.toFixed(2)} cores, broker ${liveOnly.brokerCores.toFixed(2)}`,
    );

    // Replaying clients run in a process of their own: their decoding must not delay the live clients' clock.
    // A second after the first tick: every partition holds ticks from there on.
    const fromUs = (startedMs + 1000) * 1000;
    const withLoad = async (
      count: number,
      speed: number,
      during: () => Promise<void>,
    ): Promise<{ updates: number; eventUs: number; wallSeconds: number; advanced: number }> => {
      const load = spawn(
        process.execPath,
        [fileURLToPath(import.meta.url), 'replayers', url, String(count), String(speed), String(fromUs)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      children.push(load);
      let report: ReplayersReport = { updates: 0, eventUs: 0, played: 0, clocksUs: [] };
      createInterface({ input: load.stdout }).on('line', (line) => {
        report = JSON.parse(line) as ReplayersReport;
      });
      // Measured once every replay has played (its first load done: 20 loads at once take a loaded
      // machine many seconds), then after `settleSeconds` more.
      const loadedBy = Date.now() + loadTimeoutMs;
      while (report.played < count && Date.now() < loadedBy) await sleep(100);
      if (report.played < count) {
        const what = `only ${report.played} of ${count} replays played within ${loadTimeoutMs / 1000} s`;
        if (!options.measureUnlessAllPlay)
          throw new Error(`${what}: not measured (a slower machine needs more loadTimeoutSeconds)`);
        progress(`${what}; measuring anyway (--quick)`);
      }
      const waitedSeconds = (Date.now() - (loadedBy - loadTimeoutMs)) / 1000;
      progress(
        `${report.played} of ${count} replays at ${speed}× playing after ${waitedSeconds.toFixed(1)} s of loading`,
      );
      await sleep(settleSeconds * 1000);
      const before = report;
      const wallStart = Date.now();
      await during();
      const wallSeconds = (Date.now() - wallStart) / 1000;
      const after = report;
      await stopChild(load);
      // A replay counts as running in the stretch if its clock moved forward during it.
      const advanced = after.clocksUs.filter((clockUs, i) => clockUs > (before.clocksUs[i] ?? 0)).length;
      return {
        updates: after.updates - before.updates,
        eventUs: after.eventUs - before.eventUs,
        wallSeconds,
        advanced,
      };
    };

    let withReplays = liveOnly;
    const tenX = await withLoad(replays, 10, async () => {
      withReplays = await measure();
    });
    const perClient = tenX.updates / tenX.wallSeconds / replays;
    if (tenX.advanced < replays) progress(`only ${tenX.advanced} of ${replays} replays played during the stretch`);
    progress(
      `with ${replays} replays at 10×: live p50 ${withReplays.p50.toFixed(1)} ms, p99 ${withReplays.p99.toFixed(1)} ms, ${Math.round(withReplays.updates)} updates/s, edge ${withReplays.edgeCores.toFixed(2)} cores, broker ${withReplays.brokerCores.toFixed(2)}, ${Math.round(perClient)} replayed updates/s per replaying client`,
    );
    await sleep(1000);
    let liveAfter: LiveStretch | null = null;
    if (options.liveAgain ?? true) {
      liveAfter = await measure();
      progress(
        `live only, after: p50 ${liveAfter.p50.toFixed(1)} ms, p99 ${liveAfter.p99.toFixed(1)} ms, ${Math.round(liveAfter.updates)} updates/s, edge ${liveAfter.edgeCores.toFixed(2)} cores`,
      );
    }
    // "Without replays": the mean of the stretches around the one with them.
    const withoutP99 = liveAfter === null ? liveOnly.p99 : (liveOnly.p99 + liveAfter.p99) / 2;
    const withoutCores = liveAfter === null ? liveOnly.edgeCores : (liveOnly.edgeCores + liveAfter.edgeCores) / 2;

    let cpuBefore = 0;
    let cpuAfter = 0;
    const fast = await withLoad(1, 100, async () => {
      cpuBefore = cpuSeconds(pid);
      await sleep(seconds * 1000);
      cpuAfter = cpuSeconds(pid);
    });
    const at100 = {
      updatesPerSecond: fast.updates / fast.wallSeconds,
      eventSecondsPerSecond: fast.eventUs / 1e6 / fast.wallSeconds,
      edgeCores: (cpuAfter - cpuBefore) / fast.wallSeconds,
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
      liveAfter,
      withReplays: { ...withReplays, replayUpdatesPerClient: perClient, replaysAdvanced: tenX.advanced },
      at100,
      edgeCoresPerReplay: (withReplays.edgeCores - withoutCores) / replays,
      p99Ratio: withReplays.p99 / withoutP99,
    };
  } finally {
    for (const client of live) client.close();
    // Ctrl-C's stop, not SIGTERM's drain: nothing to move away, and a --cpu-prof profile is written at once.
    for (const child of children.reverse()) await stopChild(child, child === edge ? 'SIGINT' : 'SIGTERM');
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What the replaying process prints every 500 ms: its totals so far. */
interface ReplayersReport {
  updates: number;
  /** Event time the clocks moved forward, µs (a seek back is not counted). */
  eventUs: number;
  /** Clients whose replay has played at least once (its first load is done). */
  played: number;
  /** The same as eventUs, per client. */
  clocksUs: number[];
}

/**
 * `replayers URL COUNT SPEED FROM_US`: COUNT clients replaying from FROM_US at SPEED, each sought
 * back there when its replay ends; prints its totals (a ReplayersReport) as a JSON line every 500 ms.
 */
function runReplayers(url: string, count: number, speed: number, fromUs: number): void {
  let updates = 0;
  let played = 0;
  let eventUs = 0;
  const clocksUs = new Array<number>(count).fill(0);
  for (let i = 0; i < count; i++) {
    const client = new TickstreamClient({ url, WebSocket, symbols: [], pingEveryMs: 0 });
    client.on('update', (batch) => {
      if (batch.replay) updates += batch.count;
    });
    let lastClockUs = 0;
    let counted = false;
    client.on('replay', (status) => {
      if (!counted && status.state === ReplayState.Playing && status.clockUs > fromUs) {
        counted = true;
        played++;
      }
      if (status.state === ReplayState.Playing || status.state === ReplayState.Ended) {
        if (lastClockUs > 0 && status.clockUs > lastClockUs) {
          eventUs += status.clockUs - lastClockUs;
          clocksUs[i] = (clocksUs[i] as number) + status.clockUs - lastClockUs;
        }
        lastClockUs = status.clockUs;
      } else lastClockUs = 0;
      if (status.state === ReplayState.Ended) {
        client.replay.seek(fromUs);
        client.replay.play();
      }
    });
    client.on('error', (error) =>
      process.stderr.write(`replaying client: edge error ${error.code}: ${error.message}\n`),
    );
    client.replay.start({ fromUs, speed, symbols: ['*'] });
    client.connect();
  }
  setInterval(() => {
    const report: ReplayersReport = { updates, eventUs, played, clocksUs };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }, 500);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, url, count, speed, fromUs] = process.argv.slice(2);
  if (command === 'replayers') runReplayers(url as string, Number(count), Number(speed), Number(fromUs));
  else {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        replays: { type: 'string' },
        seconds: { type: 'string' },
        history: { type: 'string' },
        'cpu-prof': { type: 'string' },
        quick: { type: 'boolean' },
      },
    });
    // --quick: what `tickstream bench --quick` runs (CI's smoke run).
    const quick: NonNullable<Parameters<typeof runReplayBench>[0]> = values.quick === true ? QUICK : {};
    runReplayBench({
      ...quick,
      replays: values.replays === undefined ? undefined : Number(values.replays),
      seconds: values.seconds === undefined ? quick.seconds : Number(values.seconds),
      historySeconds: values.history === undefined ? quick.historySeconds : Number(values.history),
      edgeCpuProfileDir: values['cpu-prof'],
      progress: (line) => process.stdout.write(`${line}\n`),
    })
      .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
      .catch((error: Error) => {
        process.stderr.write(`${error.stack}\n`);
        process.exitCode = 1;
      });
  }
}
