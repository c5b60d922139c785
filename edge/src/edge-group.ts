import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  BalancerStartError,
  checkHaproxyConfig,
  connectionsWithinFdLimit,
  HaproxyMissingError,
  haproxyVersion,
  localBalancerConfig,
  type RunningHaproxy,
  startHaproxy,
} from './haproxy.js';

export interface EdgeGroupOptions {
  edges: number;
  /** The balancer's address: the one port clients use. */
  host: string;
  port: number;
  /** Port of edge i (0-based); 0 lets the edge pick a free one, kept for its restarts. */
  edgePort: (index: number) => number;
  /** Name of edge i, reported in its Hello and /health; its epoch changes at every (re)start. */
  edgeId: (index: number) => string;
  /**
   * The command that runs one edge, e.g. [node, cli/bin/tickstream.js, 'edge', '--brokers', …].
   * The group appends --host 127.0.0.1 --port P --edge-id ID --trust-proxy 127.0.0.1; the edge
   * must say `listening on http://HOST:PORT` on stdout (a plain line, or a JSON log line's msg).
   */
  edgeCommand: string[];
  /** Arguments for edge i only, after edgeCommand's (e.g. `up`'s --brokers through edge i's link proxy). */
  edgeArgs?: (index: number) => string[];
  /** haproxy.cfg is written here (and, with `tls`, the PEM HAProxy serves). */
  dataDir: string;
  /** Clients reach the balancer over TLS with this certificate and key; the edges behind it stay plain. */
  tls?: { certFile: string; keyFile: string } | null;
  checkIntervalMs: number;
  maxConnections: number;
  /** The group's own sentences (an edge exited, HAProxy's). */
  log: (line: string) => void;
  /**
   * Each line an edge writes (stdout and stderr), intact: its JSON log lines carry their own
   * component and instance. Default: `log`.
   */
  relay?: (line: string) => void;
}

export const defaultEdgeGroupOptions = {
  host: '0.0.0.0',
  checkIntervalMs: 500,
  maxConnections: 20_000,
} satisfies Partial<EdgeGroupOptions>;

export interface EdgeProcess {
  readonly index: number;
  readonly id: string;
  port: number;
  pid: number;
  alive: boolean;
}

export interface EdgeGroup {
  /** The balancer's port. */
  port: number;
  configPath: string;
  edges: readonly EdgeProcess[];
  balancerPid: number;
  /** Kills edge i (SIGKILL by default: a crash) and resolves when it is gone. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts edge i again on its port (a new epoch); resolves once it listens. */
  restart(index: number): Promise<void>;
  /** Resolves once every live edge answers /readyz 200 (history loaded, Kafka up, not draining). */
  healthy(timeoutMs?: number): Promise<void>;
  /** Stops the balancer first (no clients left), then the edges at once (SIGINT: nothing to drain). */
  stop(): Promise<void>;
}

interface Slot {
  edge: EdgeProcess;
  child: ChildProcess | null;
  exited: Promise<void>;
  stopping: boolean;
}

/**
 * N edges, each a process of its own on its own port, behind one HAProxy: `tickstream up --edges N`,
 * the scale-out tests and bench/src/scale.ts. Edges know nothing of each other; each reads every
 * partition. HAProxy missing is an error (exit 2) naming the package, never a silent fallback.
 */
export async function startEdgeGroup(options: EdgeGroupOptions): Promise<EdgeGroup> {
  // One edge behind the balancer is allowed: bench/src/scale.ts compares 1 and 2 edges on the same path.
  if (options.edges < 1) throw new Error('an edge group needs at least 1 edge');
  const version = haproxyVersion();
  if (version === null) throw new HaproxyMissingError();
  const log = options.log;
  const slots: Slot[] = [];

  const launch = (slot: Slot): Promise<void> => {
    const edge = slot.edge;
    const [command, ...args] = options.edgeCommand;
    if (command === undefined) throw new Error('edgeCommand is empty');
    const child = spawn(
      command,
      [
        ...args,
        ...(options.edgeArgs?.(edge.index) ?? []),
        '--host',
        '127.0.0.1',
        '--port',
        String(edge.port),
        '--edge-id',
        edge.id,
        '--trust-proxy',
        '127.0.0.1',
      ],
      // Own process group: Ctrl-C in a terminal reaches only the parent, which stops things in order.
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    slot.child = child;
    slot.stopping = false;
    edge.pid = child.pid ?? 0;
    edge.alive = true;
    const relay = options.relay ?? log;
    // Whole lines only: a JSON line split across two chunks must reach the log pipeline as one.
    createInterface({ input: child.stderr as Readable }).on('line', (line) => {
      if (line.trim()) relay(line);
    });
    slot.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        edge.alive = false;
        if (!slot.stopping) log(`${edge.id} exited (${signal ?? `code ${code}`}); the balancer takes it out`);
        resolve();
      }),
    );
    return new Promise((resolve, reject) => {
      let out = '';
      let listening = false;
      createInterface({ input: child.stdout as Readable }).on('line', (line) => {
        if (line.trim()) relay(line);
        if (listening) return;
        out = `${out}${line}\n`.slice(-4000);
        const match = /listening on https?:\/\/[^:\s]+:(\d+)/.exec(line);
        if (match) {
          listening = true;
          edge.port = Number(match[1]);
          resolve();
        }
      });
      void slot.exited.then(() =>
        reject(
          new BalancerStartError(
            `${edge.id} exited before listening on port ${edge.port} (in use?): ${out.trim() || 'see its log above'}`,
          ),
        ),
      );
    });
  };

  const stopEdge = async (slot: Slot, signal: NodeJS.Signals): Promise<void> => {
    const child = slot.child;
    if (!child || !slot.edge.alive) return;
    slot.stopping = true;
    child.kill(signal);
    const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await slot.exited;
    clearTimeout(forced);
  };

  let balancer: RunningHaproxy | null = null;
  // Detached children outlive a parent that dies without stopping them; take them along.
  const killAll = (): void => {
    for (const slot of slots) if (slot.edge.alive) slot.child?.kill('SIGKILL');
    try {
      if (balancer) process.kill(balancer.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killAll);
  try {
    for (let index = 0; index < options.edges; index++) {
      // A fixed port even when the caller has no preference: uWS sets SO_REUSEADDR only on a
      // fixed port, and the TIME_WAIT connections of an edge that listened on port 0 would keep
      // its restart from binding the port it had.
      const port = options.edgePort(index) || (await freePort());
      const slot: Slot = {
        edge: { index, id: options.edgeId(index), port, pid: 0, alive: false },
        child: null,
        exited: Promise.resolve(),
        stopping: false,
      };
      slots.push(slot);
    }
    await Promise.all(slots.map((slot) => launch(slot)));
    mkdirSync(options.dataDir, { recursive: true });
    const configPath = join(options.dataDir, 'haproxy.cfg');
    const tlsPemFile = options.tls ? writeHaproxyPem(options.tls, options.dataDir) : null;
    writeFileSync(
      configPath,
      localBalancerConfig({
        bindHost: options.host,
        port: options.port,
        servers: slots.map(({ edge }) => ({ name: edge.id, host: '127.0.0.1', port: edge.port })),
        maxConnections: connectionsWithinFdLimit(options.maxConnections),
        checkIntervalMs: options.checkIntervalMs,
        tlsPemFile,
      }),
    );
    const invalid = checkHaproxyConfig(configPath);
    if (invalid) throw new BalancerStartError(`the generated ${configPath} does not pass haproxy -c: ${invalid}`);
    if (options.port === 0) throw new Error('the balancer needs a fixed port (pick a free one first)');
    balancer = await startHaproxy(configPath, options.host, options.port, (line) => log(`haproxy: ${line}`));
    log(`haproxy: ${version} on ${options.host}:${options.port}, config ${configPath}`);
    const running = balancer;
    return {
      port: options.port,
      configPath,
      edges: slots.map((slot) => slot.edge),
      balancerPid: running.pid,
      kill: (index, signal = 'SIGKILL') => stopEdge(slotAt(slots, index), signal),
      async restart(index) {
        const slot = slotAt(slots, index);
        await stopEdge(slot, 'SIGTERM');
        await launch(slot);
      },
      async healthy(timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (const { edge } of slots) {
          while (edge.alive && !(await isHealthy(edge.port))) {
            if (Date.now() > deadline) throw new Error(`${edge.id} not healthy within ${timeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      },
      async stop() {
        await running.stop();
        await Promise.all(slots.map((slot) => stopEdge(slot, 'SIGINT')));
        process.off('exit', killAll);
      },
    };
  } catch (error) {
    await balancer?.stop();
    await Promise.all(slots.map((slot) => stopEdge(slot, 'SIGKILL')));
    process.off('exit', killAll);
    throw error;
  }
}

function slotAt(slots: Slot[], index: number): Slot {
  const slot = slots[index];
  if (!slot) throw new Error(`no edge ${index}: the group has ${slots.length}`);
  return slot;
}

/** HAProxy takes the certificate chain and its key from one file: written here, readable by us only. */
function writeHaproxyPem(tls: { certFile: string; keyFile: string }, dir: string): string {
  const path = join(dir, 'tls.pem');
  const pem = [readFileSync(tls.certFile, 'utf8'), readFileSync(tls.keyFile, 'utf8')]
    .map((part) => (part.endsWith('\n') ? part : `${part}\n`))
    .join('');
  writeFileSync(path, pem, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
    server.once('error', reject);
  });
}

async function isHealthy(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
