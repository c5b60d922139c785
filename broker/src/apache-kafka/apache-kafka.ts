import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApacheKafkaError } from './errors.js';
import { brokerJvmArgs } from './jvm.js';
import {
  type ExtraListener,
  type KRaftNode,
  logsDirOf,
  nodeProperties,
  planNodes,
  propertiesFileOf,
  type ScramCredential,
} from './kraft-config.js';
import { resolveKafkaJars } from './maven.js';
import { probeMetadata } from './metadata-probe.js';
import { findJava, findOnPath } from './prerequisites.js';
import { ensureFormatted } from './storage.js';

export const DEFAULT_KAFKA_VERSION = '4.4.0';

export interface ApacheKafkaOptions {
  /** 1 or 3 combined controller+broker nodes (any count from 1 to 9 works). Default 1. */
  nodes?: number;
  /** First broker port; the others and the controller ports follow it. 0 picks free ports. Default 9092. */
  port?: number;
  host?: string;
  /** Holds node-1/, node-2/ … Default ./data/kafka. */
  dataDir?: string;
  kafkaVersion?: string;
  /** Refuse a data dir formatted for another cluster id; by default a formatted dir keeps its own. */
  clusterId?: string;
  /** Jar cache root; default $TICKSTREAM_CACHE or ~/.cache/tickstream. */
  cacheRoot?: string;
  /** Largest heap per node, as for -Xmx. Default 1g. */
  maxHeap?: string;
  /** Extra or overriding server.properties entries for every node. */
  properties?: Record<string, string | number | boolean>;
  /**
   * Client listeners beside PLAINTEXT on every node (e.g. `saslPlainListener({ alice: 'pw' })`).
   * Their ports follow the controller ports (or are free ones with port 0); `listeners` gives
   * each one's bootstrap. Brokers talk to each other and readiness is probed on PLAINTEXT.
   */
  extraListeners?: readonly ExtraListener[];
  /** SCRAM logins for SASL listeners, written into the metadata when the storage is first formatted. */
  scramCredentials?: readonly ScramCredential[];
  /** Environment for finding java/mvn and for the JVMs. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Progress lines (resolution, formatting, readiness). Kafka's own log stays in each node's logs/. */
  log?: (line: string) => void;
  /** How long all nodes get to answer Metadata. Default 180 s (a cold JVM on two busy cores is slow). */
  startTimeoutMs?: number;
}

export interface ApacheKafka {
  /** `host:port,host:port…` of every node's broker listener. */
  bootstrap: string;
  /** The bootstrap of each extra listener, by its name. */
  listeners: Record<string, string>;
  brokers: string[];
  clusterId: string;
  nodes: readonly KRaftNode[];
  /** SIGKILLs one node's JVM (by node id, 1-based) and waits until it is gone. */
  kill(nodeId: number): Promise<void>;
  /** Starts a stopped or killed node again on the same folder and ports; resolves once it serves Metadata. */
  restart(nodeId: number): Promise<void>;
  /** The JVM's pid while the node runs. */
  pid(nodeId: number): number | undefined;
  /** SIGTERMs every node (Kafka shuts down cleanly), SIGKILLs what is left after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/** Every JVM this process started and has not yet seen exit; killed if Node exits first. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const jvm of running) jvm.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * Runs Apache Kafka itself (KRaft, every node both controller and broker) from Maven Central
 * jars and resolves once every node answers Metadata listing all brokers. On any failure
 * nothing started stays running.
 */
export async function startApacheKafka(options: ApacheKafkaOptions = {}): Promise<ApacheKafka> {
  const count = options.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 9) {
    throw new ApacheKafkaError(`--nodes must be between 1 and 9 (1 or 3 are the tested ones), not ${count}.`);
  }
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir ?? './data/kafka');
  const log = options.log ?? (() => {});
  const firstPort = options.port ?? 9092;
  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);

  const java = await findJava(env);
  const libs = await resolveKafkaJars({
    kafkaVersion: options.kafkaVersion ?? DEFAULT_KAFKA_VERSION,
    cacheRoot: options.cacheRoot,
    env,
    log,
  });

  const extraListeners = options.extraListeners ?? [];
  for (const listener of extraListeners) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(listener.name) || ['PLAINTEXT', 'CONTROLLER'].includes(listener.name)) {
      throw new ApacheKafkaError(
        `Listener name "${listener.name}" must be A-Z, 0-9, _ and not PLAINTEXT or CONTROLLER.`,
      );
    }
  }
  const portCount = count * (2 + extraListeners.length);
  const allPorts =
    firstPort === 0 ? await freePorts(host, portCount) : Array.from({ length: portCount }, (_, i) => firstPort + i);
  // Brokers from firstPort, then controllers, then each extra listener (as planConsecutivePorts).
  const ports = Array.from({ length: count }, (_, i) => ({
    brokerPort: allPorts[i] as number,
    controllerPort: allPorts[count + i] as number,
  }));
  const nodes = planNodes(dataDir, host, ports).map((node, i) => ({
    ...node,
    extraListeners: extraListeners.map((listener, j) => ({
      ...listener,
      port: allPorts[(2 + j) * count + i] as number,
    })),
  }));
  for (const node of nodes) {
    await assertPortFree(host, node.brokerPort, `the broker listener of node ${node.nodeId}`, firstPort);
    await assertPortFree(host, node.controllerPort, `the controller listener of node ${node.nodeId}`, firstPort);
    for (const listener of node.extraListeners) {
      await assertPortFree(host, listener.port, `the ${listener.name} listener of node ${node.nodeId}`, firstPort);
    }
  }
  for (const node of nodes) {
    await mkdir(logsDirOf(node), { recursive: true });
    await writeFile(propertiesFileOf(node), nodeProperties(node, nodes, options.properties));
  }
  const clusterId = await ensureFormatted({
    java,
    libs,
    dataDir,
    nodes,
    clusterId: options.clusterId,
    scramCredentials: options.scramCredentials,
  });

  // setpriv makes the kernel SIGTERM the JVM when this process dies, even by SIGKILL.
  const setpriv = process.platform === 'linux' ? findOnPath('setpriv', env) : undefined;
  const children = new Map<number, ChildProcess>();
  const maxHeap = options.maxHeap ?? '1g';

  const spawnNode = (node: KRaftNode): ChildProcess => {
    const logsDir = logsDirOf(node);
    const jvm = [...brokerJvmArgs(logsDir, maxHeap), '-cp', join(libs, '*'), 'kafka.Kafka', propertiesFileOf(node)];
    const [command, args] = setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', java, ...jvm]] : [java, jvm];
    // The JVM writes straight into a file: it never blocks on a pipe this process is too busy to drain.
    const output = openSync(join(logsDir, 'stdout.log'), 'a');
    try {
      const child = spawn(command, args, { env, stdio: ['ignore', output, output], detached: false });
      track(child);
      children.set(node.nodeId, child);
      return child;
    } finally {
      closeSync(output);
    }
  };

  const waitReady = async (node: KRaftNode, child: ChildProcess, until: number): Promise<void> => {
    let lastProblem = 'no answer yet';
    while (Date.now() < until) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new ApacheKafkaError(`Kafka node ${node.nodeId} exited during startup: ${explainNodeFailure(node)}`);
      }
      try {
        const cluster = await probeMetadata(host, node.brokerPort, 2000);
        if (cluster.brokers.length >= nodes.length) return;
        lastProblem = `it lists ${cluster.brokers.length} of ${nodes.length} brokers`;
      } catch (error) {
        lastProblem = (error as Error).message;
      }
      await sleep(250);
    }
    throw new ApacheKafkaError(
      `Kafka node ${node.nodeId} did not serve Metadata in time (${lastProblem}); see ${join(logsDirOf(node), 'server.log')}.`,
    );
  };

  const stopAll = async (graceMs: number): Promise<void> => {
    const alive = [...children.values()].filter((child) => child.exitCode === null && child.signalCode === null);
    for (const child of alive) child.kill('SIGTERM');
    const exited = Promise.all(alive.map(waitForExit));
    // An unref'd timer: a pending grace period must not keep a finished process (or vitest) alive.
    const graceOver = sleep(graceMs, false, { ref: false });
    if ((await Promise.race([exited.then(() => true), graceOver])) === false) {
      for (const child of alive) child.kill('SIGKILL');
      await exited;
    }
  };

  const started = Date.now();
  log(`Starting ${count} Apache Kafka node(s), cluster id ${clusterId}, data in ${dataDir} …`);
  try {
    for (const node of nodes) spawnNode(node);
    await Promise.all(nodes.map((node) => waitReady(node, children.get(node.nodeId) as ChildProcess, deadline)));
  } catch (error) {
    await stopAll(10_000);
    throw error;
  }
  log(`Apache Kafka is up after ${((Date.now() - started) / 1000).toFixed(1)} s.`);

  const nodeById = (nodeId: number): KRaftNode => {
    const node = nodes.find((candidate) => candidate.nodeId === nodeId);
    if (!node) throw new ApacheKafkaError(`There is no node ${nodeId}; nodes are 1 to ${nodes.length}.`);
    return node;
  };
  const brokers = nodes.map((node) => `${host}:${node.brokerPort}`);
  let closed = false;

  const listeners = Object.fromEntries(
    extraListeners.map((listener, j) => [
      listener.name,
      nodes.map((node) => `${host}:${node.extraListeners[j]?.port}`).join(','),
    ]),
  );

  return {
    bootstrap: brokers.join(','),
    listeners,
    brokers,
    clusterId,
    nodes,
    async kill(nodeId) {
      const child = children.get(nodeById(nodeId).nodeId);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await waitForExit(child);
    },
    async restart(nodeId) {
      if (closed) throw new ApacheKafkaError('This Apache Kafka cluster was closed.');
      const node = nodeById(nodeId);
      const previous = children.get(nodeId);
      if (previous && previous.exitCode === null && previous.signalCode === null) {
        throw new ApacheKafkaError(`Node ${nodeId} is still running; kill it first.`);
      }
      await assertPortFree(host, node.brokerPort, `the broker listener of node ${nodeId}`, firstPort);
      const child = spawnNode(node);
      try {
        await waitReady(node, child, Date.now() + (options.startTimeoutMs ?? 180_000));
      } catch (error) {
        child.kill('SIGKILL');
        await waitForExit(child);
        throw error;
      }
    },
    pid(nodeId) {
      const child = children.get(nodeById(nodeId).nodeId);
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async close(graceMs = 30_000) {
      closed = true;
      await stopAll(graceMs);
    },
  };
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/** The ERROR lines a dying node left in its log, which usually say why (a port, a lock, a bad config). */
function explainNodeFailure(node: KRaftNode): string {
  const logs = logsDirOf(node);
  const lines: string[] = [];
  for (const file of ['server.log', 'stdout.log']) {
    const path = join(logs, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8').slice(-200_000);
    lines.push(...text.split('\n').filter((line) => /\b(ERROR|FATAL)\b|Exception:/.test(line)));
  }
  const last = lines.slice(-3).map((line) => line.trim().slice(0, 400));
  return `${last.length > 0 ? last.join(' | ') : 'no error in its log'} (log: ${join(logs, 'server.log')})`;
}

async function assertPortFree(host: string, port: number, role: string, firstPort: number): Promise<void> {
  const problem = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => done(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(undefined)));
  });
  if (!problem) return;
  const fix =
    firstPort === 0
      ? 'try again'
      : `stop what listens there (\`ss -ltnp 'sport = :${port}'\` shows it) or choose other ports with --port`;
  if (problem.code === 'EADDRINUSE') {
    throw new ApacheKafkaError(`Port ${port} on ${host}, wanted for ${role}, is already in use: ${fix}.`);
  }
  throw new ApacheKafkaError(`Cannot listen on ${host}:${port} for ${role} (${problem.code ?? problem.message}).`);
}

/** Ports the kernel reports free right now; a tiny race with other programs remains, as with any port 0 scheme. */
async function freePorts(host: string, count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((done, fail) => {
          const server = createServer();
          server.once('error', fail);
          server.listen(0, host, () => done(server));
        }),
    ),
  );
  const picked = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return picked;
}
