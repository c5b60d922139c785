import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/src/processes.js';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { createToken } from '../../edge/src/auth-token.js';
import type { RunningEdge } from '../../edge/src/edge.js';
import { startTestEdge } from '../../edge/src/testing/system.js';
import { CONTROL_TOPIC, signControlCommand } from '../../schemas/src/control-command.js';
import { type CliProcess, runCli } from './testing/cli-process.js';

// The pipeline with real processes: `tickstream broker` (embedded) and `tickstream producer` report
// to system_metrics beside an edge, which serves what they report at /api/pipeline; `tickstream
// chaos` pauses and resumes the producer through the control topic; a command not signed for the
// admin role is refused; a killed producer turns silent.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const SECRET = 'pipeline-test-secret';

interface Component {
  id: string;
  kind: string;
  status: string;
  detail: string;
  silentSince?: string;
  figures: Record<string, number>;
}
interface Pipeline {
  components: Component[];
  links: { from: string; to: string; unit: string; ratePerS: number | null }[];
  partitions: { partition: number; maxLag: number }[];
}

const total = (component: Component | undefined, name: string): number =>
  Object.entries(component?.figures ?? {})
    .filter(([key]) => key === name || key.startsWith(`${name}:`))
    .reduce((sum, [, value]) => sum + value, 0);

describe('system_metrics, /api/pipeline and tickstream chaos', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-pipeline-'));
  let kafka: TestKafka | undefined;
  let brokers: string;
  let broker: CliProcess | null = null;
  let producer: CliProcess;
  let edge: RunningEdge;
  let viewerToken: string;
  const topic = uniqueName('pipeline');
  const producerId = uniqueName('producer-test');
  let admin: kafkajs.Admin;

  const pipeline = async (): Promise<Pipeline> => {
    const response = await fetch(`http://127.0.0.1:${edge.port}/api/pipeline`, {
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Pipeline;
  };
  const component = async (id: string): Promise<Component | undefined> =>
    (await pipeline()).components.find((c) => c.id === id);
  const ticksWritten = async (): Promise<number> =>
    (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  const chaosEvents = async (): Promise<{ name: string; detail: string }[]> => {
    const response = await fetch(`http://127.0.0.1:${edge.port}/api/events?limit=100`, {
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    const body = (await response.json()) as { events: { kind: string; name: string; detail: string }[] };
    return body.events.filter((event) => event.kind === 'Chaos');
  };
  const chaos = async (args: string[]): Promise<string> => {
    const sent = runCli(['chaos', ...args, '--brokers', brokers]);
    const code = await sent.done;
    expect(code, sent.output()).toBe(0);
    return sent.output();
  };

  beforeAll(async () => {
    if (selectedBackend() === 'embedded') {
      const port = await freePort();
      broker = runCli(['broker', '--port', String(port), '--data-dir', join(dataDir, 'broker')]);
      await until(
        () => broker?.output().includes('broker listening') ?? false,
        30_000,
        () => `${broker?.output()}`,
      );
      brokers = `127.0.0.1:${port}`;
    } else {
      kafka = await startTestKafka();
      brokers = kafka.bootstrap;
    }
    producer = runCli(
      ['producer', '--brokers', brokers, '--topic', topic, '--events-topic', `${topic}-events`].concat(
        ['--symbol-count', '40', '--rate', '1000', '--workers', '2'],
        ['--auth-secret', SECRET, '--id', producerId],
      ),
    );
    await until(
      () => producer.output().includes('control: listening'),
      60_000,
      () => producer.output(),
    );
    edge = await startTestEdge(brokers.split(','), topic, { authSecret: SECRET, edgeId: uniqueName('edge') });
    viewerToken = await createToken({ secret: SECRET, user: 'viewer', role: 'viewer', ttlSeconds: 600 });
    admin = new kafkajs.Kafka({ brokers: brokers.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    await admin?.disconnect();
    await edge?.stop();
    producer?.child.kill('SIGTERM');
    await producer?.done;
    broker?.child.kill('SIGTERM');
    await broker?.done;
    await kafka?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('/api/pipeline shows the producer, the edge and the embedded broker from their records, behind auth', async () => {
    expect((await fetch(`http://127.0.0.1:${edge.port}/api/pipeline`)).status).toBe(401);
    const edgeId = `edge-${edge.edgeId}`;
    let seen: Pipeline | undefined;
    await until(
      async () => {
        seen = await pipeline();
        const producerNow = seen.components.find((c) => c.id === producerId);
        const edgeNow = seen.components.find((c) => c.id === edgeId);
        const brokerReady =
          selectedBackend() !== 'embedded' ||
          seen.components.some((c) => c.kind === 'broker' && total(c, `records_per_s:${topic}`) > 0);
        return total(producerNow, 'ticks_per_s') > 500 && total(edgeNow, 'ticks_per_s') > 500 && brokerReady;
      },
      30_000,
      () => JSON.stringify(seen),
    );
    const producerNow = seen?.components.find((c) => c.id === producerId);
    expect(producerNow).toMatchObject({ kind: 'producer', status: 'ok' });
    // Two workers writing Kafka themselves, each its share of 1,000 ticks/s.
    expect(producerNow?.figures['ticks_per_s:0']).toBeGreaterThan(200);
    expect(producerNow?.figures['ticks_per_s:1']).toBeGreaterThan(200);
    expect(producerNow?.figures.rss_bytes).toBeGreaterThan(10e6);
    const edgeNow = seen?.components.find((c) => c.id === edgeId);
    expect(edgeNow).toMatchObject({ kind: 'edge', status: 'ok' });
    expect(Object.keys(edgeNow?.figures ?? {}).filter((key) => key.startsWith('lag:')).length).toBeGreaterThan(0);
    expect(edgeNow?.figures.clients).toBe(0);
    expect(seen?.links).toContainEqual(expect.objectContaining({ from: producerId, to: 'topic:ticks', unit: 'ticks' }));
    expect(seen?.links).toContainEqual(expect.objectContaining({ from: 'topic:ticks', to: edgeId, unit: 'ticks' }));

    const history = await fetch(`http://127.0.0.1:${edge.port}/api/pipeline/history?id=${producerId}`, {
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(history.status).toBe(200);
    const { times, series } = (await history.json()) as { times: number[]; series: Record<string, number[]> };
    expect(times.length).toBeGreaterThan(1);
    expect(series['ticks_per_s:0']?.length).toBe(times.length);
    const unknown = await fetch(`http://127.0.0.1:${edge.port}/api/pipeline/history?id=nobody`, {
      headers: { authorization: `Bearer ${viewerToken}` },
    });
    expect(unknown.status).toBe(404);
  });

  it('tickstream chaos pause stops the ticks, resume restarts them; both audited on market_events', async () => {
    await chaos(['pause', '--target', producerId, '--secret', SECRET, '--user', 'ops']);
    await until(async () => (await component(producerId))?.status === 'degraded', 15_000, 'the producer degraded');
    expect((await component(producerId))?.detail).toContain('paused');
    // Paused: the ticks topic's end does not move (a batch in flight when the pause came may still land).
    await sleep(500);
    const pausedAt = await ticksWritten();
    await sleep(1500);
    expect(await ticksWritten()).toBe(pausedAt);

    await chaos(['resume', '--target', producerId, '--secret', SECRET]);
    await until(async () => (await ticksWritten()) > pausedAt + 500, 15_000, 'ticks again');
    await until(async () => (await component(producerId))?.status === 'ok', 15_000, 'the producer ok');
    await until(async () => (await chaosEvents()).some((event) => event.name === 'resume'), 15_000, 'a resume audit');
    const events = await chaosEvents();
    expect(events.find((event) => event.name === 'pause')?.detail).toContain(`by ops on ${producerId}`);
  });

  it('a command signed for a viewer, or with another secret, is refused and audited; the ticks go on', async () => {
    const writer = new kafkajs.Kafka({ brokers: brokers.split(','), logLevel: kafkajs.logLevel.NOTHING }).producer();
    await writer.connect();
    const command = { action: 'pause', target: producerId, forMs: null, factor: null } as const;
    const byViewer = await signControlCommand({ secret: SECRET, user: 'mallory', role: 'viewer', command });
    const byStranger = await signControlCommand({ secret: 'not-the-secret', user: 'eve', role: 'admin', command });
    await writer.send({ topic: CONTROL_TOPIC, messages: [{ value: byViewer }, { value: byStranger }] });
    await writer.disconnect();
    await until(
      async () => (await chaosEvents()).filter((event) => event.name === 'refused').length >= 2,
      15_000,
      'two refusals audited',
    );
    const refused = (await chaosEvents()).filter((event) => event.name === 'refused').map((event) => event.detail);
    expect(refused.join('\n')).toContain('mallory: role viewer may not inject');
    expect(refused.join('\n')).toContain('signature does not verify');
    const before = await ticksWritten();
    await sleep(1500);
    expect(await ticksWritten()).toBeGreaterThan(before + 500);
    expect((await component(producerId))?.status).toBe('ok');
  });

  it('tickstream chaos burst --factor 5 --for 3s multiplies the rate, then ends by itself (audited)', async () => {
    const rateOver = async (ms: number): Promise<number> => {
      const before = await ticksWritten();
      const startedAt = Date.now();
      await sleep(ms);
      return ((await ticksWritten()) - before) / ((Date.now() - startedAt) / 1000);
    };
    const base = await rateOver(1500);
    await chaos(['burst', '--factor', '5', '--for', '3s', '--target', producerId, '--secret', SECRET]);
    await until(
      async () => (await component(producerId))?.detail.includes('bursting at 5×') ?? false,
      10_000,
      'the producer bursting',
    );
    const burst = await rateOver(1500);
    process.stderr.write(`chaos burst: ${Math.round(base)} ticks/s before, ${Math.round(burst)} during (×5 asked)\n`);
    expect(burst).toBeGreaterThan(base * 2.5);
    await until(
      async () => (await chaosEvents()).some((event) => event.detail.startsWith('burst over after 3000 ms')),
      15_000,
      'the end of the burst audited',
    );
    await until(async () => (await component(producerId))?.status === 'ok', 15_000, 'the producer ok again');
  });

  it('POST /api/chaos (the Pipeline tab): an admin plays a halt scenario now; a viewer is refused, a bad request told why', async () => {
    const post = async (role: 'viewer' | 'admin', body: unknown): Promise<{ status: number; body: unknown }> => {
      const token = await createToken({ secret: SECRET, user: role === 'admin' ? 'ops' : 'bob', role, ttlSeconds: 60 });
      const response = await fetch(`http://127.0.0.1:${edge.port}/api/chaos`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const halt = { action: 'scenario', scenario: 'halt', target: producerId, forMs: 1500 };
    expect(await post('viewer', halt)).toEqual({
      status: 403,
      body: { error: 'user bob has role viewer: only an admin may inject failures' },
    });
    expect(await post('admin', { ...halt, scenario: 'meltdown' })).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^unknown scenario 'meltdown'; the scenarios are burst, flash-crash/) },
    });
    const sentAt = Date.now();
    expect(await post('admin', halt)).toMatchObject({ status: 202, body: { by: 'ops', sent: { action: 'scenario' } } });
    const played = async () => {
      const response = await fetch(`http://127.0.0.1:${edge.port}/api/events?limit=100`, {
        headers: { authorization: `Bearer ${viewerToken}` },
      });
      const body = (await response.json()) as {
        events: { kind: string; name: string; symbol: string; timeUs: number }[];
      };
      return body.events.filter((event) => event.name === 'halt' && event.timeUs / 1000 >= sentAt - 1000);
    };
    // One episode, now: its start, the halt of one symbol, its resume and its end, 1.5 s apart.
    let seen = '';
    await until(
      async () => {
        const events = await played();
        seen = JSON.stringify(events);
        return events.length >= 4;
      },
      15_000,
      () => `one halt episode on market_events: ${seen}`,
    );
    const episode = (await played()).reverse();
    expect(episode.map((event) => event.kind)).toEqual(['ScenarioStart', 'Halt', 'Resume', 'ScenarioEnd']);
    expect(episode[1]?.symbol).not.toBe('');
    expect(((episode[3]?.timeUs ?? 0) - (episode[0]?.timeUs ?? 0)) / 1000).toBe(1500);
    await until(async () => (await chaosEvents()).some((event) => event.name === 'scenario'), 15_000, 'audited');
    expect((await chaosEvents()).find((event) => event.name === 'scenario')?.detail).toContain(
      `by ops on ${producerId}: playing halt for 1500 ms`,
    );
  });

  it('a killed producer is shown silent, with since when', async () => {
    const killedAt = Date.now();
    producer.child.kill('SIGKILL');
    await producer.done;
    await until(async () => (await component(producerId))?.status === 'silent', 15_000, 'the producer silent');
    const silent = await component(producerId);
    const since = Date.parse(silent?.silentSince ?? '');
    expect(since).toBeGreaterThan(killedAt - 2000);
    expect(since).toBeLessThanOrEqual(killedAt + 500);
    const link = (await pipeline()).links.find((l) => l.from === producerId);
    expect(link?.ratePerS).toBeNull();
  });
});
