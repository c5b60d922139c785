import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import type { RuleJson } from '../../edge/src/alert-rules.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { triggerOf, writeTriggerAsEvaluatorWould } from '../../edge/src/testing/alert-evaluator-stand-in.js';
import { startTestEdge, startTestProducer } from '../../edge/src/testing/system.js';
import type { UserTopicNames } from '../../edge/src/user-state-kafka.js';
import type { RunningProducer } from '../../producer/dist/index.js';

const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tickstream …` to its end, with `stdin` as its standard input. */
function tickstream(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

async function login(
  port: number,
  user: string,
  password: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}/api/login`, {
    method: 'POST',
    body: JSON.stringify({ user, password }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// `tickstream users` and `tickstream watch --alerts` as people run them, against a real broker
// and two real edges that read the same users topic.
describe(`tickstream users and watch --alerts (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let topic: string;
  let userTopics: UserTopicNames;
  const edges: RunningEdge[] = [];
  const users = (args: string[], stdin = '') =>
    tickstream(['users', ...args, '--topic', userTopics.users], stdin, { KAFKA_BROKERS: kafka.bootstrap });

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('users-cli-ticks');
    userTopics = { users: uniqueName('users'), alerts: uniqueName('alerts'), alertEvents: uniqueName('alert-events') };
    producer = await startTestProducer(kafka.brokers, topic, 300, 10);
    await new Promise((r) => setTimeout(r, 1000));
  }, 240_000);

  afterAll(async () => {
    for (const edge of edges) await edge.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('adds, lists, changes the password of and removes users; two edges see each change', async () => {
    expect(await users(['add', 'alice', '--role', 'trader', '--password-stdin'], 'first-password\n')).toMatchObject({
      code: 0,
      stderr: 'users: added alice (trader)\n',
    });
    expect((await users(['add', 'carol', '--role', 'viewer', '--password-stdin'], 'carols-password')).code).toBe(0);

    const list = await users(['list', '--json']);
    expect(list.code).toBe(0);
    const listed = list.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { user: string; role: string });
    expect(listed.map(({ user, role }) => ({ user, role }))).toEqual([
      { user: 'alice', role: 'trader' },
      { user: 'carol', role: 'viewer' },
    ]);
    expect((await users(['list'])).stdout).toMatch(/^USER\s+ROLE\s+UPDATED\nalice\s+trader\s+\d{4}-/);

    const settings = { authSecret: 'cli-test-secret', userTopics, historyMs: 10_000 };
    for (let i = 0; i < 2; i++) edges.push(await startTestEdge(kafka.brokers, topic, settings));
    const [one, two] = edges as [RunningEdge, RunningEdge];
    for (const edge of [one, two]) {
      await until(
        async () => (await login(edge.port, 'alice', 'first-password')).status === 200,
        30_000,
        'alice signs in',
      );
      expect((await login(edge.port, 'carol', 'carols-password')).body).toMatchObject({
        user: 'carol',
        role: 'viewer',
      });
    }

    expect(await users(['passwd', 'alice', '--password-stdin'], 'second-password')).toMatchObject({ code: 0 });
    for (const edge of [one, two]) {
      await until(
        async () => (await login(edge.port, 'alice', 'second-password')).status === 200,
        15_000,
        'the new password',
      );
      expect((await login(edge.port, 'alice', 'first-password')).status).toBe(401);
    }

    expect(await users(['remove', 'carol'])).toMatchObject({ code: 0 });
    for (const edge of [one, two])
      await until(
        async () => (await login(edge.port, 'carol', 'carols-password')).status === 401,
        15_000,
        'carol gone',
      );
    expect((await users(['list', '--json'])).stdout).not.toContain('carol');
  }, 180_000);

  it('refuses bad input precisely, before touching Kafka', async () => {
    expect(await users(['add', 'dave', '--role', 'boss', '--password-stdin'], 'long-enough')).toMatchObject({
      code: 2,
      stderr: "tickstream users: --role must be one of viewer, trader, admin, got 'boss'\n",
    });
    expect(await users(['add', 'dave', '--role', 'viewer', '--password-stdin'], 'short')).toMatchObject({
      code: 2,
      stderr: 'tickstream users: password must be at least 8 characters\n',
    });
    expect((await users(['add', 'dave', '--role', 'viewer'])).stderr).toMatch(/--password-stdin/);
    expect(await users(['add', 'a/b', '--role', 'viewer', '--password-stdin'], 'long-enough')).toMatchObject({
      code: 2,
    });
    expect(await users(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: 'tickstream users: say what to do: tickstream users add|list|remove|passwd …\n',
    });
    expect(await users(['add', 'alice', '--role', 'viewer', '--password-stdin'], 'long-enough')).toMatchObject({
      code: 1,
      stderr: 'tickstream users: user alice exists already: tickstream users passwd alice, or remove it first\n',
    });
    expect(await users(['remove', 'nobody'])).toMatchObject({
      code: 1,
      stderr: 'tickstream users: no user nobody (tickstream users list)\n',
    });
  });

  it('watch --alerts --json prints the caller’s triggers in the trigger shape, and no one else’s', async () => {
    const edge = edges[0] as RunningEdge;
    const secret = 'cli-test-secret';
    const token = async (user: string) =>
      (await tickstream(['token', '--secret', secret, '--user', user, '--role', 'trader'])).stdout.trim();
    const alice = await token('alice');
    const bob = await token('bob');
    const created = await fetch(`http://127.0.0.1:${edge.port}/api/alerts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice}` },
      body: JSON.stringify({ symbol: 'AAPL', kind: 'price-above', value: 123 }),
    });
    const rule = (await created.json()) as RuleJson;
    const url = `ws://127.0.0.1:${edge.port}/ws`;
    const aliceWatch = tickstream([
      'watch',
      '--url',
      url,
      '--alerts',
      '--json',
      '--count',
      '1',
      '--timeout',
      '20s',
      '--token',
      alice,
    ]);
    const bobWatch = tickstream([
      'watch',
      '--url',
      url,
      '--alerts',
      '--json',
      '--count',
      '1',
      '--timeout',
      '4s',
      '--token',
      bob,
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    // The Flink evaluator's part, played by the test.
    const fired = triggerOf({ ...rule, user: 'alice' }, 123.5, 5);
    await writeTriggerAsEvaluatorWould(kafka.brokers, userTopics.alertEvents, fired);
    const seen = await aliceWatch;
    expect(seen.code, seen.stderr).toBe(0);
    expect(
      seen.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      {
        id: fired.id,
        ruleId: rule.id,
        symbol: 'AAPL',
        kind: 'price-above',
        value: 123.5,
        price: 123.5,
        time: fired.timeMs,
      },
    ]);
    const bobSaw = await bobWatch;
    expect(bobSaw.stdout).toBe('');
    expect(bobSaw.code).toBe(1);
    const noToken = await tickstream(['watch', '--url', url, '--alerts', '--json', '--timeout', '2s']);
    expect(noToken.stderr).toContain('401 this edge needs a token');
  }, 120_000);
});
