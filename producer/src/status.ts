import type { ProducerStats } from './producer.js';

const perSecond = (delta: number, ms: number): number => (ms > 0 ? (delta * 1000) / ms : 0);
const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** One status line: what Kafka acknowledged since the previous line, and what is wrong. */
export function formatStatus(previous: ProducerStats, current: ProducerStats): string {
  const ms = current.elapsedMs - previous.elapsedMs;
  const ticks = perSecond(current.acked - previous.acked, ms);
  const megabytes = perSecond(current.ackedBytes - previous.ackedBytes, ms) / 1e6;
  return [
    `${count(ticks)} ticks/s`,
    `${megabytes.toFixed(2)} MB/s`,
    `${count(current.batches - previous.batches)} batches`,
    `${count(current.errors)} errors`,
    `${count(current.dropped)} dropped`,
    `${count(current.buffered)} buffered`,
    `${count(current.behind)} behind target`,
    current.connected ? 'kafka up' : 'KAFKA UNREACHABLE',
  ].join(' | ');
}

/** The status line's figures as log fields (a log pipeline reads these, not the sentence). */
export function statusFields(previous: ProducerStats, current: ProducerStats): Record<string, number | boolean> {
  const ms = current.elapsedMs - previous.elapsedMs;
  return {
    ticksPerSecond: Math.round(perSecond(current.acked - previous.acked, ms)),
    bytesPerSecond: Math.round(perSecond(current.ackedBytes - previous.ackedBytes, ms)),
    batches: current.batches - previous.batches,
    errors: current.errors,
    dropped: current.dropped,
    buffered: current.buffered,
    behind: current.behind,
    kafkaUp: current.connected,
  };
}

/** The summary's figures as log fields. */
export function summaryFields(stats: ProducerStats): Record<string, number> {
  const { generated, acked, ackedBytes, batches, errors, dropped, elapsedMs } = stats;
  return { generated, acked, ackedBytes, batches, errors, dropped, seconds: Math.round(elapsedMs / 100) / 10 };
}

export function formatSummary(stats: ProducerStats): string {
  const seconds = stats.elapsedMs / 1000;
  return (
    `producer done after ${seconds.toFixed(1)} s: ${count(stats.generated)} ticks generated, ${count(stats.acked)} ` +
    `acknowledged by Kafka (${count(stats.acked / Math.max(seconds, 0.001))}/s, ${(stats.ackedBytes / 1e6).toFixed(1)} MB), ` +
    `${count(stats.batches)} batches, ${count(stats.errors)} errors, ${count(stats.dropped)} dropped`
  );
}
