import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  applyDelta,
  type DeltaBatch,
  DeltaWriter,
  decodeServerFrame,
  QuoteTable,
  ServerFrameEncoder,
  TickEncoder,
} from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import { median, medianOf } from './stats.js';

/**
 * Codec benchmark: bytes on the wire and encode/decode rates for a Delta frame of 100 changed
 * symbols, next to the JSON message a Socket.IO bridge like the seeds' emits per tick.
 */
export interface CodecBenchResult {
  runs: number;
  symbolsPerDelta: number;
  tickBytes: number;
  deltaFrameBytes: number;
  deltaBytesPerSymbol: number;
  jsonBytesPerUpdate: number;
  jsonToDeltaRatio: number;
  encodeFramesPerSecond: number;
  encodeMegabytesPerSecond: number;
  decodeFramesPerSecond: number;
  decodeMegabytesPerSecond: number;
}

const SYMBOLS = 100;
const options = { lz4: nodeLz4 };

/** A market that moves like the producer's: small price steps, 100-share lots, ticks inside one window. */
function marketWindows(count: number, seed = 1): { state: QuoteTable; windows: (() => void)[] } {
  const state = new QuoteTable(SYMBOLS);
  let random = seed;
  const next = (): number => {
    random = (random * 16807) % 2147483647;
    return random / 2147483647;
  };
  const baseTime = 1_795_000_000_000_000;
  for (let id = 0; id < SYMBOLS; id++) {
    const price = Math.round((20 + next() * 400) * 10_000);
    state.setRow(id, {
      id,
      last: price,
      bid: price - 100,
      ask: price + 100,
      open: price,
      high: price,
      low: price,
      volume: 1_000_000,
      ticks: 1000,
      exchangeTimeUs: baseTime,
    });
  }
  const windows = Array.from({ length: count }, (_, w) => () => {
    for (let id = 0; id < SYMBOLS; id++) {
      const trades = 1 + Math.floor(next() * 3);
      for (let t = 0; t < trades; t++) {
        const last = (state.last[id] as number) + Math.round((next() - 0.5) * 2 * 0.0005 * (state.last[id] as number));
        state.last[id] = last;
        const spread = 50 + Math.round(next() * 3) * 50;
        state.bid[id] = last - spread;
        state.ask[id] = last + spread;
        state.high[id] = Math.max(state.high[id] as number, last);
        state.low[id] = Math.min(state.low[id] as number, last);
        state.volume[id] = (state.volume[id] as number) + 100 * (1 + Math.floor(next() * 5));
        state.ticks[id] = (state.ticks[id] as number) + 1;
        state.timeUs[id] = baseTime + (w + 1) * 25_000 + Math.floor(next() * 25_000);
      }
    }
  });
  return { state, windows };
}

function jsonUpdateBytes(): number {
  // The shape the seeds' Socket.IO bridge emits for each tick.
  const message = {
    symbol: 'AAPL',
    price: 189.23,
    change: 1.27,
    change_percent: 0.67,
    volume: 1_234_567,
    timestamp: '2026-11-24T15:04:32.123456',
  };
  return Buffer.byteLength(JSON.stringify(['stock_update', message]));
}

export async function runCodecBench(options_: { runs: number }): Promise<CodecBenchResult> {
  const encoder = new ServerFrameEncoder(options);
  const writer = new DeltaWriter();

  // Bytes: many windows of a moving market, each encoded as one Delta frame.
  const { state, windows } = marketWindows(200);
  const published = new QuoteTable(SYMBOLS);
  for (let id = 0; id < SYMBOLS; id++) published.copyRow(id, state);
  const frames: Uint8Array[] = [];
  const batches: DeltaBatch[] = [];
  for (const [w, step] of windows.entries()) {
    step();
    writer.begin(Math.max(...state.timeUs));
    for (let id = 0; id < SYMBOLS; id++) writer.add(id, state, published);
    const batch = writer.finish();
    batches.push({ ...batch, data: batch.data.slice() });
    frames.push(encoder.delta(1, w + 1, batch));
  }
  const frameBytes = median(frames.map((frame) => frame.length));
  const tickBytes = new TickEncoder().encode({
    symbol: 'AAPL',
    sector: 'Technology',
    price: 1_892_345,
    size: 100,
    bid: 1_892_300,
    ask: 1_892_400,
    exchangeTimeUs: 1_795_000_000_000_000,
    sequence: 1,
  }).length;

  const batchesPerRun = 20_000;
  const encode = await medianOf(options_.runs, () => {
    const started = performance.now();
    for (let i = 0; i < batchesPerRun; i++) encoder.delta(1, i, batches[i % batches.length] as DeltaBatch);
    return batchesPerRun / ((performance.now() - started) / 1000);
  });

  const client = new QuoteTable(SYMBOLS);
  const decode = await medianOf(options_.runs, () => {
    const started = performance.now();
    for (let i = 0; i < batchesPerRun; i++) {
      const message = decodeServerFrame(frames[i % frames.length] as Uint8Array, options);
      if (message.type === 'delta') applyDelta(message, client);
    }
    return batchesPerRun / ((performance.now() - started) / 1000);
  });

  // Rates in compressed wire bytes: what a socket carries per second of codec work.
  const meanFrameBytes = frames.reduce((sum, frame) => sum + frame.length, 0) / frames.length;
  const jsonBytes = jsonUpdateBytes();
  return {
    runs: options_.runs,
    symbolsPerDelta: SYMBOLS,
    tickBytes,
    deltaFrameBytes: frameBytes,
    deltaBytesPerSymbol: frameBytes / SYMBOLS,
    jsonBytesPerUpdate: jsonBytes,
    jsonToDeltaRatio: jsonBytes / (frameBytes / SYMBOLS),
    encodeFramesPerSecond: encode.median,
    encodeMegabytesPerSecond: (encode.median * meanFrameBytes) / 1e6,
    decodeFramesPerSecond: decode.median,
    decodeMegabytesPerSecond: (decode.median * meanFrameBytes) / 1e6,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[2] ?? 5);
  const result = await runCodecBench({ runs });
  console.table(result);
}
