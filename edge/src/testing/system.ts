// The built producer: its piscina workers load compiled files, which vitest's aliases to src cannot provide.
import { createLogger, type Logger } from '@tickstream/schemas/logger';
import {
  defaultProducerOptions,
  type ProducerOptions,
  type RunningProducer,
  startProducer,
} from '../../../producer/dist/index.js';
import { type RunningEdge, startEdge } from '../edge.js';
import { defaultEdgeOptions, type EdgeOptions } from '../options.js';

export const quiet = (): void => {};

/** An edge logger whose messages (`msg`) are kept in `lines`, for tests that read what the edge said. */
export function collectingLogger(lines: string[]): Logger {
  return createLogger({
    component: 'edge',
    instance: 'test-edge',
    level: 'debug',
    destination: { write: (line: string) => lines.push((JSON.parse(line) as { msg: string }).msg) },
  });
}

/** A producer writing a small market to `topic`, as the edge tests need it. */
export function startTestProducer(
  brokers: string[],
  topic: string,
  rate = 3000,
  symbolCount = 60,
  overrides: Partial<ProducerOptions> = {},
): Promise<RunningProducer> {
  return startProducer({
    ...defaultProducerOptions,
    brokers,
    topic,
    eventsTopic: `${topic}-events`,
    partitions: 3,
    symbolCount,
    rate,
    workers: 1,
    clock: 'real',
    log: quiet,
    ...overrides,
  });
}

/** Options of an edge on `topic` as the tests run it: any port, no dashboard, a minute of history. */
export function testEdgeOptions(brokers: string[], topic: string, overrides: Partial<EdgeOptions> = {}): EdgeOptions {
  return {
    ...defaultEdgeOptions,
    port: 0,
    host: '127.0.0.1',
    brokers,
    topic,
    eventsTopic: `${topic}-events`,
    historyMs: 60_000,
    staticDir: null,
    edgeId: 'test-edge',
    logger: createLogger({
      component: 'edge',
      instance: 'test-edge',
      level: process.env.TICKSTREAM_TEST_LOG === '1' ? 'debug' : 'silent',
    }),
    ...overrides,
  };
}

/** A test edge, once its history is loaded. */
export async function startTestEdge(
  brokers: string[],
  topic: string,
  overrides: Partial<EdgeOptions> = {},
): Promise<RunningEdge> {
  const edge = await startEdge(testEdgeOptions(brokers, topic, overrides));
  await edge.ready;
  return edge;
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

export interface ApiSymbol {
  id: number;
  name: string;
  sector: string;
  last: number;
  bid: number;
  ask: number;
  open: number;
  high: number;
  low: number;
  volume: number;
  ticks: number;
  exchangeTimeUs: number;
}
