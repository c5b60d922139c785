import { parentPort, workerData } from 'node:worker_threads';
import {
  applyDelta,
  decodeServerFrame,
  encodeClientFrame,
  type FrameOptions,
  QuoteTable,
  type ServerMessageFields,
} from '@tickstream/schemas';
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
  };
}

function wireHeaderBytes(payload: number): number {
  return payload < 126 ? 2 : payload < 65_536 ? 4 : 10;
}

/**
 * One load-generator thread of the edge benchmark: opens its share of WebSocket clients, each
 * subscribing to its own list of symbols. Clients marked `decoders` are full protocol clients
 * (lz4, FlatBuffers verify and decode, applyDelta into their own QuoteTable, seq continuity,
 * Resync on a gap, latency); the rest count frames and bytes. On 2 cores a full decode of every
 * frame (~4.5 µs here, on top of what ws costs per frame) at 10k clients would make the load
 * generator, even more than it already is, the thing measured. Every client decodes its Hello
 * and Snapshot, so "connected" means subscribed.
 */
function run(task: LoadWorkerTask, port: NonNullable<typeof parentPort>): void {
  const closes: Record<string, number> = {};
  let counts = zeroCounts(closes);
  let latency = newLatencyHistogram();
  const sockets: WebSocket[] = [];
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

  const open = (index: number): void => {
    const symbols = task.subscriptions[index] ?? [];
    const decoding = task.decoders[index] === 1;
    const socket = new WebSocket(task.url, { perMessageDeflate: false });
    sockets.push(socket);
    let ready = false;
    let table = new QuoteTable(1024);
    let lastSeq = -1;
    let awaitingSnapshot = false;

    const becameReady = (): void => {
      ready = true;
      connected++;
      settle();
      if (next < task.subscriptions.length) open(next++);
    };
    const fail = (why: string): void => {
      if (ready) return;
      ready = true; // counted once
      failed++;
      firstFailure ??= why;
      settle();
      if (next < task.subscriptions.length) open(next++);
    };

    const decode = (message: ServerMessageFields): void => {
      switch (message.type) {
        case 'snapshot': {
          counts.snapshots++;
          let maxId = 0;
          for (const quote of message.quotes) maxId = Math.max(maxId, quote.id);
          if (maxId >= table.capacity) table = new QuoteTable(maxId + 1024);
          else table.last.fill(0);
          for (const quote of message.quotes) table.setRow(quote.id, quote);
          lastSeq = message.seq;
          awaitingSnapshot = false;
          if (!ready) becameReady();
          break;
        }
        case 'delta': {
          counts.deltas++;
          if (awaitingSnapshot) break;
          if (message.seq !== lastSeq + 1) {
            counts.gaps++;
            awaitingSnapshot = true;
            socket.send(encodeClientFrame({ type: 'resync', lastSeq }, frameOptions));
            break;
          }
          applyDelta(message, table);
          lastSeq = message.seq;
          counts.updatesApplied += message.count;
          // base_time_us is the newest exchange time among the frame's symbols (the producer's
          // wall clock with --clock real): this is that tick's age on arrival.
          const ageUs = Date.now() * 1000 - message.baseTimeUs;
          if (ageUs >= 0) latency.recordValue(ageUs);
          break;
        }
        case 'error':
          counts.errors[message.code] = (counts.errors[message.code] ?? 0) + 1;
          break;
        default:
          break;
      }
    };

    socket.on('open', () => {
      socket.send(encodeClientFrame({ type: 'subscribe', symbols, sectors: [] }, frameOptions));
    });
    socket.on('message', (data: Buffer) => {
      counts.frames++;
      counts.bytes += data.length;
      counts.wireBytes += data.length + wireHeaderBytes(data.length);
      if (decoding) {
        counts.decoderFrames++;
        counts.decoderWireBytes += data.length + wireHeaderBytes(data.length);
        decode(decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.length), frameOptions));
      } else if (!ready) {
        // Hello, then the Snapshot that answers Subscribe: decoded, so "connected" means subscribed.
        const message = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.length), frameOptions);
        if (message.type === 'snapshot') becameReady();
      }
    });
    socket.on('unexpected-response', (_request, response) => fail(`HTTP ${response.statusCode}`));
    socket.on('error', (error) => fail(error.message));
    socket.on('close', (code) => {
      if (!closing) closes[code] = (closes[code] ?? 0) + 1;
      fail(`closed ${code} before its Snapshot`);
    });
  };

  for (; next < Math.min(task.connectConcurrency, task.subscriptions.length); next++) open(next);
  if (task.subscriptions.length === 0) settle();

  port.on('message', (message: ToLoadWorker) => {
    if (message.type === 'reset') {
      counts = zeroCounts(closes);
      latency = newLatencyHistogram();
    } else if (message.type === 'report') {
      port.postMessage({
        type: 'report',
        counts,
        latencyHistogram: hdr.encodeIntoCompressedBase64(latency),
      } satisfies FromLoadWorker);
    } else {
      closing = true;
      let open = sockets.length;
      const done = (): void => {
        if (--open <= 0) port.postMessage({ type: 'closed' } satisfies FromLoadWorker);
      };
      if (open === 0) done();
      for (const socket of sockets) {
        if (socket.readyState === WebSocket.CLOSED) done();
        else {
          socket.once('close', done);
          socket.terminate();
        }
      }
    }
  });
}

if (parentPort !== null) run(workerData as LoadWorkerTask, parentPort);
