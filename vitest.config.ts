import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import sibling packages from source, so they need no build step.
    alias: {
      '@tickstream/schemas/lz4-node': src('./schemas/src/lz4-node.ts'),
      '@tickstream/schemas/kafka-security': src('./schemas/src/kafka-security.ts'),
      '@tickstream/schemas/kafka-connection': src('./schemas/src/kafka-connection.ts'),
      '@tickstream/schemas/kafka-protocol': src('./schemas/src/kafka-protocol.ts'),
      '@tickstream/schemas/kafka-fetch': src('./schemas/src/kafka-fetch.ts'),
      '@tickstream/schemas/metrics-server': src('./schemas/src/metrics-server.ts'),
      '@tickstream/schemas/system-metrics-reporter': src('./schemas/src/system-metrics-reporter.ts'),
      '@tickstream/schemas/logger': src('./schemas/src/logger.ts'),
      '@tickstream/schemas/control-command': src('./schemas/src/control-command.ts'),
      '@tickstream/schemas': src('./schemas/src/index.ts'),
      '@tickstream/broker': src('./broker/src/index.ts'),
      '@tickstream/analytics': src('./analytics/src/index.ts'),
      '@tickstream/client': src('./client/src/index.ts'),
      '@tickstream/producer': src('./producer/src/index.ts'),
      '@tickstream/edge': src('./edge/src/index.ts'),
      '@tickstream/bench/benchmark-names': src('./bench/src/benchmark-names.ts'),
      '@tickstream/bench': src('./bench/src/index.ts'),
    },
  },
  test: {
    include: ['*/src/**/*.test.ts'],
    // Starts one shared Apache Kafka for the run when KAFKA_BACKEND=apache; does nothing otherwise.
    globalSetup: ['./broker/src/testing/global-setup.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
