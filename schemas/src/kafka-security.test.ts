import { describe, expect, it } from 'vitest';
import {
  describeKafkaSecurity,
  isAuthenticationFailure,
  isSecured,
  KafkaSecurityError,
  kafkajsSecurity,
  kafkaSecurityFromEnv,
  PLAINTEXT,
} from './kafka-security.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files: Record<string, string> = { '/etc/ca.pem': PEM, '/etc/not-a-cert.txt': 'hello' };
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
};
const parse = (env: NodeJS.ProcessEnv) => kafkaSecurityFromEnv(env, readFile);

function failure(env: NodeJS.ProcessEnv): KafkaSecurityError {
  try {
    parse(env);
  } catch (error) {
    expect(error).toBeInstanceOf(KafkaSecurityError);
    expect((error as KafkaSecurityError).exitCode).toBe(2);
    return error as KafkaSecurityError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('kafkaSecurityFromEnv', () => {
  it('is PLAINTEXT when nothing is set, and says so', () => {
    const security = parse({});
    expect(security).toEqual(PLAINTEXT);
    expect(isSecured(security)).toBe(false);
    expect(kafkajsSecurity(security)).toEqual({});
    expect(describeKafkaSecurity(security)).toBe('PLAINTEXT');
    expect(parse({ KAFKA_SSL: 'false', KAFKA_SASL_MECHANISM: '' })).toEqual(PLAINTEXT);
  });

  it('reads TLS with Node’s CAs, or with a CA file', () => {
    const tls = parse({ KAFKA_SSL: 'true' });
    expect(kafkajsSecurity(tls)).toEqual({ ssl: true });
    expect(describeKafkaSecurity(tls)).toBe('SSL');
    expect(parse({ KAFKA_SSL: ' TRUE ' }).ssl).toBe(true);

    const withCa = parse({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/ca.pem' });
    expect(kafkajsSecurity(withCa)).toEqual({ ssl: { ca: [PEM] } });
    expect(describeKafkaSecurity(withCa)).toBe('SSL (CA /etc/ca.pem)');
  });

  it('reads each SASL mechanism, case-insensitively, and never prints the password', () => {
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      const security = parse({
        KAFKA_SASL_MECHANISM: mechanism.toUpperCase(),
        KAFKA_SASL_USERNAME: 'alice',
        KAFKA_SASL_PASSWORD: 's3cret',
      });
      expect(kafkajsSecurity(security)).toEqual({ sasl: { mechanism, username: 'alice', password: 's3cret' } });
      expect(describeKafkaSecurity(security)).toBe(`SASL_PLAINTEXT (${mechanism} as alice)`);
    }
    const both = parse({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'alice',
      KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(isSecured(both)).toBe(true);
    expect(kafkajsSecurity(both)).toEqual({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 's3cret' },
    });
    expect(describeKafkaSecurity(both)).toBe('SASL_SSL (scram-sha-512 as alice)');
    expect(describeKafkaSecurity(both)).not.toContain('s3cret');
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(failure({ KAFKA_SSL: 'maybe' }).message).toBe('KAFKA_SSL must be true or false, not "maybe"');
    expect(failure({ KAFKA_SSL_CA_FILE: '/etc/ca.pem' }).message).toMatch(/^KAFKA_SSL_CA_FILE is set but KAFKA_SSL/);
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nowhere.pem' }).message).toBe(
      'KAFKA_SSL_CA_FILE "/nowhere.pem" cannot be read (ENOENT)',
    );
    expect(failure({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/not-a-cert.txt' }).message).toMatch(
      /^KAFKA_SSL_CA_FILE "\/etc\/not-a-cert.txt" holds no PEM certificate/,
    );
    expect(
      failure({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'b' }).message,
    ).toBe('KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512, not "gssapi"');
    expect(failure({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'b' }).message).toBe(
      'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=plain',
    );
    expect(failure({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'a' }).message).toBe(
      'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM=plain',
    );
    expect(failure({ KAFKA_SASL_USERNAME: 'a' }).message).toMatch(
      /^KAFKA_SASL_USERNAME is set but KAFKA_SASL_MECHANISM/,
    );
    expect(failure({ KAFKA_SASL_PASSWORD: 'b' }).message).toMatch(
      /^KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM/,
    );
  });
});

describe('isAuthenticationFailure', () => {
  it('knows kafkajs’ SASL error, also wrapped, and TLS certificate errors; not a refused connection', () => {
    const sasl = Object.assign(new Error('SASL PLAIN authentication failed: Authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    expect(isAuthenticationFailure(sasl)).toBe(true);
    expect(
      isAuthenticationFailure(Object.assign(new Error('wrapped'), { name: 'KafkaJSNonRetriableError', cause: sasl })),
    ).toBe(true);
    expect(isAuthenticationFailure(Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }))).toBe(true);
    expect(
      isAuthenticationFailure(
        Object.assign(new Error('Connection error: connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      ),
    ).toBe(false);
    expect(isAuthenticationFailure(undefined)).toBe(false);
  });
});
