import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { kafkaSecurityFromEnv } from '@tickstream/schemas/kafka-security';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaSink } from './kafka-sink.js';

// KAFKA_SSL / KAFKA_SSL_CA_FILE through kafkajs, against a bare TLS server with a self-signed
// certificate for 127.0.0.1 (no Kafka behind it): trusted or not is all this can show.
const openssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!openssl)('KafkaSink over TLS (KAFKA_SSL, KAFKA_SSL_CA_FILE)', () => {
  let dir = '';
  let server: Server;
  let broker = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tickstream-tls-'));
    const made = spawnSync('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.pem')],
    ]);
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    // Completes the handshake, then hangs up: not Kafka, so a trusted connection still fails, later.
    server = createServer(
      { key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'ca.pem')) },
      (socket) => {
        socket.on('error', () => {});
        socket.end();
      },
    );
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    broker = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const startSink = async (env: NodeJS.ProcessEnv): Promise<{ error: Error; ms: number }> => {
    const sink = new KafkaSink({
      brokers: [broker],
      topic: 'ticks',
      eventsTopic: 'events',
      partitions: 1,
      acks: 1,
      idempotent: false,
      connectTimeoutMs: 1500,
      bufferTicks: 1000,
      clientId: 'tls-test',
      createTopics: true,
      log: () => {},
      security: kafkaSecurityFromEnv(env),
    });
    const started = Date.now();
    const error = await sink.start().then(
      () => new Error('connected to a server that is not Kafka'),
      (e: Error) => e,
    );
    await sink.stop(0);
    return { error, ms: Date.now() - started };
  };

  it('refuses an untrusted certificate at once, naming KAFKA_SSL_CA_FILE', async () => {
    const { error, ms } = await startSink({ KAFKA_SSL: 'true' });
    expect(error.message).toMatch(
      /^authentication with Kafka at 127\.0\.0\.1:\d+ failed \(.*self-signed certificate.*\): check KAFKA_SSL_CA_FILE \(now SSL\)$/,
    );
    expect(ms).toBeLessThan(1000);
  });

  it('trusts the certificate of KAFKA_SSL_CA_FILE (and then finds no Kafka there)', async () => {
    const { error } = await startSink({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'ca.pem') });
    expect(error.message).toMatch(/^Kafka at 127\.0\.0\.1:\d+ is unreachable after \d+ attempts?/);
    expect(error.message).not.toMatch(/certificate/);
  });
});
