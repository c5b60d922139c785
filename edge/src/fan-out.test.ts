import {
  applyDelta,
  DEFAULT_MAX_FRAME_BYTES,
  decodeServerFrame,
  QuoteTable,
  ServerFrameEncoder,
} from '@tickstream/schemas';
import { createLogger } from '@tickstream/schemas/logger';
import { nodeLz4 } from '@tickstream/schemas/lz4-node';
import { describe, expect, it } from 'vitest';
import { CandleStore } from './candles.js';
import { FanOut, type TopicPublisher } from './fan-out.js';
import { MarketState } from './market-state.js';
import { EdgeMetrics, type SendCounts } from './metrics.js';
import { RateLimiter } from './rate-limiter.js';
import type { Outlet, Session } from './session.js';
import { EMPTY_SPEC } from './subscription.js';
import { SymbolDirectory } from './symbol-directory.js';

/**
 * The slow-client policy's soft limit without asking every socket every window. In production
 * uWS holds the sockets and its pub/sub writes the Deltas (edge-failure.test.ts drives that
 * path end to end); here a socket is its send buffer alone, so the test can say in which window
 * it passed the limit and count how often the fan-out asked.
 */
class SendBuffer implements Outlet {
  buffered = 0;
  asked = 0;
  readonly topics = new Set<string>();
  /** Every frame written, in order: what the client would read. */
  readonly frames: Uint8Array[] = [];

  /** What a frame adds to the buffer: its payload and its header (2 bytes, 4 above 125). */
  write(frame: Uint8Array): void {
    this.buffered += frame.length + (frame.length <= 125 ? 2 : 4);
    this.frames.push(frame);
  }
  send(frame: Uint8Array): boolean {
    this.write(frame);
    return true;
  }
  bufferedAmount(): number {
    this.asked++;
    return this.buffered;
  }
  cork(send: () => void): void {
    send();
  }
  listen(topic: string): void {
    this.topics.add(topic);
  }
  unlisten(topic: string): void {
    this.topics.delete(topic);
  }
  close(): void {}
}

const SYMBOLS = 50;
const SOFT = 20_000;

interface Setup {
  fanOut: FanOut;
  state: MarketState;
  sessions: Session[];
  sockets: SendBuffer[];
  /** A client on its own socket, subscribed to the page the others follow. */
  join: () => { session: Session; socket: SendBuffer };
}

function setUp(frameMinUpdates = 0, clients = 20): Setup {
  const directory = new SymbolDirectory(SYMBOLS);
  const state = new MarketState(SYMBOLS);
  for (let i = 0; i < SYMBOLS; i++) directory.intern(`S${i}`, 'Tech');
  const sent: SendCounts = { frames: new Map(), bytes: 0, updates: 0, skipped: 0 };
  const zero = (): number => 0;
  const metrics = new EdgeMetrics(sent, {
    ticks: zero,
    badRecords: zero,
    lateTicks: zero,
    finalBars: zero,
    candleBytes: zero,
    fetches: zero,
  });
  const sockets: SendBuffer[] = [];
  // uWS's pub/sub: a published frame lands in every socket listening to its topic.
  const topics: TopicPublisher = {
    publish(topic, frame) {
      for (const socket of sockets) if (socket.topics.has(topic)) socket.write(frame);
    },
  };
  const encoder = new ServerFrameEncoder({ lz4: nodeLz4, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES });
  const limits = { softBufferBytes: SOFT, hardBufferBytes: 1 << 20, slowClientTimeoutMs: 3_600_000, frameMinUpdates };
  const fanOut = new FanOut(state, directory, new CandleStore(SYMBOLS), encoder, 1, limits, metrics, sent, topics);
  const logger = createLogger({ component: 'edge', level: 'silent' });
  const spec = { all: false, symbols: new Set(directory.names.slice(0, SYMBOLS)), sectors: new Set<string>() };
  const sessions: Session[] = [];
  const join = (): { session: Session; socket: SendBuffer } => {
    const id = sessions.length;
    const socket = new SendBuffer();
    sockets.push(socket);
    const session: Session = {
      id,
      logger,
      principal: { user: 'local', role: 'admin', expiresAtMs: Number.POSITIVE_INFINITY },
      followsAlerts: false,
      followsTrading: false,
      outlet: socket,
      spec: EMPTY_SPEC,
      channel: null,
      listeningTo: null,
      candles: null,
      limiter: new RateLimiter(100, 100, 0),
      lagging: false,
      laggingSinceMs: 0,
      softCheckAt: 0,
      closed: false,
    };
    sessions.push(session);
    fanOut.subscribe(session, spec);
    return { session, socket };
  };
  for (let i = 0; i < clients; i++) join();
  return { fanOut, state, sessions, sockets, join };
}

/** Every symbol ticks once: a full Delta for the window. */
function tickAll(state: MarketState, window: number): void {
  for (let id = 0; id < SYMBOLS; id++) {
    const price = 1_000_000 + ((window * 7919 + id * 104_729) % 50_000);
    state.apply(id, price, 100 + window, price - 100, price + 100, (1_700_000_000_000 + window * 25) * 1000);
  }
}

describe('fan-out: the soft limit', () => {
  it('skips a socket from the first window it is over the soft limit, asking only sockets that could be', () => {
    const { fanOut, state, sessions, sockets } = setUp();
    const stuck = sockets[0] as SendBuffer;
    let overAt = -1;
    let mutedAt = -1;
    const windows = 400;
    for (let window = 0; window < windows && mutedAt < 0; window++) {
      // The others read everything between windows; the stuck one reads nothing.
      for (const socket of sockets) if (socket !== stuck) socket.buffered = 0;
      if (overAt < 0 && stuck.buffered > SOFT) overAt = window;
      tickAll(state, window);
      fanOut.publish(1_700_000_000_000 + window * 25);
      if ((sessions[0] as Session).lagging) mutedAt = window;
    }
    expect(overAt).toBeGreaterThan(10);
    // Asking every socket every window would mute it in this same window.
    expect(mutedAt).toBe(overAt);
    expect(sessions.slice(1).some((session) => session.lagging)).toBe(false);
    expect(stuck.topics.size).toBe(0);
    // Each socket asked once when it started listening, then at most once per soft limit of Deltas.
    const asked = sockets.reduce((sum, socket) => sum + socket.asked, 0);
    expect(asked).toBeLessThan(sockets.length * 4 + overAt);
    expect(sockets.length * (overAt + 1)).toBeGreaterThan(asked * 10);
  });

  it('counts frames sent to one socket alone (a Snapshot) against its soft limit', () => {
    const { fanOut, state, sessions, sockets } = setUp();
    const stuck = sockets[0] as SendBuffer;
    const session = sessions[0] as Session;
    tickAll(state, 0);
    fanOut.publish(1_700_000_000_000);
    // Snapshots to it alone until it is just under the limit: only Deltas follow.
    while (stuck.buffered < SOFT - 1000) fanOut.sendSnapshot(session);
    let window = 1;
    for (; window < 50 && !session.lagging; window++) {
      for (const socket of sockets) if (socket !== stuck) socket.buffered = 0;
      const before = stuck.buffered;
      tickAll(state, window);
      fanOut.publish(1_700_000_000_000 + window * 25);
      if (session.lagging) expect(before).toBeGreaterThan(SOFT);
      else expect(before).toBeLessThanOrEqual(SOFT);
    }
    expect(session.lagging).toBe(true);
  });
});

/** A client by the protocol's rules (docs/protocol.md, "Epoch, sequence and resync"), reading one socket. */
class ProtocolClient {
  readonly table = new QuoteTable(SYMBOLS);
  seq = -1;
  gaps = 0;
  deltas = 0;
  private read = 0;

  constructor(private readonly socket: SendBuffer) {}

  /** Reads what arrived since the last call; returns the seqs of the Deltas among it. */
  poll(): number[] {
    const seqs: number[] = [];
    for (; this.read < this.socket.frames.length; this.read++) {
      const message = decodeServerFrame(this.socket.frames[this.read] as Uint8Array, { lz4: nodeLz4 });
      if (message.type === 'snapshot') {
        for (const quote of message.quotes) this.table.setRow(quote.id, quote);
        this.seq = message.seq;
      } else if (message.type === 'delta') {
        seqs.push(message.seq);
        if (message.seq !== this.seq + 1) {
          this.gaps++;
          continue;
        }
        applyDelta(message, this.table);
        this.seq = message.seq;
        this.deltas++;
      }
    }
    return seqs;
  }

  /** Whether its table is the edge's published state. */
  agreesWith(state: MarketState): boolean {
    for (let id = 0; id < SYMBOLS; id++) {
      const mine = this.table.row(id);
      const edge = state.published.row(id);
      if (mine.last !== edge.last || mine.volume !== edge.volume || mine.ticks !== edge.ticks) return false;
    }
    return true;
  }
}

/** `count` symbols from `first` tick once. */
function tickSome(state: MarketState, window: number, first: number, count: number): void {
  for (let id = first; id < first + count; id++) {
    const price = 1_000_000 + ((window * 7919 + id * 104_729) % 50_000);
    state.apply(id, price, 100 + window, price - 100, price + 100, (1_700_000_000_000 + window * 25) * 1000);
  }
}

describe('fan-out: frame pacing', () => {
  const at = (window: number): number => 1_700_000_000_000 + window * 25;

  it('holds a thin Delta one window and publishes it right before the next one; a full Delta goes at once', () => {
    const { fanOut, state, sockets } = setUp(10, 3);
    const clients = sockets.map((socket) => new ProtocolClient(socket));
    for (const client of clients) client.poll();
    const seqsOf = (): number[][] => clients.map((client) => client.poll());

    tickSome(state, 0, 0, 4);
    fanOut.publish(at(0));
    expect(seqsOf()).toEqual([[], [], []]);
    expect(fanOut.holdsDeltas).toBe(true);

    tickSome(state, 1, 10, 4);
    fanOut.publish(at(1));
    const [first = []] = seqsOf();
    expect(first).toHaveLength(2);
    expect(first[1]).toBe((first[0] as number) + 1);
    expect(fanOut.holdsDeltas).toBe(false);

    // Worth a write of its own: not held.
    tickSome(state, 2, 0, 30);
    fanOut.publish(at(2));
    expect(seqsOf().map((seqs) => seqs.length)).toEqual([1, 1, 1]);

    // Held, then the next window has nothing new: the held Delta goes anyway, one window late.
    tickSome(state, 3, 40, 2);
    fanOut.publish(at(3));
    expect(seqsOf().map((seqs) => seqs.length)).toEqual([0, 0, 0]);
    fanOut.publish(at(4));
    expect(seqsOf().map((seqs) => seqs.length)).toEqual([1, 1, 1]);
    expect(fanOut.holdsDeltas).toBe(false);

    for (const client of clients) {
      expect(client.gaps).toBe(0);
      expect(client.deltas).toBe(4);
      expect(client.agreesWith(state)).toBe(true);
    }
  });

  it('publishes a held Delta before any Snapshot: a client joining or resyncing meanwhile sees no stale Delta', () => {
    const { fanOut, state, sessions, sockets, join } = setUp(10, 2);
    const clients = sockets.map((socket) => new ProtocolClient(socket));
    tickSome(state, 0, 0, 3);
    fanOut.publish(at(0));
    expect(fanOut.holdsDeltas).toBe(true);

    // Joins while a Delta is held: its Snapshot already counts that Delta.
    const late = join();
    clients.push(new ProtocolClient(late.socket));
    // Resyncs while the next one is held.
    tickSome(state, 1, 20, 3);
    fanOut.publish(at(1));
    fanOut.sendSnapshot(sessions[0] as Session);
    for (let window = 2; window < 8; window++) {
      tickSome(state, window, (window * 5) % 45, 3);
      fanOut.publish(at(window));
    }
    fanOut.publish(at(8));
    expect(fanOut.holdsDeltas).toBe(false);
    for (const client of clients) {
      client.poll();
      expect(client.gaps).toBe(0);
      expect(client.agreesWith(state)).toBe(true);
    }
  });
});
