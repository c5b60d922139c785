import { readFileSync } from 'node:fs';

/**
 * How every kafkajs client of tickstream (the edge's consumer, the producer's kafkajs writers)
 * connects to a managed Kafka cluster: TLS and SASL, read from the environment here and only here.
 *
 *   KAFKA_SSL=true|false            TLS to the brokers (default false)
 *   KAFKA_SSL_CA_FILE=PATH          PEM bundle of CAs to trust instead of Node's (needs KAFKA_SSL=true)
 *   KAFKA_SASL_MECHANISM=plain|scram-sha-256|scram-sha-512
 *   KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD   required with a mechanism
 *
 * Plain data only (a CA is read into text), so it can travel to worker threads.
 */
export interface KafkaSecurity {
  ssl: boolean;
  /** Path and PEM text of KAFKA_SSL_CA_FILE, or null for Node's default CAs. */
  caFile: string | null;
  ca: string | null;
  sasl: KafkaSasl | null;
}

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** One object type per mechanism, as kafkajs' SASLOptions has it. */
export type KafkaSasl = { [M in SaslMechanism]: { mechanism: M; username: string; password: string } }[SaslMechanism];

export const PLAINTEXT: KafkaSecurity = Object.freeze({ ssl: false, caFile: null, ca: null, sasl: null });

/** A bad KAFKA_SSL* / KAFKA_SASL_* value; the message names the variable. Exit code 2, like a bad flag. */
export class KafkaSecurityError extends Error {
  override readonly name = 'KafkaSecurityError';
  readonly exitCode = 2;
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off', ''];

/** Reads and checks the variables above; throws KafkaSecurityError naming the first bad one. */
export function kafkaSecurityFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): KafkaSecurity {
  const sslText = (env.KAFKA_SSL ?? '').trim().toLowerCase();
  if (!TRUE.includes(sslText) && !FALSE.includes(sslText)) {
    throw new KafkaSecurityError(`KAFKA_SSL must be true or false, not "${env.KAFKA_SSL}"`);
  }
  const ssl = TRUE.includes(sslText);

  const caFile = env.KAFKA_SSL_CA_FILE?.trim() || null;
  let ca: string | null = null;
  if (caFile !== null) {
    if (!ssl) throw new KafkaSecurityError('KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true: set KAFKA_SSL=true');
    try {
      ca = readFile(caFile);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new KafkaSecurityError(`KAFKA_SSL_CA_FILE "${caFile}" cannot be read (${reason})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw new KafkaSecurityError(
        `KAFKA_SSL_CA_FILE "${caFile}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      );
    }
  }

  const mechanismText = env.KAFKA_SASL_MECHANISM?.trim().toLowerCase() || null;
  const username = env.KAFKA_SASL_USERNAME;
  const password = env.KAFKA_SASL_PASSWORD;
  if (mechanismText === null) {
    const stray =
      username !== undefined ? 'KAFKA_SASL_USERNAME' : password !== undefined ? 'KAFKA_SASL_PASSWORD' : null;
    if (stray) {
      throw new KafkaSecurityError(
        `${stray} is set but KAFKA_SASL_MECHANISM is not: set it to one of ${SASL_MECHANISMS.join(', ')}`,
      );
    }
    return { ssl, caFile, ca, sasl: null };
  }
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanismText)) {
    throw new KafkaSecurityError(
      `KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, not "${env.KAFKA_SASL_MECHANISM}"`,
    );
  }
  if (!username)
    throw new KafkaSecurityError(`KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM=${mechanismText}`);
  if (password === undefined || password === '') {
    throw new KafkaSecurityError(`KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM=${mechanismText}`);
  }
  return { ssl, caFile, ca, sasl: { mechanism: mechanismText as SaslMechanism, username, password } };
}

export const isSecured = (security: KafkaSecurity): boolean => security.ssl || security.sasl !== null;

/** Kafka's name for the protocol, plus mechanism, user and CA file; never the password. For logs. */
export function describeKafkaSecurity(security: KafkaSecurity): string {
  const protocol = `${security.sasl ? 'SASL_' : ''}${security.ssl ? 'SSL' : 'PLAINTEXT'}`;
  const details = [
    security.sasl ? `${security.sasl.mechanism} as ${security.sasl.username}` : null,
    security.caFile ? `CA ${security.caFile}` : null,
  ].filter(Boolean);
  return details.length > 0 ? `${protocol} (${details.join(', ')})` : protocol;
}

/** The `ssl` and `sasl` fields of a kafkajs `new Kafka({...})` config. */
export function kafkajsSecurity(security: KafkaSecurity): {
  ssl?: boolean | { ca: string[] };
  sasl?: KafkaSasl;
} {
  const config: { ssl?: boolean | { ca: string[] }; sasl?: KafkaSasl } = {};
  if (security.ssl) config.ssl = security.ca !== null ? { ca: [security.ca] } : true;
  if (security.sasl) config.sasl = { ...security.sasl };
  return config;
}

/**
 * True for an error no retry will cure: Kafka refused the SASL credentials (kafkajs'
 * KafkaJSSASLAuthenticationError), or TLS refused the broker's certificate.
 */
export function isAuthenticationFailure(error: unknown): boolean {
  for (
    let e = error as { name?: string; code?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (e.name === 'KafkaJSSASLAuthenticationError') return true;
    if (/SASL .*(authentication failed|invalid username or password)/i.test(String((e as Error).message))) return true;
    if (typeof e.code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/.test(e.code))
      return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

/** What to tell the user when `isAuthenticationFailure(error)`. */
export function authenticationAdvice(security: KafkaSecurity): string {
  if (security.sasl) {
    return `check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM (now ${describeKafkaSecurity(security)})`;
  }
  return `check KAFKA_SSL_CA_FILE (now ${describeKafkaSecurity(security)})`;
}
