import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The real entry point, as `npx tickstream` runs it (built by `npm install`'s prepare step).
const bin = fileURLToPath(new URL('../bin/tickstream.js', import.meta.url));

function tickstream(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return tickstreamWith({}, ...args);
}

function tickstreamWith(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('tickstream CLI', () => {
  it('lists its commands with --help and exits 0', () => {
    const result = tickstream('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: tickstream <command>/);
    expect(result.stdout).toMatch(/^ {2}broker +Run the embedded single-node broker/m);
  });

  it('answers --help on every command it lists', () => {
    const listed = [...tickstream('--help').stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((match) => match[1] ?? '');
    expect(listed).toEqual([
      'up',
      'broker',
      'kafka',
      'producer',
      'analytics',
      'edge',
      'watch',
      'token',
      'users',
      'portfolio',
      'chaos',
      'bench',
    ]);
    for (const command of listed) {
      const result = tickstream(command, '--help');
      expect(result.status, command).toBe(0);
      // A command with words of its own (users add|list|…) names them before the options.
      expect(result.stdout).toMatch(new RegExp(`^Usage: tickstream ${command} (\\S+ )*\\[options\\]`));
      expect(result.stdout).toContain('--help');
    }
    // The contract: `tickstream chaos --help` lists the actions.
    const chaos = tickstream('chaos', '--help').stdout;
    for (const action of [
      'pause',
      'resume',
      'burst',
      'scenario',
      'kill-edge',
      'kill-analytics',
      'cut-link',
      'delay-link',
      'slow-consumer',
      'stop-kafka-node',
    ])
      expect(chaos).toMatch(new RegExp(`^ {2}${action} +\\S`, 'm'));
    const producer = tickstream('producer', '--help').stdout;
    for (const flag of ['--brokers', '--topic', '--symbols', '--symbol-count', '--rate', '--workers', '--volatility']) {
      expect(producer).toContain(flag);
    }
    for (const flag of ['--scenario', '--seed', '--duration', 'KAFKA_BOOTSTRAP_SERVERS', 'TICK_INTERVAL']) {
      expect(producer).toContain(flag);
    }
    // Twelve CLI starts: seconds each on a machine shared with other builds.
  }, 90_000);

  it('chaos: a process-level action with a flag it does not take is a usage error, before anything is sent', () => {
    const misuse = [
      ['kill-edge', '--for', '5s'],
      ['cut-link', '--delay', '1s'],
      ['delay-link', '--delay', '2m'],
      ['scenario', '--scenario', 'meltdown'],
    ].map((args) => tickstream('chaos', ...args, '--secret', 's'));
    for (const result of misuse) expect(result.status, result.stderr).toBe(2);
    expect(misuse.map((result) => result.stderr).join('\n')).toMatch(
      /kill-edge takes no --for[\s\S]*--delay is for delay-link only[\s\S]*--delay must be from 0 to 60s[\s\S]*unknown scenario 'meltdown'; the scenarios are burst, flash-crash/,
    );
  }, 60_000);

  it('up: --nodes 3 without a cluster of its own to start is a usage error, before anything starts', () => {
    const misuse = [
      tickstream('up', '--nodes', '3'),
      tickstream('up', '--kafka', 'apache', '--nodes', '2'),
      tickstreamWith({ KAFKA_BROKERS: '127.0.0.1:1' }, 'up', '--kafka', 'apache', '--nodes', '3'),
    ];
    for (const result of misuse) expect(result.status, result.stderr).toBe(2);
    expect(misuse.map((result) => result.stderr).join('\n')).toMatch(
      /--nodes 3 needs --kafka apache[\s\S]*--nodes must be 1 or 3[\s\S]*KAFKA_BROKERS names one already/,
    );
  }, 60_000);

  it('prints a subcommand help with every flag', () => {
    const result = tickstream('broker', '--help');
    expect(result.status).toBe(0);
    for (const flag of [
      '--host',
      '--port',
      '--data-dir',
      '--default-partitions',
      '--retention-ms',
      '--retention-bytes',
      '--log-cleaner-backoff',
      '--log-cleaner-duty-cycle',
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  it('names an unknown command on one line and exits 2', () => {
    const result = tickstream('launch-rockets');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("tickstream: unknown command 'launch-rockets' (run 'tickstream --help' for the list)\n");
  });

  it('names an unknown flag on one line and exits 2', () => {
    const result = tickstream('broker', '--prot', '9092');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('tickstream broker: unknown flag --prot\n');
  });

  it('names a bad value on one line and exits 2', () => {
    const port = tickstream('broker', '--port', '70000');
    expect(port.status).toBe(2);
    expect(port.stderr).toBe('tickstream broker: --port must be between 0 and 65535, got 70000\n');

    const retention = tickstream('broker', '--retention-ms', 'soon');
    expect(retention.status).toBe(2);
    expect(retention.stderr).toBe(
      "tickstream broker: --retention-ms must be a duration such as 500ms, 30s, 15m, 1h or 7d, got 'soon'\n",
    );
  });

  it('names a bad analytics flag on one line and exits 2, before starting anything', () => {
    const parallelism = tickstream('analytics', '--parallelism', '0');
    expect(parallelism.status).toBe(2);
    expect(parallelism.stderr).toBe('tickstream analytics: --parallelism must be between 1 and 64, got 0\n');
    const delivery = tickstream('analytics', '--delivery', 'sometimes');
    expect(delivery.status).toBe(2);
    expect(delivery.stderr).toBe(
      "tickstream analytics: --delivery must be one of exactly-once, at-least-once, got 'sometimes'\n",
    );
    const heap = tickstream('analytics', '--max-heap', 'lots');
    expect(heap.status).toBe(2);
    expect(heap.stderr).toBe("tickstream analytics: --max-heap must be a size such as 256m or 1g, got 'lots'\n");
    const trading = tickstream('analytics', '--trading-checkpoint-interval', '5ms');
    expect(trading.status).toBe(2);
    expect(trading.stderr).toBe(
      "tickstream analytics: --trading-checkpoint-interval must be at least 20ms, got '5ms'\n",
    );
    const help = tickstream('analytics', '--help').stdout;
    for (const flag of [
      '--brokers',
      '--parallelism',
      '--checkpoint-dir',
      '--trading-checkpoint-interval',
      '--flink-version',
      '--delivery',
      '--metrics-port',
      '--standby',
    ]) {
      expect(help).toContain(flag);
    }
    expect(tickstream('up', '--help').stdout).toContain('--no-analytics');
    expect(tickstream('up', '--help').stdout).toContain('--no-analytics-standby');
  });

  it('names a flag that is missing its value', () => {
    const result = tickstream('broker', '--port');
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('tickstream broker: flag --port needs a value\n');
  });

  it('names a bad Kafka security variable on one line and exits 2, before connecting to anything', () => {
    const edge = tickstreamWith({ KAFKA_SASL_MECHANISM: 'gssapi' }, 'edge', '--port', '0');
    expect(edge.status).toBe(2);
    expect(edge.stderr).toBe(
      'tickstream edge: KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, not "gssapi"\n',
    );
    const producer = tickstreamWith({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice' }, 'producer');
    expect(producer.status).toBe(2);
    expect(producer.stderr).toBe(
      'tickstream producer: KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM=plain\n',
    );
    const ssl = tickstreamWith({ KAFKA_SSL: 'yes please' }, 'producer');
    expect(ssl.status).toBe(2);
    expect(ssl.stderr).toBe('tickstream producer: KAFKA_SSL must be true or false, not "yes please"\n');
  });
});
