/** Upper bounds (seconds) of the produce-latency buckets: a request's send to Kafka's answer. */
export const PRODUCE_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/**
 * A latency histogram as plain numbers, so a worker can post it to the main thread with its
 * other figures: `counts[i]` requests took at most PRODUCE_LATENCY_BUCKETS[i] (and more than the
 * bound before); the last entry counts the rest.
 */
export interface LatencyCounts {
  counts: number[];
  sumSeconds: number;
  count: number;
}

export function emptyLatency(): LatencyCounts {
  return { counts: new Array<number>(PRODUCE_LATENCY_BUCKETS.length + 1).fill(0), sumSeconds: 0, count: 0 };
}

export function observeLatency(latency: LatencyCounts, seconds: number): void {
  let bucket = PRODUCE_LATENCY_BUCKETS.findIndex((bound) => seconds <= bound);
  if (bucket < 0) bucket = PRODUCE_LATENCY_BUCKETS.length;
  latency.counts[bucket] = (latency.counts[bucket] ?? 0) + 1;
  latency.sumSeconds += seconds;
  latency.count++;
}

export function addLatency(into: LatencyCounts, from: LatencyCounts): void {
  for (const [bucket, count] of from.counts.entries()) into.counts[bucket] = (into.counts[bucket] ?? 0) + count;
  into.sumSeconds += from.sumSeconds;
  into.count += from.count;
}
