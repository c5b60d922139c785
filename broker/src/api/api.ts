import type { BrokerConfig } from '../config.js';
import type { GroupCoordinator } from '../groups/index.js';
import type { LogManager } from '../log/index.js';
import type { Reader } from '../protocol/reader.js';
import type { Writer } from '../protocol/writer.js';
import type { TransactionCoordinator } from '../transactions/index.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Everything a handler may touch. State is owned by `log`, `groups` and `transactions`; handlers only call their methods. */
export interface BrokerContext {
  config: BrokerConfig;
  /** The node id, host and port this broker advertises (port resolved when config.port was 0). */
  node: { id: number; host: string; port: number };
  clusterId: string;
  log: LogManager;
  groups: GroupCoordinator;
  transactions: TransactionCoordinator;
}

export interface RequestContext {
  header: RequestHeader;
  broker: BrokerContext;
  /** "ip:port" of the client, for DescribeGroups and log lines. */
  clientHost: string;
}

/** Kafka's "authorized operations were not asked for" (INT32_MIN), which responses carry in their place. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Returned by a handler that must send no response at all (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no response');

/**
 * One Kafka API. Each lives in `api/NN-name.ts` (NN = its key) and opens with a comment
 * giving the versions it serves, the request/response grammar, and what it leaves out.
 * The registry derives ApiVersions from these fields, so what is served is what is advertised.
 */
export interface ApiHandler {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible (compact, tagged) version among those served, or null if none is. */
  readonly flexibleFrom: number | null;
  /**
   * Reads the request body (after the header) from `request` and writes the response body
   * (after the response header) to `response`. A MalformedRequestError thrown here closes
   * the connection; any Kafka-level failure is an error code in the response instead.
   */
  handle(
    request: Reader,
    response: Writer,
    context: RequestContext,
  ): void | typeof NO_RESPONSE | Promise<void | typeof NO_RESPONSE>;
}
