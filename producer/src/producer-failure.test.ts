import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, freePort, startBrokerProcess } from '../../broker/src/testing/broker-process.js';
import { checkOrderPerSymbol, parseSummary, readAllTicks, runProducerCli } from './testing/read-ticks.js';

// The producer when Kafka fails: a broker killed mid-run, a broker that is not there at all.
// Uses the embedded broker as a process of its own, so it can be SIGKILLed.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('producer when Kafka fails', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('rides out a broker killed and restarted mid-run without losing an acknowledged tick', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tickstream-producer-kill-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    let broker = await startBrokerProcess(port, dataDir);
    cleanups.push(async () => {
      broker.kill('SIGKILL');
      await exited(broker);
    });

    const run = runProducerCli([
      '--brokers',
      `127.0.0.1:${port}`,
      '--rate',
      '5000',
      '--duration',
      '9s',
      '--symbol-count',
      '50',
      '--idempotent',
    ]);
    await sleep(3000);
    broker.kill('SIGKILL');
    await exited(broker);
    await sleep(1500);
    broker = await startBrokerProcess(port, dataDir);
    const { code, output } = await run.done;
    expect(code, output).toBe(0);
    expect(output).toMatch(/lost Kafka/);
    expect(output).toMatch(/Kafka is back/);

    const summary = parseSummary(output);
    expect(summary.dropped).toBe(0);
    expect(summary.acked).toBe(summary.generated);
    const ticks = await readAllTicks([`127.0.0.1:${port}`], 'ticks');
    expect(ticks.length).toBe(summary.acked);
    expect(checkOrderPerSymbol(ticks).problems).toEqual([]);
  }, 90_000);

  it('says clearly that Kafka is unreachable and exits 1 after --connect-timeout', async () => {
    const port = await freePort();
    const started = Date.now();
    const { code, output } = await runProducerCli(['--brokers', `127.0.0.1:${port}`, '--connect-timeout', '2s']).done;
    expect(code).toBe(1);
    expect(output).toMatch(new RegExp(`Kafka at 127\\.0\\.0\\.1:${port} is unreachable after \\d+ attempts?`));
    expect(output).toMatch(/unreachable .*retrying in \d+ ms/);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('refuses bad flags with one line naming the flag and exit code 2', async () => {
    for (const [args, message] of [
      [['--rate', 'fast'], "--rate must be an integer, got 'fast'"],
      [['--scenario', 'moon'], '--scenario must be one of normal, burst, flash-crash, halt, news-spike, selloff'],
      [['--symbols', 'AAPL,not ok'], "--symbols has 'NOT OK', which is not a ticker"],
      [['--workers', '0'], '--workers must be between 1 and 64, got 0'],
    ] as const) {
      const { code, output } = await runProducerCli([...args]).done;
      expect(code, output).toBe(2);
      expect(output).toContain(message);
      expect(output.trim().split('\n')).toHaveLength(1);
    }
  }, 30_000);
});
