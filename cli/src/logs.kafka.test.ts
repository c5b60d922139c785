import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort } from '../../bench/src/processes.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { createToken } from '../../edge/src/auth-token.js';
import { type LogLine, logLines } from './testing/log-lines.js';

// The tiers' logs as a log pipeline reads them (docs/operations.md, "Logs"): real `tickstream
// broker`, `producer` and `edge` processes with LOG_LEVEL=debug and stdout a pipe (not a terminal),
// so every line they write must be one JSON object with level, time, component, instance and msg;
// a WebSocket connection's lines share one connection id, an /api request's one request id.
const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const SECRET = 'logs-test-secret-0123456789abcdef';

/** A `tickstream` process whose stdout is kept line by line; stderr apart (a usage error goes there). */
function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; lines: string[]; stderr: () => string } {
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'debug', ...env },
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  return { child, lines, stderr: () => stderr };
}

/** Every line parsed; a line that is not a JSON object with the five fields, or of another component, fails the test. */
function parsed(lines: string[], component: string): LogLine[] {
  const entries = logLines(lines.map((line) => `${line}\n`).join(''), component);
  for (const entry of entries) expect(entry.component, JSON.stringify(entry)).toBe(component);
  return entries;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

describe('structured logs of the broker, producer and edge processes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-logs-'));
  const topic = uniqueName('logs');
  let kafka: TestKafka | undefined;
  let broker: ReturnType<typeof run> | undefined;
  let producer: ReturnType<typeof run>;
  let edge: ReturnType<typeof run>;
  let http = '';
  let ws = '';
  let trader = '';

  beforeAll(async () => {
    let brokers: string;
    if (selectedBackend() === 'embedded') {
      const port = await freePort();
      broker = run(['broker', '--port', String(port), '--data-dir', dataDir]);
      await until(
        () => broker?.lines.some((line) => line.includes('broker listening')) ?? false,
        30_000,
        () => `the broker to listen: ${broker?.lines.join('\n')}${broker?.stderr()}`,
      );
      brokers = `127.0.0.1:${port}`;
    } else {
      kafka = await startTestKafka();
      brokers = kafka.bootstrap;
    }
    const topics = ['--topic', topic, '--events-topic', `${topic}-events`];
    producer = run(['producer', '--brokers', brokers, ...topics, '--symbols', 'AAPL,MSFT', '--rate', '200']);
    edge = run(
      ['edge', '--brokers', brokers, ...topics, '--host', '127.0.0.1', '--port', '0', '--edge-id', 'logs-edge'].concat([
        '--auth-secret',
        SECRET,
        '--history',
        '5m',
      ]),
    );
    await until(
      () => edge.lines.some((line) => /listening on http:\/\/127\.0\.0\.1:\d+/.test(line)),
      30_000,
      () => `the edge to listen: ${edge.lines.join('\n')}${edge.stderr()}`,
    );
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(edge.lines.join('\n'))?.[1];
    http = `http://127.0.0.1:${port}`;
    ws = `ws://127.0.0.1:${port}/ws`;
    trader = await createToken({ secret: SECRET, user: 'alice', role: 'trader', ttlSeconds: 600 });
    await until(
      async () => (await fetch(`${http}/readyz`)).status === 200,
      60_000,
      () => `the edge to be ready: ${edge.lines.slice(-20).join('\n')}`,
    );
    // The order below needs AAPL's ticks in.
    await until(
      async () => {
        const answer = await fetch(`${http}/api/symbols`, { headers: { Authorization: `Bearer ${trader}` } });
        return JSON.stringify(await answer.json()).includes('"AAPL"');
      },
      30_000,
      () => `AAPL on the edge: ${edge.lines.slice(-20).join('\n')}`,
    );
  }, 120_000);

  afterAll(async () => {
    await stop(edge?.child);
    await stop(producer?.child);
    await stop(broker?.child);
    await kafka?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives a WebSocket connection one id on all its lines (connect, close), and a refused one its own', async () => {
    const socket = new WebSocket(ws, { headers: { Authorization: `Bearer ${trader}` } });
    await new Promise((resolve, reject) => {
      socket.once('message', resolve);
      socket.once('error', reject);
    });
    socket.close(1000, 'test done');
    await new Promise((resolve) => socket.once('close', resolve));

    const refused = new WebSocket(ws);
    refused.on('error', () => {});
    const status = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (request, response) => {
        resolve(response.statusCode ?? 0);
        request.destroy();
      }),
    );
    expect(status).toBe(401);

    await until(
      () =>
        edge.lines.some((line) => line.includes('"connection closed"')) &&
        edge.lines.some((line) => line.includes('"connection refused')),
      10_000,
      () => `the edge to log the close: ${edge.lines.slice(-20).join('\n')}`,
    );
    const lines = parsed(edge.lines, 'edge');
    const connected = lines.filter((line) => line.msg === 'connected');
    expect(connected).toHaveLength(1);
    const id = connected[0]?.conn;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const mine = lines.filter((line) => line.conn === id);
    expect(mine.map((line) => line.msg)).toEqual(['connected', 'connection closed']);
    expect(mine[0]).toMatchObject({ user: 'alice', role: 'trader' });
    expect(mine[1]).toMatchObject({ code: 1000, reason: 'test done' });

    const refusal = lines.find((line) => line.msg.startsWith('connection refused'));
    expect(refusal).toMatchObject({ level: 'warn', status: 401, conn: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(refusal?.conn).not.toBe(id);
    expect(lines.filter((line) => line.conn === refusal?.conn)).toHaveLength(1);
  });

  it('echoes an /api request id (the caller’s, or a new one) and logs under it, with the order id of a placed order', async () => {
    const order = await fetch(`${http}/api/orders`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${trader}`, 'X-Request-Id': 'caller-req-42' },
      body: JSON.stringify({ symbol: 'AAPL', side: 'buy', type: 'market', quantity: 1 }),
    });
    const placed = (await order.json()) as { id: string };
    expect(order.status, JSON.stringify(placed)).toBe(201);
    expect(order.headers.get('x-request-id')).toBe('caller-req-42');

    const plain = await fetch(`${http}/api/symbols`, { headers: { Authorization: `Bearer ${trader}` } });
    expect(plain.status).toBe(200);
    const made = plain.headers.get('x-request-id') ?? '';
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
    // A header that is no plain token (here 300 characters) is replaced, never logged as given.
    const long = await fetch(`${http}/api/symbols`, {
      headers: { Authorization: `Bearer ${trader}`, 'X-Request-Id': 'x'.repeat(300) },
    });
    expect(long.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    await until(
      () => edge.lines.some((line) => line.includes(made)),
      10_000,
      () => `the edge to log request ${made}: ${edge.lines.slice(-20).join('\n')}`,
    );
    const lines = parsed(edge.lines, 'edge');
    const ofOrder = lines.filter((line) => line.req === 'caller-req-42');
    expect(ofOrder.map((line) => line.msg)).toEqual([`order ${placed.id} placed`, 'answered 201 Created']);
    expect(ofOrder[0]).toMatchObject({ orderId: placed.id, user: 'alice', symbol: 'AAPL', method: 'POST' });
    expect(lines.filter((line) => line.req === made)).toEqual([
      expect.objectContaining({ level: 'debug', msg: 'answered 200 OK', status: 200, path: '/api/symbols' }),
    ]);
  });

  it('writes only JSON lines from every tier, each naming its component', async () => {
    await until(
      () => producer.lines.some((line) => line.includes('ticks/s |')),
      20_000,
      () => `a producer status line: ${producer.lines.join('\n')}`,
    );
    const said = parsed(producer.lines, 'producer');
    expect(said.some((line) => line.msg.startsWith('producing 200 ticks/s'))).toBe(true);
    expect(said.find((line) => line.msg.includes('ticks/s |'))).toMatchObject({ kafkaUp: true });
    expect(parsed(edge.lines, 'edge').length).toBeGreaterThan(5);
    if (broker) expect(parsed(broker.lines, 'broker').some((line) => line.msg.startsWith('created topic'))).toBe(true);
    for (const tier of [producer, edge, ...(broker ? [broker] : [])]) expect(tier.stderr()).toBe('');
  });

  it('still announces `broker listening` at LOG_LEVEL=warn (supervisors wait for it), and nothing else', async () => {
    const quiet = run(['broker', '--port', '0', '--data-dir', join(dataDir, 'quiet')], { LOG_LEVEL: 'warn' });
    try {
      await until(
        () => quiet.lines.length > 0 || quiet.child.exitCode !== null,
        20_000,
        () => `the broker's announcement: ${quiet.stderr()}`,
      );
      const [line] = parsed(quiet.lines, 'broker');
      expect(line).toMatchObject({
        level: 'info',
        msg: expect.stringMatching(/^broker listening on 127\.0\.0\.1:\d+/),
      });
      // Created topics and the like are info: not said at warn.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(quiet.lines).toHaveLength(1);
    } finally {
      await stop(quiet.child);
    }
  });

  it('prints readable lines, not JSON, when stdout is a terminal', async () => {
    // `script` gives the broker a pseudo-terminal as stdout, as a person's shell does; Ctrl-C
    // typed into it stops the broker (timeout, should that not arrive, after 20 s).
    const command = `timeout -s INT 20 ${process.execPath} ${cli} broker --port 0 --data-dir ${join(dataDir, 'tty')}`;
    const terminal = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    let output = '';
    terminal.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    const closed = new Promise((resolve) => terminal.once('close', resolve));
    // Colours off for the comparison.
    const plain = (): string => output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
    await until(
      () => /broker listening on/.test(plain()),
      20_000,
      () => `the broker in a terminal: ${output}`,
    );
    terminal.stdin.write('\x03');
    await closed;
    expect(plain()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: broker: broker listening on 127\.0\.0\.1:\d+/m);
    expect(plain()).not.toMatch(/^\{/m);
  }, 30_000);

  it('refuses a LOG_LEVEL that names no level, in one line and before starting anything', () => {
    for (const command of [['edge', '--port', '0'], ['producer'], ['broker', '--port', '0']]) {
      const result = spawnSync(process.execPath, [cli, ...command], {
        env: { ...process.env, LOG_LEVEL: 'bogus' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `tickstream ${command[0]}: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent; got 'bogus'\n`,
      );
    }
  });
});
