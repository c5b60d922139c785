import { DEFAULT_MAX_FRAME_BYTES, ServerFrameEncoder } from '@tickstream/schemas';
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

  /** What a frame adds to the buffer: its payload and its header (2 bytes, 4 above 125). */
  write(frame: Uint8Array): void {
    this.buffered += frame.length + (frame.length <= 125 ? 2 : 4);
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

function setUp(): { fanOut: FanOut; state: MarketState; sessions: Session[]; sockets: SendBuffer[] } {
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
  });
  const sockets: SendBuffer[] = [];
  // uWS's pub/sub: a published frame lands in every socket listening to its topic.
  const topics: TopicPublisher = {
    publish(topic, frame) {
      for (const socket of sockets) if (socket.topics.has(topic)) socket.write(frame);
    },
  };
  const encoder = new ServerFrameEncoder({ lz4: nodeLz4, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES });
  const limits = { softBufferBytes: SOFT, hardBufferBytes: 1 << 20, slowClientTimeoutMs: 3_600_000 };
  const fanOut = new FanOut(state, directory, new CandleStore(SYMBOLS), encoder, 1, limits, metrics, sent, topics);
  const logger = createLogger({ component: 'edge', level: 'silent' });
  const spec = { all: false, symbols: new Set(directory.names.slice(0, SYMBOLS)), sectors: new Set<string>() };
  const sessions: Session[] = [];
  for (let id = 0; id < 20; id++) {
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
  }
  return { fanOut, state, sessions, sockets };
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
