/*
 * The Kafka requests tickstream's own clients send, at versions both the embedded broker and
 * Apache Kafka 4.x serve: Metadata v6, Produce v7 and InitProducerId v1 (the producer's record
 * batch writer; kafkajs sends the same ones), Fetch v4 (the edge's reader, kafka-fetch.ts).
 * None is a flexible version, so request header v1 / response header v0.
 * Wire grammar: /work/shared/kafka-protocol.md §1-2.
 */

export const ApiKey = { produce: 0, fetch: 1, metadata: 3, initProducerId: 22 } as const;
export const ApiVersion = { produce: 7, fetch: 4, metadata: 6, initProducerId: 1 } as const;

/** Kafka error codes the writer and the reader act on (Errors.java). */
export const KafkaError = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  UNKNOWN_PRODUCER_ID: 59,
  KAFKA_STORAGE_ERROR: 56,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  OFFSET_NOT_AVAILABLE: 78,
  PRODUCER_FENCED: 90,
} as const;

const errorNames = new Map<number, string>(Object.entries(KafkaError).map(([name, code]) => [code, name]));

export function errorName(code: number): string {
  return errorNames.get(code) ?? `error ${code}`;
}

/** Errors after which the same batch may be sent again once the leaders are known again. */
export function isRetriable(code: number): boolean {
  return (
    code === KafkaError.UNKNOWN_TOPIC_OR_PARTITION ||
    code === KafkaError.LEADER_NOT_AVAILABLE ||
    code === KafkaError.NOT_LEADER_OR_FOLLOWER ||
    code === KafkaError.REQUEST_TIMED_OUT ||
    code === KafkaError.NETWORK_EXCEPTION ||
    code === KafkaError.NOT_ENOUGH_REPLICAS ||
    code === KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND ||
    code === KafkaError.KAFKA_STORAGE_ERROR ||
    code === KafkaError.FENCED_LEADER_EPOCH ||
    code === KafkaError.UNKNOWN_LEADER_EPOCH ||
    code === KafkaError.OFFSET_NOT_AVAILABLE
  );
}

/** Errors that mean the broker no longer accepts this producer id's sequence: get a new one. */
export function needsNewProducerId(code: number): boolean {
  return (
    code === KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER ||
    code === KafkaError.UNKNOWN_PRODUCER_ID ||
    code === KafkaError.INVALID_PRODUCER_EPOCH ||
    code === KafkaError.PRODUCER_FENCED
  );
}

/** A size-prefixed request header v1; `bodyBytes` is what follows it. */
export function requestHeader(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: Buffer,
  bodyBytes: number,
): Buffer {
  const header = Buffer.allocUnsafe(4 + 10 + clientId.length);
  header.writeInt32BE(10 + clientId.length + bodyBytes, 0);
  header.writeInt16BE(apiKey, 4);
  header.writeInt16BE(apiVersion, 6);
  header.writeInt32BE(correlationId, 8);
  header.writeInt16BE(clientId.length, 12);
  clientId.copy(header, 14);
  return header;
}

export function metadataRequest(topics: readonly string[]): Buffer {
  const names = topics.map((topic) => Buffer.from(topic));
  const body = Buffer.allocUnsafe(4 + names.reduce((sum, name) => sum + 2 + name.length, 0) + 1);
  let at = body.writeInt32BE(names.length, 0);
  for (const name of names) {
    at = body.writeInt16BE(name.length, at);
    at += name.copy(body, at);
  }
  body.writeInt8(0, at); // AllowAutoTopicCreation: the main thread creates topics
  return body;
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionLeader {
  partition: number;
  errorCode: number;
  /** -1 while there is none. */
  leader: number;
}

export interface TopicMetadata {
  name: string;
  errorCode: number;
  partitions: PartitionLeader[];
}

export interface ClusterMetadata {
  brokers: Map<number, BrokerAddress>;
  topics: Map<string, TopicMetadata>;
}

export function parseMetadataResponse(body: Buffer): ClusterMetadata {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  const brokers = new Map<number, BrokerAddress>();
  for (let i = r.int32(); i > 0; i--) {
    const nodeId = r.int32();
    const host = r.string();
    const port = r.int32();
    r.nullableString(); // rack
    brokers.set(nodeId, { nodeId, host, port });
  }
  r.nullableString(); // cluster id
  r.int32(); // controller id
  const topics = new Map<string, TopicMetadata>();
  for (let t = r.int32(); t > 0; t--) {
    const errorCode = r.int16();
    const name = r.string();
    r.int8(); // is internal
    const partitions: PartitionLeader[] = [];
    for (let p = r.int32(); p > 0; p--) {
      const partitionError = r.int16();
      const partition = r.int32();
      const leader = r.int32();
      r.skipInt32Array(); // replicas
      r.skipInt32Array(); // isr
      r.skipInt32Array(); // offline replicas
      partitions.push({ partition, errorCode: partitionError, leader });
    }
    partitions.sort((a, b) => a.partition - b.partition);
    topics.set(name, { name, errorCode, partitions });
  }
  return { brokers, topics };
}

export interface ProducePart {
  partition: number;
  batch: Buffer;
}

/**
 * A Produce v7 body for one topic as chunks: the small fields, then each partition's batch
 * bytes as they are (no copy), so a retry sends the very same bytes.
 */
export function produceRequestBody(
  acks: number,
  timeoutMs: number,
  topic: Buffer,
  parts: readonly ProducePart[],
): { chunks: Buffer[]; bytes: number } {
  const head = Buffer.allocUnsafe(2 + 2 + 4 + 4 + 2 + topic.length + 4);
  let at = head.writeInt16BE(-1, 0); // no transactional id
  at = head.writeInt16BE(acks, at);
  at = head.writeInt32BE(timeoutMs, at);
  at = head.writeInt32BE(1, at); // one topic
  at = head.writeInt16BE(topic.length, at);
  at += topic.copy(head, at);
  head.writeInt32BE(parts.length, at);
  const chunks: Buffer[] = [head];
  let bytes = head.length;
  for (const { partition, batch } of parts) {
    const prefix = Buffer.allocUnsafe(8);
    prefix.writeInt32BE(partition, 0);
    prefix.writeInt32BE(batch.length, 4);
    chunks.push(prefix, batch);
    bytes += 8 + batch.length;
  }
  return { chunks, bytes };
}

export interface PartitionProduceResult {
  partition: number;
  errorCode: number;
  baseOffset: number;
}

export function parseProduceResponse(body: Buffer): PartitionProduceResult[] {
  const r = new ResponseReader(body);
  const results: PartitionProduceResult[] = [];
  for (let t = r.int32(); t > 0; t--) {
    r.string(); // topic: one per request
    for (let p = r.int32(); p > 0; p--) {
      const partition = r.int32();
      const errorCode = r.int16();
      const baseOffset = r.int64();
      r.int64(); // log append time
      r.int64(); // log start offset
      results.push({ partition, errorCode, baseOffset });
    }
  }
  return results; // throttle time follows; nothing to do with it
}

export function initProducerIdRequest(): Buffer {
  const body = Buffer.allocUnsafe(6);
  body.writeInt16BE(-1, 0); // no transactional id: idempotence only
  body.writeInt32BE(60_000, 2); // transaction timeout, unused without transactions
  return body;
}

export function parseInitProducerIdResponse(body: Buffer): {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
} {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  return { errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}

/** Reads a response body; a short body throws RangeError, which the caller treats as a broken connection. */
export class ResponseReader {
  at = 0;

  constructor(readonly body: Buffer) {}

  int8(): number {
    const value = this.body.readInt8(this.at);
    this.at += 1;
    return value;
  }

  int16(): number {
    const value = this.body.readInt16BE(this.at);
    this.at += 2;
    return value;
  }

  int32(): number {
    const value = this.body.readInt32BE(this.at);
    this.at += 4;
    return value;
  }

  /** Offsets and producer ids stay below 2^53. */
  int64(): number {
    const value = Number(this.body.readBigInt64BE(this.at));
    this.at += 8;
    return value;
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    if (this.at + length > this.body.length) throw new RangeError('string runs past the end of the response');
    const value = this.body.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }

  string(): string {
    return this.nullableString() ?? '';
  }

  skipInt32Array(): void {
    const count = this.int32();
    if (count > 0) this.at += 4 * count;
  }
}
