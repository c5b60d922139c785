import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApacheKafkaError } from './errors.js';
import { jvmLoggingArgs } from './jvm.js';
import { dataDirOf, type KRaftNode, logsDirOf, propertiesFileOf, type ScramCredential } from './kraft-config.js';

const run = promisify(execFile);

/** A Kafka cluster id: 16 random bytes in URL-safe base64 without padding, as Uuid.randomUuid() makes them. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka refuses ids that start with '-': they would read as a command-line flag.
    if (!id.startsWith('-')) return id;
  }
}

/** The cluster id in a node's meta.properties, or undefined while the node is not formatted. */
export function readClusterId(node: KRaftNode): string | undefined {
  const meta = join(dataDirOf(node), 'meta.properties');
  if (!existsSync(meta)) return undefined;
  const match = /^cluster\.id=(.*)$/m.exec(readFileSync(meta, 'utf8'));
  return match?.[1]?.trim();
}

export interface FormatOptions {
  java: string;
  libs: string;
  dataDir: string;
  nodes: readonly KRaftNode[];
  /** Required cluster id; by default a formatted data dir keeps its own and a fresh one gets a random id. */
  clusterId?: string | undefined;
  /** SCRAM logins written into a fresh cluster's metadata (`--add-scram`); a formatted one keeps its own. */
  scramCredentials?: readonly ScramCredential[] | undefined;
}

/**
 * Formats every node's storage for one cluster id (`kafka.tools.StorageTool format`) unless the
 * data dir already holds exactly this cluster, and returns the cluster id. A data dir that
 * belongs to another cluster, or to a cluster with a different number of nodes, is refused with
 * the fix, because Kafka would otherwise fail later with a stack trace or, worse, run with a
 * quorum that disagrees with its own metadata log.
 */
export async function ensureFormatted(options: FormatOptions): Promise<string> {
  const { nodes, dataDir } = options;
  const found = nodes.map((node) => ({ node, clusterId: readClusterId(node) }));
  const formatted = found.filter((entry) => entry.clusterId !== undefined);
  const extra = { ...nodes[0], nodeId: nodes.length + 1, dir: join(dataDir, `node-${nodes.length + 1}`) } as KRaftNode;
  const fresh = `delete ${dataDir} to start afresh, or pass another --data-dir`;

  if (formatted.length === 0) {
    if (readClusterId(extra) !== undefined) {
      throw new ApacheKafkaError(
        `${dataDir} holds a cluster of more than ${nodes.length} node(s): start it with its own --nodes, or ${fresh}.`,
      );
    }
    const clusterId = options.clusterId ?? randomClusterId();
    await Promise.all(nodes.map((node) => formatNode(options, node, clusterId)));
    return clusterId;
  }

  const ids = [...new Set(formatted.map((entry) => entry.clusterId))];
  if (ids.length > 1) {
    const list = formatted.map((entry) => `node-${entry.node.nodeId}: ${entry.clusterId}`).join(', ');
    throw new ApacheKafkaError(`The nodes in ${dataDir} were formatted for different clusters (${list}); ${fresh}.`);
  }
  const existing = ids[0] as string;
  if (options.clusterId !== undefined && options.clusterId !== existing) {
    throw new ApacheKafkaError(
      `${dataDir} was formatted for cluster id ${existing}, not ${options.clusterId}; ` +
        `start without a cluster id to reuse it, or ${fresh}.`,
    );
  }
  if (formatted.length < nodes.length || readClusterId(extra) !== undefined) {
    throw new ApacheKafkaError(
      `${dataDir} holds a different number of nodes than the ${nodes.length} asked for (cluster id ${existing}): ` +
        `start it with the --nodes it was created with, or ${fresh}.`,
    );
  }
  return existing;
}

/** `SCRAM-SHA-256=[name=alice,password="…"]`, as kafka-storage's --add-scram takes it. */
export function scramArgument(credential: ScramCredential): string {
  if (!/^[\w.-]+$/.test(credential.name))
    throw new ApacheKafkaError(`SCRAM user name "${credential.name}" must be [A-Za-z0-9_.-]`);
  if (/["\\]/.test(credential.password)) throw new ApacheKafkaError('a SCRAM password must not hold " or \\');
  return `${credential.mechanism}=[name=${credential.name},password="${credential.password}"]`;
}

async function formatNode(options: FormatOptions, node: KRaftNode, clusterId: string): Promise<void> {
  const args = [
    ...jvmLoggingArgs(logsDirOf(node)),
    '-cp',
    join(options.libs, '*'),
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    clusterId,
    '--config',
    propertiesFileOf(node),
    ...(options.scramCredentials ?? []).flatMap((credential) => ['--add-scram', scramArgument(credential)]),
  ];
  try {
    await run(options.java, args, { timeout: 120_000 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const detail = `${stdout}${stderr}`.trim().split('\n').slice(-5).join(' | ');
    throw new ApacheKafkaError(
      `Formatting the storage of node ${node.nodeId} in ${node.dir} failed: ${detail || (error as Error).message}`,
    );
  }
}
