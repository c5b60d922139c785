import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/src/processes.js';
import { startTestKafka, type TestKafka } from '../../broker/src/testing/kafka-backend.js';
import { until } from '../../broker/src/testing/until.js';
import { createToken } from '../../edge/src/auth-token.js';
import { logLines } from './testing/log-lines.js';

// tickstream chaos kill-analytics, carried out by a real `tickstream up` running the Flink job:
// the supervisor SIGKILLs the JVM, sees it exit, has its hot standby JVM take over (it restores
// from the killed job's last checkpoint) and records the fault recovered once the job writes
// records again. That the output
// stays exactly-once across such a kill is analytics/src/exactly-once.kafka.test.ts's to show.
// Needs Java 17 and Maven, as every analytics test.
const cli = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));
const SECRET = 'chaos-analytics-secret';

interface Recovery {
  fault: string;
  target: string;
  detectedBy: string;
  recoveredBy: string;
  detectedAfterMs: number | null;
  recoveredAfterMs: number | null;
  recoveredAt: string | null;
}

describe('tickstream chaos kill-analytics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstream-chaos-analytics-'));
  let kafka: TestKafka;
  let up: ChildProcess;
  let output = '';
  /** up's stdout alone, whole: where every tier it runs logs. */
  let stdout = '';
  let port: number;

  beforeAll(async () => {
    // `up` writes the default topics (ticks, candles, …): never into the run's shared Kafka.
    kafka = await startTestKafka({ own: true });
    port = await freePort();
    up = spawn(process.execPath, [cli, 'up', '--port', String(port), '--auth-secret', SECRET], {
      cwd: dir,
      env: { ...process.env, KAFKA_BROKERS: kafka.bootstrap },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (text: string): void => {
      output = (output + text).slice(-100_000);
    };
    up.stdout?.setEncoding('utf8').on('data', (text: string) => {
      take(text);
      stdout += text;
    });
    up.stderr?.setEncoding('utf8').on('data', take);
    await until(
      // "job running (" is up's line once the job runs ("is the job running?" is an edge's, before);
      // then up starts the hot standby beside it. The kill comes while the standby is still starting
      // (on a loaded machine its start takes a minute): it takes over once it is up.
      () =>
        output.includes('job running (') &&
        output.includes('taking process-level commands') &&
        output.includes('hot standby starting'),
      // The job's first start, then its standby's spawn: minutes on a loaded machine (load 60-90 here).
      420_000,
      () => output.slice(-3000),
    );
  }, 480_000);

  afterAll(async () => {
    up?.kill('SIGINT');
    await Promise.race([
      new Promise((resolve) => up?.once('exit', resolve)),
      new Promise((resolve) => setTimeout(resolve, 30_000)),
    ]);
    up?.kill('SIGKILL');
    await kafka?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('kills the job, sees it exit, restarts it and records the output resumed', async () => {
    const token = await createToken({ secret: SECRET, user: 'viewer', role: 'viewer', ttlSeconds: 600 });
    const sent = spawn(process.execPath, [
      cli,
      'chaos',
      'kill-analytics',
      '--secret',
      SECRET,
      '--brokers',
      kafka.bootstrap,
    ]);
    expect(await new Promise((resolve) => sent.once('exit', resolve))).toBe(0);
    let record: Recovery | undefined;
    await until(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/api/pipeline`, {
          headers: { authorization: `Bearer ${token}` },
        });
        record = ((await response.json()) as { recoveries: Recovery[] }).recoveries.find(
          (one) => one.fault === 'kill-analytics',
        );
        return record?.recoveredAt != null;
      },
      // Seconds on a quiet machine, minutes on a loaded one (a standby still starting): bounded, not timed.
      360_000,
      () => `the job's recovery: ${JSON.stringify(record)}\n${output.slice(-3000)}`,
    );
    process.stderr.write(
      `chaos kill-analytics: detected ${record?.detectedAfterMs} ms, output resumed ${record?.recoveredAfterMs} ms after the kill\n`,
    );
    expect(record?.target).toMatch(/^analytics-/);
    expect(record?.detectedBy).toContain('JVM exited');
    expect(record?.recoveredBy).toContain('output resumed');
    expect(output).toContain('was killed (SIGKILL) by tickstream chaos');
    // Taken over by the standby, restored from the killed job's checkpoint, not started cold.
    expect(output).toContain('taken over by the hot standby');
    expect(output).toMatch(/taking over: restoring \S+chk-\d+/);
    // Killed once, started once more: up's log names the job running twice.
    expect(output.split('job running (').length - 1).toBe(2);
  }, 390_000);

  it('writes only JSON log lines on stdout, the analytics launcher’s under its own component', () => {
    const lines = logLines(stdout, 'up');
    const components = new Set(lines.map((line) => line.component));
    for (const component of ['up', 'producer', 'edge', 'analytics']) expect(components).toContain(component);
    expect(lines.some((line) => line.component === 'analytics' && line.msg.startsWith('job running ('))).toBe(true);
  });
});
