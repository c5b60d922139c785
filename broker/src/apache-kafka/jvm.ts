import { fileURLToPath } from 'node:url';

/** Sends Kafka's log4j2 output to `<logs dir>/server.log`, never to our stdout. */
export const LOG4J_CONFIG = fileURLToPath(new URL('../../apache-kafka/log4j2.properties', import.meta.url));

export function jvmLoggingArgs(logsDir: string): string[] {
  return [`-Dlog4j2.configurationFile=${LOG4J_CONFIG}`, `-Dkafka.logs.dir=${logsDir}`];
}

/**
 * JVM settings for one broker on a 2-core, 24 GB developer machine: heap grows from 256 MB to
 * `maxHeap` (Kafka's scripts use a fixed 1 GB), and G1 with Kafka's own pause target.
 */
export function brokerJvmArgs(logsDir: string, maxHeap: string): string[] {
  return [
    '-Xms256m',
    `-Xmx${maxHeap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...jvmLoggingArgs(logsDir),
  ];
}
