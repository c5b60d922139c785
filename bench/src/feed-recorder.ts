import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeClientFrame, PROTOCOL_VERSION } from '@tickstream/schemas';
import WebSocket from 'ws';
import { producerWorkersFor } from './edge.js';
import {
  deltaCount,
  FRAME_OPTIONS,
  frameRoot,
  MessageType,
  type RecordedFrame,
  type Recording,
} from './feed-recording.js';
import { spawnProducer, startBrokerProcess, startEdgeProcess, stopChild } from './processes.js';

/**
 * Records a real edge's frames for the dashboard's subscription (issue 25): the system of the
 * loaded-machine bench (embedded broker, producer, edge as processes) without the browser, a
 * `ws` client that subscribes to `"*"` as the dashboard does, and every frame kept as it came.
 */
export interface RecordingPlan {
  targetUpdatesPerSecond: number;
  symbols: number;
  ticksPerSecond: number;
  windowMs: number;
}

/**
 * 2,000 symbols, as the reference harnesses' grid. The edge sends a symbol at most once per
 * window, so offered updates/s ≈ symbols × windows/s × (1 − e^(−ticks per symbol per window)):
 * 200k needs windows of 5 ms (at most 400k) and ~280k ticks/s. The producer's symbols are not
 * equally active (its popularity tiers), so 50k takes about twice the uniform estimate: 78k
 * ticks/s carried 38.5k updates/s on the quiet machine, 160k carried 51.5k (2026-12-07). At
 * 200k the machine is the limit: 280k-500k ticks/s carried 80-87k (producer, broker and edge
 * share the 2 cores); the bench warns with what the recording carries.
 */
export const RECORDING_PLANS: readonly RecordingPlan[] = [
  { targetUpdatesPerSecond: 10_000, symbols: 2000, ticksPerSecond: 10_700, windowMs: 25 },
  { targetUpdatesPerSecond: 50_000, symbols: 2000, ticksPerSecond: 160_000, windowMs: 25 },
  { targetUpdatesPerSecond: 200_000, symbols: 2000, ticksPerSecond: 280_000, windowMs: 5 },
];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connects to `url`, subscribes to every symbol and records `seconds` of Deltas after the
 * Snapshot, and at least `minDeltas` of them (tests need a few whatever the machine's load). A
 * new Snapshot starts the recording over; a gap in the Deltas without one (the edge skipping a
 * slow client) fails the recording: it would replay as a resync on every loop.
 */
export async function recordEdgeFeed(
  url: string,
  seconds: number,
  options: { minDeltas?: number; timeoutMs?: number } = {},
): Promise<Omit<Recording, 'header'> & { updates: number }> {
  const socket = new WebSocket(url);
  socket.binaryType = 'nodebuffer';
  let hello: Uint8Array | null = null;
  let snapshot: Uint8Array | null = null;
  let snapshotAt = 0;
  let lastSeq = 0;
  let updates = 0;
  const deltas: RecordedFrame[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const timeout = setTimeout(
        () =>
          reject(
            new Error(
              `recording ${url}: ${snapshot === null ? 'no Snapshot' : `${deltas.length} Deltas`} after ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      socket.on('error', reject);
      socket.on('close', (code) => reject(new Error(`${url} closed the recording connection (${code})`)));
      socket.on('message', (data: Buffer) => {
        const now = performance.now();
        const bytes = new Uint8Array(data);
        const root = frameRoot(bytes);
        if (root.type === MessageType.Hello && hello === null) {
          hello = bytes;
          socket.send(encodeClientFrame({ type: 'subscribe', symbols: ['*'], sectors: [] }, FRAME_OPTIONS));
        } else if (root.type === MessageType.Snapshot) {
          // A later Snapshot (symbols appeared while the edge warmed up, a trading day rolled, or
          // the edge resynced us after skipping Deltas) starts the recording over from it: a
          // recording is one Snapshot and the Deltas that follow it without a gap.
          snapshot = bytes;
          snapshotAt = now;
          lastSeq = root.seq;
          deltas.length = 0;
          updates = 0;
        } else if (root.type === MessageType.Delta && snapshot !== null) {
          if (root.seq !== lastSeq + 1) {
            clearTimeout(timeout);
            reject(
              new Error(
                `the edge skipped Deltas while recording (seq ${root.seq} after ${lastSeq}): the recorder was too slow`,
              ),
            );
            return;
          }
          lastSeq = root.seq;
          updates += deltaCount(bytes);
          deltas.push({ atMs: now - snapshotAt, bytes });
          if (now - snapshotAt >= seconds * 1000 && deltas.length >= (options.minDeltas ?? 0)) {
            clearTimeout(timeout);
            resolve();
          }
        }
      });
    });
  } finally {
    socket.removeAllListeners('close');
    socket.terminate();
  }
  if (hello === null || snapshot === null) throw new Error('recording ended without Hello and Snapshot');
  return { hello, snapshot, deltas, updates };
}

/**
 * One recording at `plan`'s rate: an embedded broker, the producer and an edge as processes,
 * `seconds` of the dashboard's stream recorded, everything stopped after.
 */
export async function recordAtRate(
  plan: RecordingPlan,
  seconds: number,
  log: (line: string) => void = () => {},
): Promise<Recording> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-feed-recording-'));
  const broker = await startBrokerProcess(dataDir);
  const children: ChildProcess[] = [];
  try {
    const rate = plan.ticksPerSecond;
    const workers = producerWorkersFor({ rate, producerWorkers: null });
    children.push(spawnProducer(broker.bootstrap, { symbols: plan.symbols, rate, workers, clock: 'real' }));
    const { child: edge, port } = await startEdgeProcess(broker.bootstrap, {
      history: '0',
      minSymbols: plan.symbols,
      args: ['--window', String(plan.windowMs)],
    });
    children.push(edge);
    await sleep(1000); // the producer at its full rate, the edge's fetch caught up
    const recorded = await recordEdgeFeed(`ws://127.0.0.1:${port}/ws`, seconds);
    const lastAt = recorded.deltas.at(-1)?.atMs ?? 0;
    const header = {
      ...plan,
      updatesPerSecond: lastAt > 0 ? (recorded.updates * 1000) / lastAt : 0,
      seconds: lastAt / 1000,
      deltas: recorded.deltas.length,
      recordedAt: new Date().toISOString(),
      protocolVersion: PROTOCOL_VERSION,
    };
    log(
      `recorded ${Math.round(header.updatesPerSecond).toLocaleString('en-US')} updates/s ` +
        `(target ${plan.targetUpdatesPerSecond.toLocaleString('en-US')}) in ${recorded.deltas.length} Deltas over ${header.seconds.toFixed(1)} s`,
    );
    return { header, hello: recorded.hello, snapshot: recorded.snapshot, deltas: recorded.deltas };
  } finally {
    for (const child of children) await stopChild(child, 'SIGKILL');
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
