import { KafkaConnection } from '@tickstream/schemas/kafka-connection';
import {
  ApiKey,
  ApiVersion,
  type BrokerAddress,
  errorName,
  initProducerIdRequest,
  KafkaError,
  metadataRequest,
  type PartitionProduceResult,
  type ProducePart,
  parseInitProducerIdResponse,
  parseMetadataResponse,
  parseProduceResponse,
  produceRequestBody,
  type TopicMetadata,
} from '@tickstream/schemas/kafka-protocol';

export interface ProduceClientOptions {
  /** Bootstrap servers, host:port. */
  brokers: readonly string[];
  clientId: string;
  connectTimeoutMs: number;
  /** A request unanswered this long ends its connection; everything pending on it fails. */
  requestTimeoutMs: number;
}

/**
 * The minimal Kafka client the fast writer needs: Metadata (where each partition's leader is),
 * Produce (pre-encoded record batches to a leader), InitProducerId. One connection per broker,
 * opened on first use and again after it fails; requests on it are pipelined. It never
 * retries: the sink decides what to resend, so that a retry always carries the same bytes.
 */
export class ProduceClient {
  private readonly connections = new Map<string, ConnectionEntry>();
  private brokers = new Map<number, BrokerAddress>();
  private readonly topicNames = new Map<string, Buffer>();
  private closed = false;

  constructor(private readonly options: ProduceClientOptions) {}

  /** The topic's partitions and leaders, asked of any broker that answers (known ones first). */
  async topicMetadata(topic: string): Promise<TopicMetadata> {
    const known = [...this.brokers.values()].map(({ host, port }) => `${host}:${port}`);
    const candidates = [...new Set([...known, ...this.options.brokers])];
    let lastError = new Error('no bootstrap server given');
    for (const address of candidates) {
      try {
        const body = metadataRequest([topic]);
        const connection = await this.connection(address);
        const response = await connection.request(ApiKey.metadata, ApiVersion.metadata, [body], body.length);
        const metadata = parseMetadataResponse(response);
        if (metadata.brokers.size > 0) this.brokers = metadata.brokers;
        const found = metadata.topics.get(topic);
        if (found === undefined) throw new Error(`${address} did not describe topic ${topic}`);
        if (found.errorCode !== 0) throw new Error(`topic ${topic}: ${errorName(found.errorCode)}`);
        return found;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
      }
    }
    throw lastError;
  }

  /**
   * A producer id and epoch for an idempotent producer (any broker serves it without
   * transactions). A broker that has just started answers COORDINATOR_LOAD_IN_PROGRESS for a
   * while: asked again, for up to `patienceMs`.
   */
  async initProducerId(patienceMs = 30_000): Promise<{ producerId: number; producerEpoch: number }> {
    const deadline = Date.now() + patienceMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      const body = initProducerIdRequest();
      const connection = await this.connection(this.anyBroker());
      const response = parseInitProducerIdResponse(
        await connection.request(ApiKey.initProducerId, ApiVersion.initProducerId, [body], body.length),
      );
      if (response.errorCode === 0) return { producerId: response.producerId, producerEpoch: response.producerEpoch };
      const notReady =
        response.errorCode === KafkaError.COORDINATOR_LOAD_IN_PROGRESS ||
        response.errorCode === KafkaError.COORDINATOR_NOT_AVAILABLE ||
        response.errorCode === KafkaError.NOT_COORDINATOR;
      if (!notReady || Date.now() + delay > deadline) {
        throw new Error(`InitProducerId failed: ${errorName(response.errorCode)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * One Produce request to broker `nodeId` with one batch per partition. Resolves with each
   * partition's error code and base offset (with acks=0, Kafka answers nothing: every
   * partition reads as written once the bytes are on the socket). Rejects when the connection
   * fails; whether the batches were written is then unknown.
   */
  async produce(
    nodeId: number,
    topic: string,
    acks: 0 | 1 | -1,
    timeoutMs: number,
    parts: readonly ProducePart[],
  ): Promise<PartitionProduceResult[]> {
    const broker = this.brokers.get(nodeId);
    if (broker === undefined) throw new Error(`no address known for broker ${nodeId}`);
    const connection = await this.connection(`${broker.host}:${broker.port}`);
    const { chunks, bytes } = produceRequestBody(acks, timeoutMs, this.topicName(topic), parts);
    const response = await connection.request(ApiKey.produce, ApiVersion.produce, chunks, bytes, acks !== 0);
    if (acks === 0) return parts.map(({ partition }) => ({ partition, errorCode: 0, baseOffset: -1 }));
    return parseProduceResponse(response);
  }

  /** Closes every connection; requests pending on them fail, and later ones are refused. */
  close(): void {
    this.closed = true;
    for (const { connecting } of this.connections.values()) {
      connecting.then(
        (connection) => connection.close(),
        () => {},
      );
    }
    this.connections.clear();
  }

  private anyBroker(): string {
    const first = this.brokers.values().next();
    if (!first.done) return `${first.value.host}:${first.value.port}`;
    const bootstrap = this.options.brokers[0];
    if (bootstrap === undefined) throw new Error('no bootstrap server given');
    return bootstrap;
  }

  private topicName(topic: string): Buffer {
    let name = this.topicNames.get(topic);
    if (name === undefined) {
      name = Buffer.from(topic);
      this.topicNames.set(topic, name);
    }
    return name;
  }

  /** The open connection to `address`, or a new one when there is none or it failed. */
  private connection(address: string): Promise<KafkaConnection> {
    if (this.closed) return Promise.reject(new Error('the Kafka client is closed'));
    const existing = this.connections.get(address);
    if (existing !== undefined && !existing.failed && (existing.connection?.usable ?? true)) return existing.connecting;
    const colon = address.lastIndexOf(':');
    const entry: ConnectionEntry = {
      connecting: KafkaConnection.connect({
        host: address.slice(0, colon),
        port: Number(address.slice(colon + 1)),
        clientId: this.options.clientId,
        connectTimeoutMs: this.options.connectTimeoutMs,
        requestTimeoutMs: this.options.requestTimeoutMs,
      }),
      connection: null,
      failed: false,
    };
    entry.connecting.then(
      (connection) => {
        entry.connection = connection;
      },
      () => {
        entry.failed = true;
      },
    );
    this.connections.set(address, entry);
    return entry.connecting;
  }
}

/** A connection being opened or open; checked without awaiting, so concurrent callers share it. */
interface ConnectionEntry {
  connecting: Promise<KafkaConnection>;
  connection: KafkaConnection | null;
  failed: boolean;
}
