import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLogger, lineLogger } from '@tickstream/schemas/logger';
import type { Registry } from 'prom-client';
import type { BrokerContext } from './api/api.js';
import { type BrokerConfig, defaultBrokerConfig } from './config.js';
import { GroupCoordinator } from './groups/index.js';
import { LogManager, writeDurably } from './log/index.js';
import { BrokerMetrics } from './metrics.js';
import { listen } from './server.js';
import { TransactionCoordinator } from './transactions/index.js';

export interface RunningBroker {
  host: string;
  port: number;
  /** "host:port", what clients are given as bootstrap servers. */
  bootstrap: string;
  /** With `{ metrics: true }`: what /metrics serves (tickstream broker --metrics-port). */
  metrics: Registry | null;
  close(): Promise<void>;
}

/** The cluster id is made once per data directory and kept, as Kafka's is. */
function clusterIdFor(dataDir: string): string {
  const path = join(dataDir, 'cluster.json');
  if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { clusterId: string }).clusterId;
  const clusterId = randomBytes(16).toString('base64url');
  writeDurably(path, JSON.stringify({ clusterId }));
  return clusterId;
}

/**
 * Starts the embedded broker: recovers the log in `dataDir`, then listens. `metrics` also times
 * every request and keeps what `RunningBroker.metrics` reports (off by default: tests run many brokers).
 */
export async function startBroker(
  options: Partial<BrokerConfig> = {},
  { metrics = false }: { metrics?: boolean } = {},
): Promise<RunningBroker> {
  const config: BrokerConfig = {
    ...defaultBrokerConfig,
    ...options,
    // Unless told where: JSON lines on stdout, as every tier logs (docs/operations.md, "Logs").
    log: options.log ?? lineLogger(createLogger({ component: 'broker' })),
  };
  mkdirSync(config.dataDir, { recursive: true });
  const clusterId = clusterIdFor(config.dataDir);
  const log = await LogManager.open(config);
  const groups = await GroupCoordinator.open(config, log);
  const transactions = await TransactionCoordinator.open(config, log, groups);
  const context: BrokerContext = {
    config,
    node: { id: 0, host: config.host, port: config.port },
    clusterId,
    log,
    groups,
    transactions,
  };
  let listening: Awaited<ReturnType<typeof listen>> | undefined;
  const brokerMetrics = metrics ? new BrokerMetrics(log, () => listening?.connections.size ?? 0) : null;
  try {
    listening = await listen(context, config.host, config.port, brokerMetrics);
  } catch (error) {
    await transactions.close();
    await groups.close();
    await log.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw Object.assign(
        new Error(
          `port ${config.port} on ${config.host} is already in use: stop what holds it, or choose another port`,
        ),
        { exitCode: 1 },
      );
    }
    throw error;
  }
  const { server, connections } = listening;
  const port = (server.address() as AddressInfo).port;
  context.node.port = port;
  let closed: Promise<void> | undefined;
  return {
    host: config.host,
    port,
    bootstrap: `${config.host}:${port}`,
    metrics: brokerMetrics?.registry ?? null,
    close() {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of connections) socket.destroy();
        });
        await transactions.close();
        await groups.close();
        await log.close();
      })();
      return closed;
    },
  };
}
