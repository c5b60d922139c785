import { Socket } from 'node:net';

export interface ProbedBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface ProbedCluster {
  clusterId: string | null;
  controllerId: number;
  /** Registered, unfenced brokers, as Metadata lists them. */
  brokers: ProbedBroker[];
}

const METADATA_KEY = 3;
/** v4: non-flexible (simple to write by hand), served by every Kafka since 1.0 and by the embedded broker. */
const METADATA_VERSION = 4;
const MAX_RESPONSE_BYTES = 1 << 20;

/**
 * Sends one Metadata v4 request for no topics and returns the brokers the node reports.
 * Used as the readiness check: a KRaft node answers only once it has caught up with the
 * quorum and registered, and lists only brokers that are alive.
 */
export function probeMetadata(host: string, port: number, timeoutMs = 2000): Promise<ProbedCluster> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const chunks: Buffer[] = [];
    let received = 0;
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () =>
      fail(new Error(`no Metadata answer from ${host}:${port} within ${timeoutMs} ms`)),
    );
    socket.on('error', fail);
    socket.on('close', () => reject(new Error(`${host}:${port} closed the connection before answering Metadata`)));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 4) return;
      const frame = Buffer.concat(chunks);
      const size = frame.readInt32BE(0);
      if (size < 0 || size > MAX_RESPONSE_BYTES)
        return fail(new Error(`Metadata response of ${size} bytes is out of bounds`));
      if (frame.length < 4 + size) return;
      socket.destroy();
      try {
        resolve(parseMetadataV4(frame.subarray(4, 4 + size)));
      } catch (error) {
        reject(error);
      }
    });
    socket.connect(port, host, () => socket.write(metadataRequest()));
  });
}

function metadataRequest(): Buffer {
  const clientId = Buffer.from('tickstream-probe');
  const body = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
  let at = body.writeInt32BE(body.length - 4, 0);
  at = body.writeInt16BE(METADATA_KEY, at);
  at = body.writeInt16BE(METADATA_VERSION, at);
  at = body.writeInt32BE(1, at); // correlation id
  at = body.writeInt16BE(clientId.length, at);
  at += clientId.copy(body, at);
  at = body.writeInt32BE(0, at); // topics: an empty array asks for none (null would mean all)
  body.writeUInt8(0, at); // allow_auto_topic_creation
  return body;
}

function parseMetadataV4(frame: Buffer): ProbedCluster {
  let at = 4 + 4; // correlation id, throttle_time_ms
  const need = (bytes: number): void => {
    if (at + bytes > frame.length) throw new Error('truncated Metadata response');
  };
  const int32 = (): number => {
    need(4);
    const value = frame.readInt32BE(at);
    at += 4;
    return value;
  };
  const nullableString = (): string | null => {
    need(2);
    const length = frame.readInt16BE(at);
    at += 2;
    if (length < 0) return null;
    need(length);
    const value = frame.toString('utf8', at, at + length);
    at += length;
    return value;
  };
  const count = int32();
  if (count < 0 || count > 10_000) throw new Error(`Metadata response claims ${count} brokers`);
  const brokers: ProbedBroker[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = int32();
    const host = nullableString() ?? '';
    const port = int32();
    nullableString(); // rack
    brokers.push({ nodeId, host, port });
  }
  const clusterId = nullableString();
  const controllerId = int32();
  return { clusterId, controllerId, brokers };
}
