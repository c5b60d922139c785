import { describe, expect, it } from 'vitest';
import { parseConsumerPerformance, parseProducerPerformance } from './kafka-perf-tools.js';

// Real output of kafka-tools 4.4.0, captured on 2026-12-07 against `tickstream broker` on this
// machine (load average 15-18: the figures are slow, the format is what matters):
//   java -cp "$TICKSTREAM_CACHE/kafka-4.4.0/libs/*" org.apache.kafka.tools.ConsumerPerformance \
//     --bootstrap-server 127.0.0.1:39192 --topic ticks --num-records 600000 --group capture-2 \
//     --timeout 30000 --command-property group.protocol=consumer
const CONSUMER_OUTPUT = [
  'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
  '2026-12-07 07:06:27:436, 2026-12-07 07:06:33:057, 70.9539, 12.6230, 600282, 106792.7415, 1778, 3843, 18.4631, 156201.4052',
].join('\n');
// The same with the classic group protocol (no --command-property): the embedded broker's 3 s
// group.initial.rebalance.delay.ms shows in rebalance.time.ms.
const CONSUMER_CLASSIC_OUTPUT = [
  'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
  '2026-12-07 07:06:04:476, 2026-12-07 07:06:14:607, 70.9321, 7.0015, 600282, 59251.9988, 5031, 5100, 13.9083, 117702.3529',
].join('\n');
//   java … org.apache.kafka.tools.ProducerPerformance --topic ticks --num-records 500000 --record-size 120 \
//     --throughput -1 --command-property bootstrap.servers=127.0.0.1:39192 compression.type=lz4 linger.ms=5 \
//     batch.size=65536 acks=1
const PRODUCER_OUTPUT = [
  '76340 records sent, 15261.9 records/sec (1.75 MB/sec), 79.6 ms avg latency, 1920.0 ms max latency.',
  '315265 records sent, 62927.1 records/sec (7.20 MB/sec), 122.5 ms avg latency, 410.0 ms max latency.',
  '500000 records sent, 43395.243881 records/sec (4.97 MB/sec), 109.25 ms avg latency, 1920.00 ms max latency, 92 ms 50th, 261 ms 95th, 319 ms 99th, 409 ms 99.9th.',
].join('\n');

describe("Apache Kafka's perf tools' output", () => {
  it('reads ConsumerPerformance: records, the overall rate and the fetch-only rate', () => {
    expect(parseConsumerPerformance(CONSUMER_OUTPUT)).toEqual({
      records: 600_282,
      megabytes: 70.9539,
      recordsPerSecond: 106_792.7415,
      fetchRecordsPerSecond: 156_201.4052,
      rebalanceMs: 1778,
      fetchMs: 3843,
    });
    const classic = parseConsumerPerformance(CONSUMER_CLASSIC_OUTPUT);
    expect(classic.rebalanceMs).toBe(5031);
    expect(classic.fetchRecordsPerSecond).toBe(117_702.3529);
  });

  it('skips log lines around the result and names what is missing', () => {
    const logged = `WARN some log line, with, commas\n${CONSUMER_OUTPUT}\nINFO closing\n`;
    expect(parseConsumerPerformance(logged).records).toBe(600_282);
    expect(() =>
      parseConsumerPerformance('Exception in thread "main" org.apache.kafka.common.errors.TimeoutException'),
    ).toThrow(/ConsumerPerformance printed no result header: Exception in thread/);
    const header = CONSUMER_OUTPUT.split('\n')[0] as string;
    expect(() => parseConsumerPerformance(header)).toThrow(/no result line/);
    const renamed = CONSUMER_OUTPUT.replace(', fetch.time.ms,', ', fetch.ms,');
    expect(() => parseConsumerPerformance(renamed)).toThrow(/fetch.time.ms is missing or not a number/);
  });

  it("reads ProducerPerformance's final summary, not its interim lines", () => {
    expect(parseProducerPerformance(PRODUCER_OUTPUT)).toEqual({
      records: 500_000,
      recordsPerSecond: 43_395.243881,
      megabytesPerSecond: 4.97,
      latencyAvgMs: 109.25,
      latencyMaxMs: 1920,
      latencyP50Ms: 92,
      latencyP99Ms: 319,
    });
    const interimOnly = PRODUCER_OUTPUT.split('\n').slice(0, 2).join('\n');
    expect(() => parseProducerPerformance(interimOnly)).toThrow(
      /ProducerPerformance printed no summary line: 76340 records sent/,
    );
  });
});
