import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadStaticFiles, type StaticFile } from '@tickstream/edge';
import {
  type DeltaBatch,
  decodeClientFrame,
  decodeServerFrame,
  ErrorCode,
  encodeDeltaFrame,
  type HelloFields,
  ProtocolError,
  type QuoteFields,
  ServerFrameEncoder,
  type SymbolInfoFields,
} from '@tickstream/schemas';
import { type WebSocket, WebSocketServer } from 'ws';
import { FRAME_OPTIONS, type Recording, readRecording } from './feed-recording.js';

/**
 * Plays a recorded feed (feed-recording.ts) to the built dashboard, unchanged (issue 25): the
 * dashboard's files at `/`, the recorded stream on `/ws`, at the pace it was recorded.
 *
 * - Hello carries the recorded epoch, so every recorded frame belongs to it.
 * - Subscribe and Resync are answered with the recorded Snapshot, then the Deltas follow at their
 *   recorded times. When the recording ends, it starts again with the Snapshot: the stream's seq
 *   goes on rising (the Snapshot takes the last Delta's seq, the replayed Deltas follow it), so
 *   the page sees one stream that keeps going, as from an edge.
 * - The first pass sends the recorded bytes as they are. Later passes write each Delta's frame
 *   again with its new seq (a copy of its data behind a new envelope).
 * - A gap in the recording stays a gap: the page asks for a Resync, which restarts the pass.
 * - A page that cannot take the frames (more than 1 MiB queued) is skipped, as the edge skips a
 *   slow client, and sent a fresh Snapshot once its socket drains.
 *
 * HTTP: /api/session answers as a single-user edge would, so the page streams at once; the rest
 * of /api is 404 (a replay has no candles, movers or events).
 */
export interface ReplayCounters {
  connections: number;
  subscribes: number;
  resyncs: number;
  snapshots: number;
  deltas: number;
  updates: number;
  passes: number;
  skippedDeltas: number;
}

interface RecordedDelta {
  atMs: number;
  bytes: Uint8Array;
  seq: number;
  batch: DeltaBatch;
}

const SLOW_CLIENT_BYTES = 1 << 20;
const SESSION = JSON.stringify({ user: 'replay', role: 'viewer', auth: false, signIn: false });

export class FeedReplayServer {
  readonly counters: ReplayCounters = {
    connections: 0,
    subscribes: 0,
    resyncs: 0,
    snapshots: 0,
    deltas: 0,
    updates: 0,
    passes: 0,
    skippedDeltas: 0,
  };
  private readonly hello: HelloFields;
  private readonly snapshotSeq: number;
  private readonly symbols: SymbolInfoFields[];
  private readonly quotes: QuoteFields[];
  private readonly deltas: RecordedDelta[];
  private readonly encoder = new ServerFrameEncoder(FRAME_OPTIONS);
  private readonly playbacks = new Set<Playback>();

  private constructor(
    recording: Recording,
    private readonly http: Server,
    private readonly sockets: WebSocketServer,
  ) {
    const hello = decodeServerFrame(recording.hello, FRAME_OPTIONS);
    const snapshot = decodeServerFrame(recording.snapshot, FRAME_OPTIONS);
    if (hello.type !== 'hello' || snapshot.type !== 'snapshot')
      throw new RangeError('recording does not start Hello, Snapshot');
    this.hello = hello;
    this.snapshotSeq = snapshot.seq;
    this.symbols = snapshot.symbols;
    this.quotes = snapshot.quotes;
    this.deltas = recording.deltas.map((frame) => {
      const delta = decodeServerFrame(frame.bytes, FRAME_OPTIONS);
      if (delta.type !== 'delta') throw new RangeError(`a recorded frame after the Snapshot is a ${delta.type}`);
      if (delta.epoch !== hello.epoch)
        throw new RangeError(`a recorded Delta has epoch ${delta.epoch}, the Hello ${hello.epoch}`);
      const batch = { count: delta.count, baseTimeUs: delta.baseTimeUs, data: delta.data };
      return { atMs: frame.atMs, bytes: frame.bytes, seq: delta.seq, batch };
    });
  }

  /** Serves `recording` and the files of `staticDir` (the built dashboard) on 127.0.0.1:`port` (0: any). */
  static async start(options: { recording: Recording; staticDir: string; port?: number }): Promise<FeedReplayServer> {
    const files = loadStaticFiles(options.staticDir);
    if (!files.has('/index.html'))
      throw new Error(`no index.html in ${options.staticDir}: build the dashboard (npm run build)`);
    const http = createServer((req, res) => serveHttp(req, res, files));
    const sockets = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
    const server = new FeedReplayServer(options.recording, http, sockets);
    sockets.on('connection', (socket) => server.accept(socket));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, '127.0.0.1', resolve);
    });
    return server;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async close(): Promise<void> {
    for (const playback of this.playbacks) playback.stop();
    for (const socket of this.sockets.clients) socket.terminate();
    await new Promise<void>((resolve) => this.sockets.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    this.counters.connections++;
    const playback = new Playback(this, socket);
    this.playbacks.add(playback);
    // A reset connection ends in 'close' as well; without a listener 'error' would throw.
    socket.on('error', () => {});
    socket.on('close', () => {
      playback.stop();
      this.playbacks.delete(playback);
    });
    socket.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) {
        socket.send(
          this.encoder.error(this.hello.epoch, ErrorCode.MalformedFrame, 'text messages are not part of the protocol'),
        );
        return;
      }
      try {
        const message = decodeClientFrame(new Uint8Array(data), FRAME_OPTIONS);
        if (message.type === 'subscribe') {
          this.counters.subscribes++;
          playback.restart();
        } else if (message.type === 'resync') {
          this.counters.resyncs++;
          playback.restart();
        } else if (message.type === 'ping') {
          socket.send(this.encoder.pong(this.hello.epoch, message.clientTimeUs, Date.now() * 1000));
        }
        // Everything else (alerts, orders, candles, replays) has no answer in a recording.
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        socket.send(this.encoder.error(this.hello.epoch, ErrorCode.MalformedFrame, error.message));
      }
    });
    socket.send(this.encoder.hello({ ...this.hello, serverTimeUs: Date.now() * 1000 }));
  }

  /** @internal The Snapshot of a pass whose stream is at `seq`. */
  snapshotFrame(seq: number): Uint8Array {
    this.counters.snapshots++;
    return this.encoder.snapshot(this.hello.epoch, seq, this.symbols, this.quotes);
  }

  /** @internal Delta `index` of the recording, numbered for a pass whose Snapshot took `snapshotSeq`. */
  deltaFrame(index: number, snapshotSeq: number): { frame: Uint8Array; seq: number } {
    const delta = this.deltas[index] as RecordedDelta;
    const seq = delta.seq - this.snapshotSeq + snapshotSeq;
    this.counters.deltas++;
    this.counters.updates += delta.batch.count;
    if (seq === delta.seq) return { frame: delta.bytes, seq };
    return { frame: encodeDeltaFrame(this.hello.epoch, seq >>> 0, 0, delta.batch), seq };
  }

  /** @internal */
  get recorded(): { deltas: readonly RecordedDelta[]; snapshotSeq: number } {
    return { deltas: this.deltas, snapshotSeq: this.snapshotSeq };
  }
}

/** One connection's pass through the recording, restarted by Subscribe, Resync, the end, or a drained slow socket. */
class Playback {
  private timer: NodeJS.Timeout | null = null;
  private next = 0;
  private startedAt = 0;
  private passSnapshotSeq = 0;
  /** The seq of the last Snapshot or Delta sent: where the stream is. */
  private streamSeq: number;

  constructor(
    private readonly server: FeedReplayServer,
    private readonly socket: WebSocket,
  ) {
    this.streamSeq = server.recorded.snapshotSeq;
  }

  restart(): void {
    this.stop();
    this.server.counters.passes++;
    this.passSnapshotSeq = this.streamSeq;
    this.socket.send(this.server.snapshotFrame(this.passSnapshotSeq));
    this.next = 0;
    this.startedAt = performance.now();
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const { deltas } = this.server.recorded;
    const upcoming = deltas[this.next];
    if (upcoming === undefined) {
      // The end: the next pass starts one mean Delta interval later, as the next window would.
      if (deltas.length === 0) return;
      const interval = (deltas.at(-1)?.atMs ?? 0) / deltas.length;
      this.timer = setTimeout(() => this.restart(), interval);
      return;
    }
    const wait = Math.max(0, this.startedAt + upcoming.atMs - performance.now());
    this.timer = setTimeout(() => this.sendDue(), wait);
  }

  private sendDue(): void {
    this.timer = null;
    const { deltas } = this.server.recorded;
    const now = performance.now();
    while (this.next < deltas.length && this.startedAt + (deltas[this.next] as RecordedDelta).atMs <= now) {
      if (this.socket.bufferedAmount > SLOW_CLIENT_BYTES) {
        this.server.counters.skippedDeltas++;
        this.awaitDrain();
        return;
      }
      const { frame, seq } = this.server.deltaFrame(this.next, this.passSnapshotSeq);
      this.socket.send(frame);
      this.streamSeq = seq;
      this.next++;
    }
    this.schedule();
  }

  /** The edge's slow-client rule, simplified: send nothing until the socket has drained, then a fresh Snapshot. */
  private awaitDrain(): void {
    const poll = (): void => {
      if (this.socket.readyState !== this.socket.OPEN) return;
      if (this.socket.bufferedAmount > 0) {
        this.timer = setTimeout(poll, 5);
        return;
      }
      this.restart();
    };
    this.timer = setTimeout(poll, 5);
  }
}

function serveHttp(req: IncomingMessage, res: ServerResponse, files: Map<string, StaticFile>): void {
  const path = new URL(req.url ?? '/', 'http://replay').pathname;
  if (path === '/api/session') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(SESSION);
    return;
  }
  const file = path.startsWith('/api/') ? undefined : files.get(path === '/' ? '/index.html' : path);
  if (file === undefined) {
    res
      .writeHead(404, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ error: `not found: ${path} (a feed replay serves the dashboard and /ws only)` }));
    return;
  }
  const gzip = file.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  res.writeHead(200, {
    'Content-Type': file.type,
    'Cache-Control': 'no-cache',
    ...(gzip ? { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : {}),
  });
  res.end(gzip ? file.gzip : file.body);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // node bench/dist/feed-replay-server.js bench/recordings/feed-50000.tsfeed [port]: the dashboard on a recording, until Ctrl-C.
  const [file, port] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/dist/feed-replay-server.js RECORDING.tsfeed [PORT]\n');
    process.exit(2);
  }
  const server = await FeedReplayServer.start({
    recording: readRecording(file),
    staticDir: fileURLToPath(new URL('../../dashboard/dist', import.meta.url)),
    port: Number(port ?? 0),
  });
  process.stdout.write(`dashboard on a recorded feed: ${server.url}\n`);
  process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
}
