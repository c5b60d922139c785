import { join } from 'node:path';

/** One combined controller+broker process of a local KRaft cluster. */
export interface KRaftNode {
  /** Kafka's node.id, 1-based; also what Metadata reports as a partition's leader. */
  nodeId: number;
  host: string;
  /** PLAINTEXT listener for clients and replication. */
  brokerPort: number;
  /** CONTROLLER listener for the Raft quorum. */
  controllerPort: number;
  /** The node's own folder: server.properties, data/ (log.dirs) and logs/ (server.log). */
  dir: string;
  /** Client listeners beside PLAINTEXT (SASL, TLS), each on its own port. */
  extraListeners?: Array<ExtraListener & { port: number }>;
}

/** One more client listener on every node, e.g. `saslPlainListener({ alice: 'secret' })`. */
export interface ExtraListener {
  /** Listener name as in `listeners=NAME://host:port`: upper case letters, digits and _. */
  name: string;
  protocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  /** This listener's own settings, written as `listener.name.<name>.<key>` (e.g. `plain.sasl.jaas.config`). */
  properties?: Record<string, string>;
}

/**
 * A SASL_PLAINTEXT listener that accepts PLAIN logins of `users` (name → password). The broker's
 * JAAS config goes in server.properties (listener.name.….plain.sasl.jaas.config): no JAAS file.
 */
export function saslPlainListener(users: Record<string, string>, name = 'SASL_PLAINTEXT'): ExtraListener {
  const quote = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const entries = Object.entries(users).map(([user, password]) => `user_${user}=${quote(password)}`);
  return {
    name,
    protocol: 'SASL_PLAINTEXT',
    properties: {
      'sasl.enabled.mechanisms': 'PLAIN',
      'plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${entries.join(' ')};`,
    },
  };
}

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** A SCRAM login written into the cluster's metadata when its storage is formatted. */
export interface ScramCredential {
  mechanism: ScramMechanism;
  name: string;
  password: string;
}

/**
 * A SASL_SSL listener: TLS with the certificate chain and unencrypted PKCS#8 key in `pemFile`
 * (Kafka's PEM keystore, KIP-651: no JKS to build), and SCRAM-SHA-256/512 logins. SCRAM users
 * are not part of the listener: in KRaft they live in the metadata log, added at format time
 * (`ApacheKafkaOptions.scramCredentials`, i.e. `kafka-storage format --add-scram`).
 */
export function saslSslScramListener(pemFile: string, name = 'SASL_SSL'): ExtraListener {
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  return {
    name,
    protocol: 'SASL_SSL',
    properties: {
      'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
      'scram-sha-256.sasl.jaas.config': scram,
      'scram-sha-512.sasl.jaas.config': scram,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': pemFile,
    },
  };
}

/**
 * Nodes with ports in two consecutive runs: brokers from `firstPort`, then controllers.
 * One node on 9092 listens on 9092 and 9093; three nodes on 9092-9094 and 9095-9097.
 */
export function planConsecutivePorts(
  count: number,
  firstPort: number,
): Array<{ brokerPort: number; controllerPort: number }> {
  return Array.from({ length: count }, (_, i) => ({
    brokerPort: firstPort + i,
    controllerPort: firstPort + count + i,
  }));
}

export function planNodes(
  dataDir: string,
  host: string,
  ports: ReadonlyArray<{ brokerPort: number; controllerPort: number }>,
): KRaftNode[] {
  return ports.map((port, i) => ({ nodeId: i + 1, host, ...port, dir: join(dataDir, `node-${i + 1}`) }));
}

export const dataDirOf = (node: KRaftNode): string => join(node.dir, 'data');
export const logsDirOf = (node: KRaftNode): string => join(node.dir, 'logs');
export const propertiesFileOf = (node: KRaftNode): string => join(node.dir, 'server.properties');

/**
 * server.properties for one node of a static-quorum cluster in which every node is both
 * controller and broker. The settings beyond the listeners make a 1- or 3-node cluster on a
 * developer machine behave: topics get every node as a replica and (from three nodes) two in sync
 * before an acks=all write is acknowledged; internal topics may not ask for more replicas than there are nodes
 * (or consumer groups and transactions never get a coordinator), and groups start at once.
 */
export function nodeProperties(
  node: KRaftNode,
  cluster: readonly KRaftNode[],
  overrides: Readonly<Record<string, string | number | boolean>> = {},
): string {
  const count = cluster.length;
  const minInSync = Math.min(2, count);
  const extra = node.extraListeners ?? [];
  const listenerSettings: Record<string, string> = {};
  for (const listener of extra) {
    for (const [key, value] of Object.entries(listener.properties ?? {})) {
      listenerSettings[`listener.name.${listener.name.toLowerCase()}.${key}`] = value;
    }
  }
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    'controller.quorum.voters': cluster.map((n) => `${n.nodeId}@${n.host}:${n.controllerPort}`).join(','),
    listeners: [
      `PLAINTEXT://${node.host}:${node.brokerPort}`,
      `CONTROLLER://${node.host}:${node.controllerPort}`,
      ...extra.map((l) => `${l.name}://${node.host}:${l.port}`),
    ].join(','),
    'advertised.listeners': [
      `PLAINTEXT://${node.host}:${node.brokerPort}`,
      ...extra.map((l) => `${l.name}://${node.host}:${l.port}`),
    ].join(','),
    'listener.security.protocol.map': [
      'PLAINTEXT:PLAINTEXT',
      'CONTROLLER:PLAINTEXT',
      ...extra.map((l) => `${l.name}:${l.protocol}`),
    ].join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': dataDirOf(node),
    'auto.create.topics.enable': true,
    'num.partitions': 3,
    'default.replication.factor': count,
    // With three nodes an acks=all write survives one node down and refuses to be acknowledged by one
    // copy alone; topics created without their own setting (the producer's ticks) inherit it.
    'min.insync.replicas': minInSync,
    'offsets.topic.replication.factor': count,
    // 50 partitions (the default) of __consumer_offsets take seconds to create on two cores.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.replication.factor': count,
    'transaction.state.log.min.isr': minInSync,
    'transaction.state.log.num.partitions': 10,
    'share.coordinator.state.topic.replication.factor': count,
    'share.coordinator.state.topic.min.isr': minInSync,
    'group.initial.rebalance.delay.ms': 0,
    ...listenerSettings,
    ...overrides,
  };
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${escapeValue(String(value))}`);
  return `# Written by tickstream for node ${node.nodeId} of ${count}; rewritten at every start.\n${lines.join('\n')}\n`;
}

/** Java properties treat backslashes as escapes; paths on Windows and odd values need them doubled. */
function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
