import hdr, { type Histogram } from 'hdr-histogram-js';

/** What the edge benchmark's main thread and its load-generator threads (edge-load-worker.ts) say to each other. */
export interface LoadWorkerTask {
  url: string;
  /** One symbol list per client. */
  subscriptions: string[][];
  /** Per client: 1 = full protocol client, 0 = counts frames and bytes. */
  decoders: Uint8Array;
  /** Connections being opened at once. */
  connectConcurrency: number;
}

export type ToLoadWorker = { type: 'reset' } | { type: 'report' } | { type: 'close' };

/** Counts since the last reset (closes and failures: since the start). */
export interface LoadCounts {
  frames: number;
  /** WebSocket payload bytes. */
  bytes: number;
  /** Payload plus the server's unmasked frame header (2 bytes below 126 B, 4 below 64 KiB, else 10). */
  wireBytes: number;
  decoderFrames: number;
  decoderWireBytes: number;
  /** Symbol updates applied by decoding clients. */
  updatesApplied: number;
  /** Deltas decoding clients applied or saw as a gap (not those dropped while a Resync was pending). */
  deltas: number;
  /** Deltas whose seq was not the previous + 1 (each answered by a Resync). */
  gaps: number;
  snapshots: number;
  /** Error frames by code, decoding clients only. */
  errors: Record<string, number>;
  /** Connections the edge closed, by close code. */
  closes: Record<string, number>;
  /** CPU seconds of the load-generator threads themselves (/proc/thread-self/stat), in user space and in the kernel. */
  threadUserSeconds: number;
  threadSystemSeconds: number;
}

export type FromLoadWorker =
  | { type: 'connected'; connected: number; failed: number; firstFailure: string | null; decoders: number }
  | { type: 'report'; counts: LoadCounts; latencyHistogram: string }
  | { type: 'closed' };

/** Latencies in µs, up to an hour. */
export function newLatencyHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
}
