import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultUserTopics, ensureUserTopics, hashPassword, userStateKafka } from '@tickstream/edge';
import {
  type AlertRuleFields,
  decodeServerFrame,
  encodeAlertRule,
  encodeAlertTrigger,
  encodeClientFrame,
  encodeUserAccount,
} from '@tickstream/schemas';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import WebSocket from 'ws';
import { recentOutput, spawnProducer, startBrokerProcess, startEdgeProcess, stopChild } from './processes.js';
import { median, percentile } from './stats.js';

/**
 * The edge's part of the alert path (issue 20), provisional until the analytics job evaluates
 * rules: how long an edge takes to read N rules from `alerts` at start, what a sign-in costs
 * (scrypt), and how long a trigger takes from being written to `alert_events` to a WebSocket
 * client of its user (the Kafka → edge → browser leg of the 250 ms p99 budget).
 */
export interface AlertPathResult {
  rules: number;
  stateLoadMs: number;
  loginMs: { p50: number; p99: number };
  triggerMs: { p50: number; p99: number; count: number };
}

const SECRET = 'alert-path-bench-secret';
const frameOptions = { lz4: nodeLz4 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runAlertPathBench(
  options: { rules?: number; logins?: number; triggers?: number; progress?: (line: string) => void } = {},
): Promise<AlertPathResult> {
  const ruleCount = options.rules ?? 10_000;
  const logins = options.logins ?? 20;
  const triggers = options.triggers ?? 200;
  const progress = options.progress ?? (() => {});
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstream-bench-alerts-'));
  const broker = await startBrokerProcess(dataDir);
  const children: ChildProcess[] = [];
  const kafka = userStateKafka([broker.bootstrap], 'bench-alert-path');
  const producer = kafka.producer();
  try {
    children.push(spawnProducer(broker.bootstrap, { symbols: 100, rate: 1000, workers: 1 }));
    const admin = kafka.admin();
    await admin.connect();
    await ensureUserTopics(admin, defaultUserTopics, ['users', 'alerts', 'alertEvents']);
    await admin.disconnect();
    await producer.connect();
    const passwordHash = await hashPassword('bench-password');
    await producer.send({
      topic: defaultUserTopics.users,
      messages: [
        {
          key: 'alice',
          value: Buffer.from(
            encodeUserAccount({ name: 'alice', role: 'trader', passwordHash, updatedAtMs: Date.now() }),
          ),
        },
      ],
    });
    // N rules of 100 users on 100 symbols, as the edge would have written them.
    const now = Date.now();
    for (let start = 0; start < ruleCount; start += 1000) {
      const messages = [];
      for (let i = start; i < Math.min(ruleCount, start + 1000); i++) {
        const rule: AlertRuleFields = {
          id: `a${i.toString(16).padStart(16, '0')}`,
          user: `user${i % 100}`,
          symbol: 'AAPL',
          kind: 'price-above',
          value: 100 + (i % 500),
          windowMs: 0,
          repeat: false,
          cooldownMs: 0,
          expiresAtMs: 0,
          createdAtMs: now,
          armedAtMs: now,
        };
        messages.push({ key: `${rule.user}/${rule.id}`, value: Buffer.from(encodeAlertRule(rule)) });
      }
      await producer.send({ topic: defaultUserTopics.alerts, messages });
    }
    progress(`${ruleCount} rules written`);

    const spawned = performance.now();
    const { child: edge, port } = await startEdgeProcess(broker.bootstrap, {
      history: '0',
      args: ['--auth-secret', SECRET],
    });
    children.push(edge);
    let stateLoadMs = 0;
    for (;;) {
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { users: { loaded: boolean } };
      if (health.users.loaded) {
        stateLoadMs = performance.now() - spawned;
        break;
      }
      if (performance.now() - spawned > 60_000)
        throw new Error(`the edge did not load its users: ${recentOutput(edge)}`);
      await sleep(20);
    }
    progress(`state loaded ${Math.round(stateLoadMs)} ms after spawn`);

    const loginTimes: number[] = [];
    let token = '';
    for (let i = 0; i < logins; i++) {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/api/login`, {
        method: 'POST',
        body: JSON.stringify({ user: 'alice', password: 'bench-password' }),
      });
      token = ((await response.json()) as { token: string }).token;
      loginTimes.push(performance.now() - started);
    }

    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { Authorization: `Bearer ${token}` } });
    const arrived = new Map<string, number>();
    let listed = false;
    socket.on('message', (data: Buffer) => {
      const message = decodeServerFrame(new Uint8Array(data), frameOptions);
      if (message.type === 'alerts') listed = true;
      if (message.type === 'alert-triggered') arrived.set(message.id, performance.now());
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(encodeClientFrame({ type: 'alert-list', requestId: 1 }, frameOptions));
    while (!listed) await sleep(10);
    const sentAt = new Map<string, number>();
    for (let i = 0; i < triggers; i++) {
      const id = `bench-trigger-${i}`;
      sentAt.set(id, performance.now());
      await producer.send({
        topic: defaultUserTopics.alertEvents,
        acks: 1,
        messages: [
          {
            key: 'alice',
            value: Buffer.from(
              encodeAlertTrigger({
                id,
                user: 'alice',
                ruleId: 'a1',
                symbol: 'AAPL',
                kind: 'price-above',
                value: 200,
                price: 200,
                timeMs: Date.now(),
                threshold: 200,
                tickSequence: i,
                ruleArmedAtMs: now,
                detail: '',
              }),
            ),
          },
        ],
      });
      await sleep(20);
    }
    for (const started = Date.now(); arrived.size < triggers && Date.now() - started < 10_000; ) await sleep(50);
    socket.close();
    const latencies = [...sentAt].flatMap(([id, at]) => {
      const got = arrived.get(id);
      return got === undefined ? [] : [got - at];
    });
    return {
      rules: ruleCount,
      stateLoadMs,
      loginMs: { p50: median(loginTimes), p99: percentile(loginTimes, 99) },
      triggerMs: { p50: median(latencies), p99: percentile(latencies, 99), count: latencies.length },
    };
  } finally {
    await producer.disconnect().catch(() => {});
    for (const child of children) await stopChild(child);
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/alert-path.js [rules]
  const [rules = '10000'] = process.argv.slice(2);
  if (!/^\d+$/.test(rules)) {
    process.stderr.write('usage: node bench/dist/alert-path.js [rules]\n');
    process.exit(2);
  }
  const result = await runAlertPathBench({
    rules: Number(rules),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(
    `${result.rules.toLocaleString('en-US')} rules: edge spawn → users and alerts loaded ${Math.round(result.stateLoadMs)} ms\n` +
      `POST /api/login (scrypt): p50 ${result.loginMs.p50.toFixed(1)} ms, p99 ${result.loginMs.p99.toFixed(1)} ms\n` +
      `trigger written to alert_events → AlertTriggered at a WebSocket client: p50 ${result.triggerMs.p50.toFixed(1)} ms, p99 ${result.triggerMs.p99.toFixed(1)} ms (${result.triggerMs.count} triggers)\n`,
  );
}
