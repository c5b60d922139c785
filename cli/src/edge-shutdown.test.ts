import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningBroker, startBroker } from '@tickstream/broker';
import { afterAll, describe, expect, it } from 'vitest';
import { quiet, startTestProducer } from '../../edge/src/testing/system.js';

// The real entry point in its own process: a stop must end the process, whatever Kafka does.
const bin = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('tickstream edge stopping', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-edge-stop-'));
  let broker: RunningBroker | null = null;
  let edge: ChildProcess | null = null;
  afterAll(async () => {
    edge?.kill('SIGKILL');
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits on SIGTERM within seconds while Kafka is unreachable', async () => {
    broker = await startBroker({ port: 0, dataDir, log: quiet });
    const producer = await startTestProducer([broker.bootstrap], 'ticks', 500, 20);
    edge = spawn(
      process.execPath,
      [bin, 'edge', '--brokers', broker.bootstrap, '--port', '0', '--host', '127.0.0.1', '--history', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    edge.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    edge.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      edge?.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let port = '';
    for (const started = Date.now(); !port; await sleep(100)) {
      port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1] ?? '';
      if (Date.now() - started > 30_000) throw new Error(`edge did not start: ${output}`);
    }
    // Consuming for real, so that the stop below meets kafkajs' reconnect loop, not a start-up retry.
    for (const started = Date.now(); ; await sleep(200)) {
      const health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
      if (health?.status === 200) break;
      if (Date.now() - started > 30_000) throw new Error(`edge not healthy: ${output}`);
    }
    await producer.stop();
    await broker.close();
    broker = null;
    for (const started = Date.now(); !output.includes('Kafka lost'); await sleep(100)) {
      if (Date.now() - started > 20_000) throw new Error(`edge did not notice Kafka going away: ${output}`);
    }
    const stoppedAt = Date.now();
    edge.kill('SIGTERM');
    const { code } = await exited;
    const seconds = (Date.now() - stoppedAt) / 1000;
    process.stderr.write(`edge stopped ${seconds.toFixed(1)} s after SIGTERM with Kafka unreachable\n`);
    expect(code, output).toBe(0);
    expect(seconds).toBeLessThan(8);
    expect(output).toContain('SIGTERM: shutting down cleanly');
  }, 90_000);
});
