import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseStartupTimes } from '@tickstream/analytics';
import { createToken } from '@tickstream/edge';
import { describeSteps } from './analytics.js';
import { cli, freePort, startBrokerProcess } from './processes.js';
import { StormClient } from './scale.js';
import { median } from './stats.js';

/**
 * Recovery bench (issue 23, docs/operations.md "Failure playbook"): a real `tickstream up --edges 2`
 * on the embedded broker (with --analytics, the Flink job too), faults injected with `tickstream
 * chaos` as an operator would, each timed by the supervisor's Recovery record (GET /api/pipeline)
 * and, for kill-edge, by the clients themselves:
 * - kill-edge: from the kill (the record's injectedAt) until every client of the killed edge is
 *   connected again through the balancer and has the Snapshot answering its Subscribe (a fresh
 *   set of clients each run, one symbol each as bench/src/scale.ts's storm, spread by leastconn);
 * - cut-link (--for 5s, longer than the edge's 3 s silence before it says Kafka is lost): from the
 *   link's return until the edge answers /health 200 and takes ticks again;
 * - kill-analytics: from the kill until the restarted job commits records again (up's hot standby
 *   takes over; --no-standby runs up with --no-analytics-standby: a cold restart), each with the
 *   job's startup steps after the kill (StartupTimes.java, from up's log). Each kill waits for a
 *   standby that is ready, as a kill long after the last one would find it.
 * - stop-kafka-node (--for 10s; only when asked for in --faults, for it runs up on three Apache Kafka
 *   nodes of its own, `up --kafka apache --nodes 3`, instead of the embedded broker): from the
 *   SIGKILL until every edge takes ≥ 90 % of its ticks/s before, over one second (the record's
 *   recoveredAfterMs); each run waits for the ISR to be full again before the next.
 * Floors: 2 s, 5 s, 15 s, 10 s.
 * Usage: node bench/dist/chaos.js [--runs 5] [--clients 50] [--analytics] [--no-standby] [--faults kill-edge,cut-link,kill-analytics,stop-kafka-node]
 */
const FLOORS_MS = { 'kill-edge': 2000, 'cut-link': 5000, 'kill-analytics': 15_000, 'stop-kafka-node': 10_000 } as const;
type Fault = keyof typeof FLOORS_MS;
const SECRET = 'chaos-bench-secret';
const CUT_MS = 5000;
const NODE_DOWN_MS = 10_000;

interface Recovery {
  id: string;
  fault: string;
  target: string;
  injectedAt: string;
  recoveredAt: string | null;
  recoveredAfterMs: number | null;
  detectedAfterMs: number | null;
  detectedBy: string;
  detail: string;
  lost: number | null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, timeoutMs: number, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** up names its edges HOST-edge-N. */
const edgeIdOf = (n: number): string => `${hostname()}-edge-${n}`;

async function symbolNames(port: number, token: string): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${port}/api/symbols`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return ((await response.json()) as { symbols: { name: string }[] }).symbols.map((symbol) => symbol.name);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      clients: { type: 'string', default: '50' },
      analytics: { type: 'boolean', default: false },
      'no-standby': { type: 'boolean', default: false },
      faults: { type: 'string', default: 'kill-edge,cut-link,kill-analytics' },
    },
  });
  const runs = Number(values.runs);
  const faults = new Set(values.faults.split(','));
  const clientCount = Number(values.clients);
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-chaos-bench-'));
  // A node to stop needs up's own three Apache Kafka nodes; every other fault runs on the embedded broker.
  const onCluster = faults.has('stop-kafka-node');
  const broker = onCluster ? null : await startBrokerProcess(join(dir, 'broker'));
  let bootstrap = broker?.bootstrap ?? '';
  let port: number;
  do port = await freePort();
  while (port > 65_000 || !(await canListen(port + 1)) || !(await canListen(port + 2)));
  let output = '';
  const up: ChildProcess = spawn(
    process.execPath,
    [cli, 'up', '--edges', '2', '--port', String(port), '--auth-secret', SECRET]
      .concat(values.analytics ? [] : ['--no-analytics'])
      .concat(values['no-standby'] ? ['--no-analytics-standby'] : [])
      .concat(onCluster ? ['--kafka', 'apache', '--nodes', '3', '--kafka-port', '0'] : []),
    { cwd: dir, env: { ...process.env, KAFKA_BROKERS: bootstrap }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // The job's startup steps (StartupTimes.java) and its standby's readiness, from up's log lines.
  const startups: Record<string, number>[] = [];
  let standbysReady = 0;
  // The job's own lines, kept apart: the producer's status lines fill up's tail.
  let analyticsLines: string[] = [];
  let partial = '';
  const take = (text: string): void => {
    output = (output + text).slice(-200_000);
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('"component":"analytics"')) analyticsLines = [...analyticsLines.slice(-19), line];
      // Ready and warmed up (StandbyWarmUp.java), as a kill long after the standby started finds it.
      if (line.includes('standby: warm-up ')) standbysReady++;
      const startup = /startup: ((?:[a-z-]+=\d+ ?)+)/.exec(line);
      if (startup?.[1]) startups.push(parseStartupTimes(startup[1]));
    }
  };
  up.stdout?.setEncoding('utf8').on('data', take);
  up.stderr?.setEncoding('utf8').on('data', take);
  const clients: StormClient[] = [];
  const times: Record<Fault, number[]> = {
    'kill-edge': [],
    'cut-link': [],
    'kill-analytics': [],
    'stop-kafka-node': [],
  };
  try {
    // Three Kafka JVMs took 109 s to start at a load average of 60.
    await waitFor('up to serve and take commands', onCluster ? 360_000 : 180_000, () =>
      ['dashboard:', 'taking process-level commands'].every((line) => output.includes(line)),
    );
    // A first start takes minutes on a loaded machine (measured: over 5 at load 60-90).
    if (values.analytics) await waitFor('the analytics job', 600_000, () => output.includes('job running ('));
    // up says where its cluster listens: "kafka: Apache Kafka, 3 nodes (…), on host:port,…".
    if (onCluster) bootstrap = /Apache Kafka, 3 nodes .*? on (\S+?:\d+(?:,\S+?:\d+)*)/.exec(output)?.[1] ?? '';
    const token = await createToken({ secret: SECRET, user: 'bench', role: 'viewer', ttlSeconds: 3600 });
    // From whichever edge answers: a fault may have taken the other (or, for the balancer, both) out.
    const recoveries = async (): Promise<Recovery[]> => {
      for (const edgePort of [port + 1, port + 2]) {
        try {
          const response = await fetch(`http://127.0.0.1:${edgePort}/api/pipeline`, {
            headers: { authorization: `Bearer ${token}` },
          });
          if (response.ok) return ((await response.json()) as { recoveries: Recovery[] }).recoveries;
        } catch {
          // that edge is down: ask the other
        }
      }
      return [];
    };
    const seen = new Set<string>();
    const inject = async (fault: Fault, args: string[]): Promise<Recovery> => {
      const sent = spawn(process.execPath, [cli, 'chaos', fault, ...args, '--secret', SECRET, '--brokers', bootstrap], {
        stdio: 'ignore',
      });
      await new Promise((resolve) => sent.once('exit', resolve));
      let record: Recovery | undefined;
      // A node's record completes after its JVM started again: over a minute on a loaded machine.
      await waitFor(`${fault} to recover`, fault === 'stop-kafka-node' ? 420_000 : 180_000, async () => {
        record = (await recoveries()).find(
          (one) =>
            one.fault === fault &&
            !seen.has(one.id) &&
            one.recoveredAt &&
            // A node's record is complete once its return, the ISR and the tick count are in.
            (fault !== 'stop-kafka-node' || one.detail.includes('in the topic')),
        );
        return record !== undefined;
      });
      const found = record as Recovery;
      seen.add(found.id);
      return found;
    };
    const balancerUp = async (): Promise<boolean> => {
      const csv = await (await fetch(`http://127.0.0.1:${port}/haproxy/stats;csv`)).text();
      const rows = csv.split('\n').filter((line) => line.startsWith('edges,') && !line.startsWith('edges,BACKEND'));
      return rows.length === 2 && rows.every((line) => line.split(',')[17] === 'UP');
    };

    const url = `ws://127.0.0.1:${port}/ws?token=${token}`;
    const symbols = await symbolNames(port, token);
    for (let run = 0; run < (faults.has('kill-edge') ? runs : 0); run++) {
      await waitFor('both edges up behind the balancer', 120_000, balancerUp);
      // A fresh set of clients each run: the balancer (leastconn) spreads them over both edges.
      for (const client of clients.splice(0)) client.close();
      for (let i = 0; i < clientCount; i++) {
        const client = new StormClient(url, symbols[i % symbols.length] as string, () => {});
        clients.push(client);
        client.connect();
      }
      await waitFor('every client synced', 60_000, () => clients.every((client) => client.syncedAt > 0));
      const counts = new Map<string, number>();
      for (const client of clients) counts.set(client.edgeId, (counts.get(client.edgeId) ?? 0) + 1);
      const [target] = [...counts].sort((a, b) => b[1] - a[1])[0] as [string, number];
      const moving = clients.filter((client) => client.edgeId === target);
      const record = await inject('kill-edge', ['--target', `edge-${target}`]);
      const killedAt = Date.parse(record.injectedAt);
      await waitFor('the moved clients to resync', 30_000, () =>
        moving.every((client) => client.edgeId !== target && client.syncedAt + performance.timeOrigin > killedAt),
      );
      const resynced = Math.max(...moving.map((client) => client.syncedAt + performance.timeOrigin)) - killedAt;
      times['kill-edge'].push(Math.round(resynced));
      process.stderr.write(
        `kill-edge ${run + 1}/${runs}: ${moving.length} clients resynced in ${Math.round(resynced)} ms; edge back after ${record.recoveredAfterMs} ms\n`,
      );
    }
    for (let run = 0; run < (faults.has('cut-link') ? runs : 0); run++) {
      await waitFor('both edges up behind the balancer', 120_000, balancerUp);
      // One edge: the other keeps the balancer (and /api/pipeline) answering.
      const record = await inject('cut-link', ['--target', `edge-${edgeIdOf(2)}`, '--for', `${CUT_MS}ms`]);
      const healed = Number(/healed (\d+) ms after it returned/.exec(record.detail)?.[1]);
      times['cut-link'].push(healed);
      process.stderr.write(
        `cut-link ${run + 1}/${runs}: detected after ${record.detectedAfterMs} ms (${record.detectedBy || 'not seen'}); healed ${healed} ms after the link returned\n`,
      );
    }
    for (let run = 0; run < (faults.has('stop-kafka-node') ? runs : 0); run++) {
      await waitFor('both edges up behind the balancer', 120_000, balancerUp);
      const record = await inject('stop-kafka-node', ['--for', `${NODE_DOWN_MS}ms`]);
      times['stop-kafka-node'].push(record.recoveredAfterMs ?? Number.NaN);
      process.stderr.write(
        `stop-kafka-node ${run + 1}/${runs}: ${record.target} detected after ${record.detectedAfterMs} ms; throughput back after ${record.recoveredAfterMs} ms; lost ${record.lost} (${record.detail})\n`,
      );
    }
    if (values.analytics && faults.has('kill-analytics')) {
      for (let run = 0; run < runs; run++) {
        if (!values['no-standby'])
          await waitFor('the hot standby to be ready and warmed up', 300_000, () => standbysReady >= run + 1);
        const record = await inject('kill-analytics', []);
        times['kill-analytics'].push(record.recoveredAfterMs ?? Number.NaN);
        const killedAt = Date.parse(record.injectedAt);
        const startup = startups.at(-1) ?? {};
        const steps = Object.fromEntries(Object.entries(startup).map(([step, at]) => [step, at - killedAt]));
        process.stderr.write(
          `kill-analytics ${run + 1}/${runs}: output resumed ${record.recoveredAfterMs} ms after the kill; ${describeSteps(steps)}\n`,
        );
      }
    }
  } catch (error) {
    const chaosLines = output
      .split('\n')
      .filter((line) => line.includes('chaos:'))
      .slice(-10);
    process.stderr.write(
      `${(error as Error).message}\n--- up's last chaos lines ---\n${chaosLines.join('\n')}\n--- up's last output ---\n${output.slice(-4000)}\n--- the analytics job's last lines ---\n${analyticsLines.join('\n')}\n`,
    );
    process.exitCode = 1;
  } finally {
    for (const client of clients) client.close();
    up.kill('SIGINT');
    await Promise.race([new Promise((resolve) => up.once('exit', resolve)), sleep(20_000)]);
    up.kill('SIGKILL');
    await broker?.close();
    // Retried: Kafka's JVMs may still be writing their logs for a moment after up is gone.
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 500 });
  }
  const rows = (Object.keys(FLOORS_MS) as Fault[])
    .filter((fault) => times[fault].length > 0)
    .map((fault) => ({
      fault,
      runs: times[fault].length,
      medianMs: median(times[fault]),
      floorMs: FLOORS_MS[fault],
      allMs: times[fault],
    }));
  process.stdout.write(`${JSON.stringify({ recoveries: rows }, null, 2)}\n`);
  for (const row of rows)
    process.stderr.write(
      `${row.fault.padEnd(15)} median ${row.medianMs} ms over ${row.runs} (floor ${row.floorMs} ms): ${row.medianMs <= row.floorMs ? 'within' : 'ABOVE'}\n`,
    );
}

void main();
