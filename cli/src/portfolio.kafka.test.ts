import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeOrderCommand } from '@tickstream/schemas';
import { kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { type KeyedRecord, UserStateReader, userStateKafka } from '../../edge/src/user-state-kafka.js';

const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));

function tickstream(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

// `tickstream portfolio reset` as an administrator runs it: a PortfolioReset on the orders topic
// of a real broker, for the fill engine (docs/trading.md) to carry out.
describe(`tickstream portfolio reset (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let orders: string;
  const portfolio = (args: string[]) =>
    tickstream(['portfolio', ...args, '--topic', orders], { KAFKA_BROKERS: kafka.bootstrap });

  beforeAll(async () => {
    kafka = await startTestKafka();
    orders = uniqueName('orders');
  }, 240_000);

  afterAll(async () => {
    await kafka?.close();
  }, 60_000);

  const readOrders = async (): Promise<KeyedRecord[]> => {
    const records: KeyedRecord[] = [];
    const reader = new UserStateReader(
      userStateKafka(kafka.brokers, 'test-portfolio-cli'),
      { brokers: kafka.brokers, clientId: 'test-portfolio-cli', security: kafkaSecurityFromEnv() },
      [orders],
      (record) => records.push(record),
      () => {},
    );
    await reader.start();
    await reader.loaded;
    await reader.stop();
    return records;
  };

  it('writes a reset keyed by the user, with the starting cash given or 0 for the job’s own', async () => {
    const given = await portfolio(['reset', '--user', 'alice', '--starting-cash', '250000.5']);
    expect(given.code, given.stderr).toBe(0);
    expect(given.stderr).toMatch(
      new RegExp(`^portfolio: reset r[0-9a-f]{16} of alice sent to ${orders} \\(starting cash: 250000.5\\)\\n$`),
    );
    const plain = await portfolio(['reset', '--user', 'bob']);
    expect(plain.stderr).toMatch(/of bob sent to .* \(starting cash: the analytics job's --starting-cash\)\n$/);
    const records = (await readOrders()).map((record) => ({
      key: record.key,
      command: decodeOrderCommand(record.value as Buffer),
    }));
    expect(records).toEqual([
      {
        key: 'alice',
        command: {
          kind: 'reset',
          reset: {
            id: expect.stringMatching(/^r[0-9a-f]{16}$/),
            user: 'alice',
            startingCash: 2_500_005_000,
            requestedAtMs: expect.any(Number),
          },
        },
      },
      { key: 'bob', command: { kind: 'reset', reset: expect.objectContaining({ user: 'bob', startingCash: 0 }) } },
    ]);
  });

  it('refuses bad arguments with one line and exit code 2, writing nothing', async () => {
    for (const [args, message] of [
      [['reset'], 'portfolio reset needs --user NAME'],
      [['clear', '--user', 'alice'], 'say what to do: tickstream portfolio reset --user NAME'],
      [
        ['reset', '--user', 'alice', '--starting-cash', 'lots'],
        "--starting-cash must be an amount above 0 and at most 1000000000 with at most 4 decimals, got 'lots'",
      ],
      [['reset', '--user', 'alice', '--starting-cash', '0'], /^--starting-cash must be an amount above 0/],
      [['reset', '--user', 'alice', '--starting-cash', '1000000000.01'], /^--starting-cash must be an amount above 0/],
      [['reset', '--user', 'alice', '--starting-cash', '1.00001'], /^--starting-cash must be an amount above 0/],
    ] as const) {
      const result = await portfolio([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().replace(/^tickstream portfolio: /, '')).toMatch(message);
    }
    expect(await readOrders()).toHaveLength(2);
  }, 60_000);
});
