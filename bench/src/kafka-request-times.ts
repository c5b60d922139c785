import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { percentile } from './stats.js';

/**
 * How long the analytics JVM's Kafka producers waited for each request, per API, from the
 * trace that bench/kafka-trace-log4j2.properties writes (FILL_BENCH_KAFKA_TRACE=FILE): the
 * client's "Sending X request … correlationId=N" and "Received X response … correlationId=N"
 * lines, paired by client id and correlation id. Measured at the client, so it holds the broker's
 * time and the wait of the JVM's network thread, the same way on both backends.
 */

/** The log4j2 configuration that writes the trace (its file: the system property kafka.trace.file). */
export const KAFKA_TRACE_LOG4J2 = fileURLToPath(new URL('../kafka-trace-log4j2.properties', import.meta.url));

/** JVM flags that make the analytics JVM write the trace to `file`. */
export function kafkaTraceJvmOptions(file: string): string {
  return `-Dlog4j2.configurationFile=${KAFKA_TRACE_LOG4J2} -Dkafka.trace.file=${file}`;
}

export interface RequestTimes {
  api: string;
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const LINE =
  /^(\d\d):(\d\d):(\d\d\.\d{3}) .*?(Sending|Received) (\w+) (?:request|response).*?clientId=([^,]+), correlationId=(\d+)/;

/** Per API, the request times of the producers whose client id matches `clients` (all when omitted). */
export function requestTimes(trace: string, clients?: RegExp): RequestTimes[] {
  const sentAt = new Map<string, number>();
  const byApi = new Map<string, number[]>();
  for (const line of trace.split('\n')) {
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, h, m, s, direction, api, client, correlation] = match as unknown as string[];
    if (clients !== undefined && !clients.test(client as string)) continue;
    const at = (Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000;
    const key = `${client}/${correlation}`;
    if (direction === 'Sending') {
      sentAt.set(key, at);
      continue;
    }
    const sent = sentAt.get(key);
    if (sent === undefined) continue;
    sentAt.delete(key);
    const times = byApi.get(api as string) ?? [];
    times.push(Math.round(at - sent));
    byApi.set(api as string, times);
  }
  return [...byApi]
    .map(([api, times]) => ({
      api,
      count: times.length,
      meanMs: times.reduce((sum, t) => sum + t, 0) / times.length,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      maxMs: Math.max(...times),
    }))
    .sort((a, b) => a.api.localeCompare(b.api));
}

/** The fill engine's producers (its sinks' transactional ids end in -fills-… and -portfolios-…). */
export const FILL_ENGINE_PRODUCERS = /-(fills|portfolios)-\d+-\d+$/;

export function formatRequestTimes(times: readonly RequestTimes[]): string {
  return times
    .map(
      (t) =>
        `  ${t.api.padEnd(22)} ${String(t.count).padStart(5)} requests: mean ${t.meanMs.toFixed(1)} ms, p50 ${t.p50Ms}, p99 ${t.p99Ms}, max ${t.maxMs}`,
    )
    .join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // node bench/dist/kafka-request-times.js TRACE [all]: the fill engine's producers (all: every producer).
  const [file, which] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/dist/kafka-request-times.js TRACE_FILE [all]\n');
    process.exit(2);
  }
  const times = requestTimes(readFileSync(file, 'utf8'), which === 'all' ? undefined : FILL_ENGINE_PRODUCERS);
  process.stdout.write(`${formatRequestTimes(times)}\n`);
}
