import { KafkaConnection } from '@tickstream/schemas/kafka-connection';
import { ResponseReader } from '@tickstream/schemas/kafka-protocol';
import { AnalyticsError } from './errors.js';

/** EndTxn: a broker that serves it serves Kafka transactions (KafkaSink's EXACTLY_ONCE needs them). */
const END_TXN = 26;
const API_VERSIONS = 18;

export interface TransactionSupport {
  /** The broker that answered. */
  broker: string;
  serves: boolean;
}

/**
 * Asks the first reachable bootstrap broker which APIs it serves (ApiVersions v0, which every
 * broker answers) and whether EndTxn is among them. The embedded broker advertises exactly what
 * it serves, since its ApiVersions is generated from its handler registry (EndTxn included).
 */
export async function probeTransactions(bootstrap: string, timeoutMs = 10_000): Promise<TransactionSupport> {
  const problems: string[] = [];
  for (const address of bootstrap
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)) {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon);
    const port = Number(address.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port)) {
      throw new AnalyticsError(`"${address}" is not host:port (in --brokers ${bootstrap}).`);
    }
    let connection: KafkaConnection | undefined;
    try {
      connection = await KafkaConnection.connect({
        host,
        port,
        clientId: 'tickstream-analytics-probe',
        connectTimeoutMs: timeoutMs,
        requestTimeoutMs: timeoutMs,
      });
      const body = await connection.request(API_VERSIONS, 0, [Buffer.alloc(0)], 0);
      return { broker: address, serves: advertises(body, END_TXN) };
    } catch (error) {
      problems.push((error as Error).message);
    } finally {
      connection?.close();
    }
  }
  throw new AnalyticsError(`Kafka is not reachable at ${bootstrap}: ${problems.join('; ')}.`);
}

/** Whether an ApiVersions v0 response body lists `apiKey`. */
export function advertises(body: Buffer, apiKey: number): boolean {
  const r = new ResponseReader(body);
  const errorCode = r.int16();
  if (errorCode !== 0) throw new AnalyticsError(`the broker answered ApiVersions with error ${errorCode}`);
  for (let count = r.int32(); count > 0; count--) {
    const key = r.int16();
    r.int16(); // min version
    r.int16(); // max version
    if (key === apiKey) return true;
  }
  return false;
}
