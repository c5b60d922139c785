import { parentPort, workerData } from 'node:worker_threads';
import { TickstreamClient } from '@tickstream/client';
import { decodeServerFrame, encodeClientFrame, type FrameOptions } from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import {
  type FromLoadWorker,
  type LoadCounts,
  type LoadWorkerTask,
  newLatencyHistogram,
  type ToLoadWorker,
} from './edge-load-protocol.js';
import { cpuTimes } from './processes.js';
import { CountingClient, type FrameTally, OPCODE_BINARY } from './websocket-counting-client.js';

const frameOptions: FrameOptions = { lz4: nodeLz4 };

function zeroCounts(closes: Record<string, number>): LoadCounts {
  return {
    frames: 0,
    bytes: 0,
    wireBytes: 0,
    decoderFrames: 0,
    decoderWireBytes: 0,
    updatesApplied: 0,
    deltas: 0,
    gaps: 0,
    snapshots: 0,
    errors: {},
    closes,
    threadUserSeconds: 0,
    threadSystemSeconds: 0,
  };
}

function wireHeaderBytes(payload: number): number {
  return payload < 126 ? 2 : payload < 65_536 ? 4 : 10;
}

/**
 * One load-generator thread of the edge benchmark: opens its share of WebSocket clients, each
 * subscribing to its own list of symbols. Clients marked `decoders` are full protocol clients:
 * @tickstream/client on `ws` (its Delta frames applied in place, lz4 and FlatBuffers verified and
 * decoded, (epoch, seq) followed, Resync on a gap), each update's age recorded: an independent
 * WebSocket implementation checks the edge's framing too. The rest count frames and bytes on raw sockets (websocket-counting-client.ts): on 2 cores
 * the load generator's CPU is the edge's loss, and `ws` costs 14-18 µs per frame where a frame
 * comes alone in each socket read. Every client decodes its Hello and Snapshot, so "connected"
 * means subscribed.
 */
/** Connection bookkeeping shared by both kinds of client: ready = subscribed (its Snapshot arrived). */
interface ClientLifecycle {
  isReady(): boolean;
  becameReady(): void;
  /** Counts a client that never became ready, once. */
  fail(why: string): void;
  closed(code: number): void;
}

function run(task: LoadWorkerTask, port: NonNullable<typeof parentPort>): void {
  const closes: Record<string, number> = {};
  let counts = zeroCounts(closes);
  // Counting clients add to this one object (never replaced: each holds it), folded into counts on report.
  const tally: FrameTally = { frames: 0, bytes: 0, wireBytes: 0 };
  let latency = newLatencyHistogram();
  let threadCpuAtReset = cpuTimes('thread-self');
  // Every counting client of the thread reads into this: each read is scanned before the next.
  const readBuffer = Buffer.allocUnsafe(256 * 1024);
  const url = new URL(task.url);
  /** Ends a client; resolves once its socket is closed. */
  const closers: (() => Promise<void>)[] = [];
  let next = 0;
  let connected = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  let announced = false;
  let closing = false;

  const settle = (): void => {
    if (!announced && connected + failed === task.subscriptions.length) {
      announced = true;
      let decoders = 0;
      for (const flag of task.decoders) decoders += flag;
      port.postMessage({ type: 'connected', connected, failed, firstFailure, decoders } satisfies FromLoadWorker);
    }
  };

  const lifecycle = (): ClientLifecycle => {
    let ready = false;
    const fail = (why: string): void => {
      if (ready) return;
      ready = true; // counted once
      failed++;
      firstFailure ??= why;
      settle();
      if (next < task.subscriptions.length) open(next++);
    };
    return {
      isReady: () => ready,
      becameReady: () => {
        ready = true;
        connected++;
        settle();
        if (next < task.subscriptions.length) open(next++);
      },
      fail,
      closed: (code) => {
        if (!closing) closes[code] = (closes[code] ?? 0) + 1;
        fail(`closed ${code} before its Snapshot`);
      },
    };
  };

  const subscribeFrame = (symbols: string[]): Uint8Array =>
    encodeClientFrame({ type: 'subscribe', symbols, sectors: [] }, frameOptions);

  const openCounting = (symbols: string[]): void => {
    const state = lifecycle();
    const client: CountingClient = new CountingClient(url, readBuffer, tally, {
      open: () => client.send(OPCODE_BINARY, subscribeFrame(symbols)),
      // Hello, then the Snapshot that answers Subscribe: decoded, so "connected" means subscribed.
      message: (payload) => {
        const message = decodeServerFrame(
          new Uint8Array(payload.buffer, payload.byteOffset, payload.length),
          frameOptions,
        );
        if (message.type !== 'snapshot') return;
        client.scanner.keepMessages = false;
        state.becameReady();
      },
      error: (why) => state.fail(why),
      closed: (code) => state.closed(code),
    });
    closers.push(() => {
      client.destroy();
      return client.closed;
    });
  };

  const openDecoding = (symbols: string[]): void => {
    const state = lifecycle();
    let socket: WebSocket | null = null;
    const client = new TickstreamClient({
      url: task.url,
      symbols,
      reconnect: false,
      pingEveryMs: 0,
      createSocket(target) {
        const opened = new WebSocket(target, { perMessageDeflate: false });
        opened.on('message', (data: ArrayBuffer) => {
          counts.frames++;
          counts.bytes += data.byteLength;
          counts.wireBytes += data.byteLength + wireHeaderBytes(data.byteLength);
          counts.decoderFrames++;
          counts.decoderWireBytes += data.byteLength + wireHeaderBytes(data.byteLength);
        });
        opened.on('unexpected-response', (_request, response) => state.fail(`HTTP ${response.statusCode}`));
        opened.on('error', (error) => state.fail(error.message));
        opened.on('close', (code) => state.closed(code));
        socket = opened;
        return opened;
      },
    });
    client.on('snapshot', () => {
      counts.snapshots++;
      if (!state.isReady()) state.becameReady();
    });
    client.on('update', (batch) => {
      counts.deltas++;
      counts.updatesApplied += batch.count;
      // base_time_us is the newest exchange time among the frame's symbols (the producer's
      // wall clock with --clock real): this is that tick's age on arrival.
      const ageUs = Date.now() * 1000 - batch.baseTimeUs;
      if (ageUs >= 0) latency.recordValue(ageUs);
    });
    client.on('gap', () => {
      counts.deltas++;
      counts.gaps++;
    });
    client.on('error', ({ code }) => {
      counts.errors[code] = (counts.errors[code] ?? 0) + 1;
    });
    // A frame that does not decode is the edge's bug: it fails the run, as it did when this client decoded by hand.
    client.on('problem', (problem) => {
      throw problem;
    });
    client.connect();
    closers.push(
      () =>
        new Promise((resolve) => {
          if (socket === null || socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.terminate();
        }),
    );
  };

  const open = (index: number): void => {
    const symbols = task.subscriptions[index] ?? [];
    if (task.decoders[index] === 1) openDecoding(symbols);
    else openCounting(symbols);
  };

  for (; next < Math.min(task.connectConcurrency, task.subscriptions.length); next++) open(next);
  if (task.subscriptions.length === 0) settle();

  port.on('message', (message: ToLoadWorker) => {
    if (message.type === 'reset') {
      counts = zeroCounts(closes);
      tally.frames = 0;
      tally.bytes = 0;
      tally.wireBytes = 0;
      latency = newLatencyHistogram();
      threadCpuAtReset = cpuTimes('thread-self');
    } else if (message.type === 'report') {
      const threadCpu = cpuTimes('thread-self');
      port.postMessage({
        type: 'report',
        counts: {
          ...counts,
          frames: counts.frames + tally.frames,
          bytes: counts.bytes + tally.bytes,
          wireBytes: counts.wireBytes + tally.wireBytes,
          threadUserSeconds: threadCpu.user - threadCpuAtReset.user,
          threadSystemSeconds: threadCpu.system - threadCpuAtReset.system,
        },
        latencyHistogram: hdr.encodeIntoCompressedBase64(latency),
      } satisfies FromLoadWorker);
    } else {
      closing = true;
      void Promise.all(closers.map((close) => close())).then(() =>
        port.postMessage({ type: 'closed' } satisfies FromLoadWorker),
      );
    }
  });
}

if (parentPort !== null) run(workerData as LoadWorkerTask, parentPort);
