import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_KAFKA_VERSION, findJava, resolveKafkaJars } from '@tickstream/broker';

/**
 * Apache Kafka's own Java performance tools (kafka-tools 4.4.0: `ConsumerPerformance`,
 * `ProducerPerformance`) as references beside tickstream's consumer and producer. The jars are
 * the ones `tickstream kafka` runs, resolved by the broker package's resolver (a fresh machine
 * fetches them from Maven Central once, into $TICKSTREAM_CACHE or ~/.cache/tickstream).
 */

/** What `ConsumerPerformance` printed: its one CSV line after the header. */
export interface ConsumerPerformanceResult {
  records: number;
  megabytes: number;
  /** Records over the whole run, the consumer group's join included. */
  recordsPerSecond: number;
  /** Records over the time spent fetching only: what its raw fetch loop sustains. */
  fetchRecordsPerSecond: number;
  rebalanceMs: number;
  fetchMs: number;
}

/** What `ProducerPerformance` printed in its final summary line. */
export interface ProducerPerformanceResult {
  records: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
  latencyAvgMs: number;
  latencyMaxMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

const CONSUMER_FIELDS = [
  'data.consumed.in.MB',
  'data.consumed.in.nMsg',
  'nMsg.sec',
  'fetch.nMsg.sec',
  'rebalance.time.ms',
  'fetch.time.ms',
] as const;

/**
 * Reads ConsumerPerformance's output: a header line (`start.time, end.time, …, nMsg.sec,
 * rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec`) and the values line under it.
 * Anything else (log lines, warnings) is skipped; a missing header or field is an error naming it.
 */
export function parseConsumerPerformance(output: string): ConsumerPerformanceResult {
  const lines = output.split('\n').map((line) => line.trim());
  const headerAt = lines.findIndex((line) => line.startsWith('start.time,') && line.includes('fetch.nMsg.sec'));
  if (headerAt < 0) throw new Error(`ConsumerPerformance printed no result header: ${tail(output)}`);
  const names = (lines[headerAt] as string).split(',').map((name) => name.trim());
  const values = lines
    .slice(headerAt + 1)
    .map((line) => line.split(',').map((value) => value.trim()))
    .find((fields) => fields.length === names.length);
  if (values === undefined) throw new Error(`ConsumerPerformance printed no result line: ${tail(output)}`);
  const field = (name: (typeof CONSUMER_FIELDS)[number]): number => {
    const value = Number(values[names.indexOf(name)]);
    if (!names.includes(name) || !Number.isFinite(value))
      throw new Error(`ConsumerPerformance's ${name} is missing or not a number: ${tail(output)}`);
    return value;
  };
  return {
    records: field('data.consumed.in.nMsg'),
    megabytes: field('data.consumed.in.MB'),
    recordsPerSecond: field('nMsg.sec'),
    fetchRecordsPerSecond: field('fetch.nMsg.sec'),
    rebalanceMs: field('rebalance.time.ms'),
    fetchMs: field('fetch.time.ms'),
  };
}

// "1000000 records sent, 912345.678901 records/sec (87.01 MB/sec), 20.50 ms avg latency, 310.00 ms max
// latency, 12 ms 50th, 60 ms 95th, 90 ms 99th, 120 ms 99.9th." — the interim lines (every 5 s) end at
// "max latency." and are not matched.
const PRODUCER_SUMMARY =
  /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/m;

/** Reads ProducerPerformance's final summary line (not its interim ones). */
export function parseProducerPerformance(output: string): ProducerPerformanceResult {
  const match = PRODUCER_SUMMARY.exec(output);
  if (match === null) throw new Error(`ProducerPerformance printed no summary line: ${tail(output)}`);
  const [records, perSecond, megabytes, avg, max, p50, p99] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    records,
    recordsPerSecond: perSecond,
    megabytesPerSecond: megabytes,
    latencyAvgMs: avg,
    latencyMaxMs: max,
    latencyP50Ms: p50,
    latencyP99Ms: p99,
  };
}

const tail = (output: string): string => output.trim().slice(-600) || '(no output)';

/** java and the jars' folder, found once per process: `java -version` alone starts a JVM. */
let toolchain: Promise<{ java: string; libs: string }> | undefined;

function findToolchain(log?: (line: string) => void): Promise<{ java: string; libs: string }> {
  toolchain ??= (async () => ({
    java: await findJava(process.env, 'the Kafka perf tools'),
    libs: await resolveKafkaJars({ kafkaVersion: DEFAULT_KAFKA_VERSION, log }),
  }))();
  // A failure (no Java, no network for Maven) is not kept: the next call tries again.
  toolchain.catch(() => {
    toolchain = undefined;
  });
  return toolchain;
}

/** Runs one Kafka tool class to its end; its output (stdout and stderr) is returned, a failure throws with it. */
async function runKafkaTool(toolClass: string, args: string[], log?: (line: string) => void): Promise<string> {
  const { java, libs } = await findToolchain(log);
  // A fixed locale: the tools format their figures with %f, which follows the default locale.
  const jvm = ['-Xmx512m', '-Duser.language=en', '-Duser.country=US', '-cp', join(libs, '*')];
  const child = spawn(java, [...jvm, `org.apache.kafka.tools.${toolClass}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`${toolClass} exited with ${code}: ${tail(output)}`);
  return output;
}

/**
 * ConsumerPerformance reading `records` records of `topic` from its start, in a group of its own.
 * With the consumer group protocol of KIP-848 (ConsumerGroupHeartbeat, which the embedded broker
 * and Apache Kafka 4 both serve): the classic protocol's join waits out the broker's
 * group.initial.rebalance.delay.ms (3 s on the embedded broker), which the tool counts apart
 * from its fetch rate anyway but which would cost every run those seconds.
 */
export async function runConsumerPerformance(options: {
  bootstrap: string;
  topic: string;
  records: number;
  log?: (line: string) => void;
}): Promise<ConsumerPerformanceResult> {
  const group = `throughput-bench-${process.pid}-${Date.now()}`;
  const output = await runKafkaTool(
    'ConsumerPerformance',
    [
      ...['--bootstrap-server', options.bootstrap, '--topic', options.topic],
      ...['--num-records', String(options.records), '--group', group, '--timeout', '30000'],
      ...['--command-property', 'group.protocol=consumer'],
    ],
    options.log,
  );
  return parseConsumerPerformance(output);
}

/**
 * ProducerPerformance writing `records` records of `recordBytes` into `topic` as fast as it can,
 * with the settings of docs/broker.md's reference run: lz4, linger 5 ms, 64 KB batches, acks=1.
 */
export async function runProducerPerformance(options: {
  bootstrap: string;
  topic: string;
  records: number;
  recordBytes: number;
  log?: (line: string) => void;
}): Promise<ProducerPerformanceResult> {
  const output = await runKafkaTool(
    'ProducerPerformance',
    [
      ...['--topic', options.topic, '--num-records', String(options.records)],
      ...['--record-size', String(options.recordBytes), '--throughput', '-1', '--command-property'],
      `bootstrap.servers=${options.bootstrap}`,
      ...['compression.type=lz4', 'linger.ms=5', 'batch.size=65536', 'acks=1'],
    ],
    options.log,
  );
  return parseProducerPerformance(output);
}
