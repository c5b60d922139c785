import type { ErrorCode, QuoteFields, ServerFrameEncoder, SymbolInfoFields, Timeframe } from '@tickstream/schemas';
import type { CandleStore } from './candles.js';
import { type Channel, ChannelRegistry } from './channels.js';
import type { MarketState } from './market-state.js';
import type { EdgeMetrics, SendCounts } from './metrics.js';
import { CloseCode, type Session } from './session.js';
import type { SubscriptionSpec } from './subscription.js';
import type { SymbolDirectory } from './symbol-directory.js';
import { WindowDeltas } from './window-deltas.js';

/** Where a channel's Deltas go: uWS's pub/sub in production, one topic per channel. */
export interface TopicPublisher {
  /** Queues `frame` for every socket listening to `topic`; uWS writes them, corked, before the next poll. */
  publish(topic: string, frame: Uint8Array): void;
}

export interface FanOutLimits {
  softBufferBytes: number;
  hardBufferBytes: number;
  slowClientTimeoutMs: number;
  /**
   * Frame pacing: a channel's Delta of fewer updates than this waits one window and goes out with
   * the channel's next Delta, in the same socket write (0: every Delta in its own window).
   */
  frameMinUpdates: number;
}

/** Bars sent on every change of a followed candle: the newest, and the one before it in case it just closed. */
const CANDLE_UPDATE_BARS = 2;
/** Most bars in one update after the analytics job wrote finished bars (it may catch up on many at once). */
const FINAL_UPDATE_BARS = 500;
const NO_CHANGES = new Uint16Array(0);
/**
 * The most a server frame's header adds to its payload in the send buffer (2 bytes, +8 for a
 * 64-bit length): the soft limit's credit counts each frame at its payload plus this. uWS's own
 * pings (a few bytes once per idle timeout) are left out.
 */
const FRAME_HEADER_BYTES = 10;

/**
 * Publishes the market to clients, once per window: the Delta of each channel (encoded and
 * compressed once, published to the channel's uWS topic, which writes the same bytes to every
 * listening member in C++), candle updates, and Snapshots for clients that joined, resynced or
 * drained. It also enforces the slow-client policy: before a channel's Delta is published, a
 * member whose send buffer is above the soft limit stops listening to the topic and is skipped
 * (its seq jumps, so it knows to resync) until it drains, then gets a Snapshot and listens
 * again; one above the hard limit, or stuck above the soft limit for too long, is closed with 4008.
 *
 * Frame pacing: each frame costs a kernel send per member, ~6 µs on loopback whether it carries 5
 * updates or 50, against well under 1 µs of user-space work (docs/benchmarks.md, "Fan-out"). A
 * Delta of fewer than `frameMinUpdates` updates is therefore held for one window and published
 * right before the channel's next one: uWS queues both for each member and writes them corked, in
 * one send. The protocol does not change (two Deltas, consecutive seqs); the held updates arrive
 * one window later. Anything that sends the channel a Snapshot publishes its held Delta first, so
 * a member never sees a Delta older than its Snapshot.
 */
export class FanOut {
  readonly channels: ChannelRegistry<Session>;
  private readonly deltas: WindowDeltas;
  private readonly scratch: Uint16Array;
  private readonly candleFollowers = new Map<number, Set<Session>>();
  /** Followed candle keys that got finished bars from the analytics job since the last window → the oldest bar start. */
  private readonly finalBarsSince = new Map<number, number>();
  private readonly lagging = new Set<Session>();
  /** Channels holding a paced Delta: the next window publishes them whatever changed. */
  private readonly holding = new Set<Channel<Session>>();
  private knownSymbols = 0;
  private ticksAtLastWindow = 0;

  constructor(
    private readonly state: MarketState,
    private readonly directory: SymbolDirectory,
    private readonly candles: CandleStore,
    private readonly encoder: ServerFrameEncoder,
    private readonly epoch: number,
    private readonly limits: FanOutLimits,
    private readonly metrics: EdgeMetrics,
    /** Counted as plain numbers, not in prom-client, because they move on every send; /metrics reads them. */
    readonly sent: SendCounts,
    private readonly topics: TopicPublisher,
  ) {
    this.channels = new ChannelRegistry<Session>(directory);
    this.deltas = new WindowDeltas(state);
    this.scratch = new Uint16Array(state.capacity);
  }

  /** One window: everything that changed since the last one goes out. */
  publish(nowMs: number): void {
    const { state, metrics } = this;
    if (this.directory.size !== this.knownSymbols) {
      this.knownSymbols = this.directory.size;
      for (const channel of this.channels.channels()) if (channel.refresh(this.directory)) channel.needsSnapshot = true;
    }
    // With no client subscribed nor following candles there is nothing to encode nor to time:
    // the window only settles what changed, for a later Snapshot or HTTP quote to read.
    const listened = this.channels.size > 0 || this.candleFollowers.size > 0;
    const changes = listened ? state.sortedChanges() : NO_CHANGES;
    if (changes.length > 0) {
      this.deltas.prepare(changes);
      const nowUs = nowMs * 1000;
      for (let i = 0; i < changes.length; i++) {
        const ageUs = nowUs - (state.current.timeUs[changes[i] as number] as number);
        if (ageUs >= 0) metrics.tickToSendSeconds.observe(ageUs / 1e6);
      }
    }
    if (state.changedCount > 0)
      metrics.conflated.inc(Math.max(0, state.ticksApplied - this.ticksAtLastWindow - state.changedCount));
    this.ticksAtLastWindow = state.ticksApplied;

    if (changes.length > 0 || this.holding.size > 0) {
      const minUpdates = this.limits.frameMinUpdates;
      // Rebuilt below: a channel dropped with its last member while holding has nobody to send to.
      this.holding.clear();
      for (const channel of this.channels.channels()) {
        // A Snapshot is due: sendSnapshot publishes the held Delta before it.
        if (state.dayRolled || channel.needsSnapshot) continue;
        const count = changes.length > 0 ? this.collect(channel, changes) : 0;
        const batch = count > 0 ? this.deltas.encode(channel.spec.all ? changes : this.scratch, count) : null;
        if (batch === null || batch.count === 0) {
          this.publishHeld(channel, nowMs);
          continue;
        }
        channel.seq++;
        const frame = this.encoder.delta(this.epoch, channel.seq, batch);
        if (batch.count < minUpdates && channel.heldFrame === null && channel.listeners > 0) {
          channel.heldFrame = frame;
          channel.heldUpdates = batch.count;
          this.holding.add(channel);
          continue;
        }
        this.publishHeld(channel, nowMs);
        this.publishDelta(channel, frame, batch.count, nowMs);
      }
    }
    if (changes.length > 0 || this.finalBarsSince.size > 0) this.publishCandles();
    const everyoneNeedsSnapshot = state.dayRolled;
    state.settle();
    for (const channel of this.channels.channels()) {
      if (!everyoneNeedsSnapshot && !channel.needsSnapshot) continue;
      channel.needsSnapshot = false;
      channel.seq++;
      for (const member of channel.members) if (!member.lagging) this.sendSnapshot(member);
    }
    for (const session of this.lagging) {
      if (nowMs - session.laggingSinceMs > this.limits.slowClientTimeoutMs) {
        this.closeSlow(session, `no read for ${Math.round(this.limits.slowClientTimeoutMs / 1000)} s`);
      }
    }
  }

  /** Clients skipped for a full send buffer: each window checks whether they drained or timed out. */
  get hasLaggards(): boolean {
    return this.lagging.size > 0;
  }

  /** Paced Deltas wait for the next window, which must come even if nothing changes. */
  get holdsDeltas(): boolean {
    return this.holding.size > 0;
  }

  /** The channel's held Delta, if any, goes out now: before its next Delta or a Snapshot. */
  private publishHeld(channel: Channel<Session>, nowMs: number): void {
    const frame = channel.heldFrame;
    if (frame === null) return;
    channel.heldFrame = null;
    this.publishDelta(channel, frame, channel.heldUpdates, nowMs);
  }

  private publishDelta(channel: Channel<Session>, frame: Uint8Array, updates: number, nowMs: number): void {
    if (channel.publishedBytes > channel.softCheckAt) this.muteLaggards(channel, nowMs);
    this.topics.publish(channel.topic, frame);
    channel.publishedBytes += frame.length + FRAME_HEADER_BYTES;
    this.countDelta(channel, frame.length, updates);
  }

  /** The ids of `channel` that changed, ascending, into `scratch`; returns how many. */
  private collect(channel: Channel<Session>, changes: Uint16Array): number {
    if (channel.spec.all) return changes.length;
    const scratch = this.scratch;
    let count = 0;
    const bitmap = channel.bitmap;
    if (bitmap !== null) {
      // A large channel: walk the (usually fewer) changes and test membership.
      for (let i = 0; i < changes.length; i++) {
        const id = changes[i] as number;
        if (bitmap[id] === 1) scratch[count++] = id;
      }
      return count;
    }
    const isChanged = this.state.isChanged;
    const ids = channel.ids;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (isChanged[id] === 1) scratch[count++] = id;
    }
    return count;
  }

  /**
   * Members of `channel` over the soft limit stop listening before its Delta goes out (uWS's own
   * limit is 4× the hard one). Only members whose `softCheckAt` the channel's Deltas have passed
   * are asked for their buffer: one that was empty needs asking after ~soft limit ÷ Delta size
   * windows, not every window. Asking every member every window cost as much CPU as uWS's native
   * publish itself at 5k clients in pages of 50 (docs/edge.md, "Fan-out").
   */
  private muteLaggards(channel: Channel<Session>, nowMs: number): void {
    const soft = this.limits.softBufferBytes;
    const published = channel.publishedBytes;
    let next = Number.POSITIVE_INFINITY;
    for (const member of channel.members) {
      if (member.listeningTo !== channel || member.outlet === null) continue;
      if (published > member.softCheckAt) {
        const buffered = member.outlet.bufferedAmount();
        if (buffered > soft) {
          this.mute(member, nowMs);
          continue;
        }
        member.softCheckAt = published + soft - buffered;
      }
      if (member.softCheckAt < next) next = member.softCheckAt;
    }
    channel.softCheckAt = next;
  }

  /** Over the soft limit: off the topic (its seq jumps) until it drains. */
  private mute(member: Session, nowMs: number): void {
    member.lagging = true;
    member.laggingSinceMs = nowMs;
    this.lagging.add(member);
    this.stopListening(member);
  }

  /** A published Delta, counted as the frames uWS writes for it: one per listening member. */
  private countDelta(channel: Channel<Session>, bytes: number, updates: number): void {
    const sent = this.sent;
    const listeners = channel.listeners;
    sent.frames.set('delta', (sent.frames.get('delta') ?? 0) + listeners);
    sent.bytes += bytes * listeners;
    sent.updates += updates * listeners;
    sent.skipped += channel.members.size - listeners;
  }

  /** Subscribes the socket to its channel's topic, unless it is lagging (it listens again once drained). */
  private startListening(session: Session): void {
    const channel = session.channel;
    if (session.listeningTo === channel) return;
    this.stopListening(session);
    if (channel === null || session.lagging || session.closed || session.outlet === null) return;
    session.outlet.listen(channel.topic);
    channel.listeners++;
    session.listeningTo = channel;
    this.creditSoftLimit(session, channel, session.outlet.bufferedAmount());
  }

  /** `buffered` bytes are in the socket now: it may take Deltas until the soft limit before it is asked again. */
  private creditSoftLimit(session: Session, channel: Channel<Session>, buffered: number): void {
    session.softCheckAt = channel.publishedBytes + this.limits.softBufferBytes - buffered;
    if (session.softCheckAt < channel.softCheckAt) channel.softCheckAt = session.softCheckAt;
  }

  private stopListening(session: Session): void {
    const channel = session.listeningTo;
    if (channel === null) return;
    // uWS unsubscribes a closed socket itself, and the socket may no longer be touched.
    if (!session.closed) session.outlet?.unlisten(channel.topic);
    channel.listeners--;
    session.listeningTo = null;
  }

  /** The socket drained: a lagging client gets a Snapshot and Deltas again. */
  drained(session: Session): void {
    if (!session.lagging || session.outlet === null) return;
    if (session.outlet.bufferedAmount() > this.limits.softBufferBytes / 2) return;
    session.lagging = false;
    this.lagging.delete(session);
    this.sendError(session, 8 as ErrorCode, 'you fell behind: Deltas were skipped; here is a fresh Snapshot');
    this.sendSnapshot(session);
    this.startListening(session);
  }

  private closeSlow(session: Session, why: string): void {
    if (session.closed) return;
    this.lagging.delete(session);
    this.metrics.slowCloses.inc();
    session.logger.warn({ bufferedBytes: session.outlet?.bufferedAmount() ?? 0 }, `slow client dropped: ${why}`);
    session.outlet?.close(CloseCode.SlowConsumer, `slow consumer: ${why}`.slice(0, 120));
  }

  /** Moves a client to the channel of `spec` and sends it that channel's Snapshot. */
  subscribe(session: Session, spec: SubscriptionSpec): void {
    session.spec = spec;
    // Off the old topic before the channel is left, so that its listener count stays right.
    this.stopListening(session);
    session.channel = this.channels.join(session, spec, session.channel);
    this.sendSnapshot(session);
    this.startListening(session);
  }

  sendSnapshot(session: Session): void {
    // A lagging client gets its Snapshot when it drains; sending one now would only pile up.
    if (session.lagging) return;
    const channel = session.channel;
    if (channel === null) {
      this.send(session, this.encoder.snapshot(this.epoch, 0, [], []), 'snapshot');
      return;
    }
    // The Snapshot's seq counts the held Delta: the members get that Delta before any Snapshot.
    this.publishHeld(channel, Date.now());
    if (channel.snapshotSeq !== channel.seq || channel.snapshotFrame === null) {
      const symbols: SymbolInfoFields[] = [];
      const quotes: QuoteFields[] = [];
      for (const id of channel.ids) {
        symbols.push({ id, name: this.directory.names[id] as string, sector: this.directory.sectors[id] as string });
        quotes.push(this.state.published.row(id));
      }
      channel.snapshotFrame = this.encoder.snapshot(this.epoch, channel.seq, symbols, quotes);
      channel.snapshotSeq = channel.seq;
    }
    this.send(session, channel.snapshotFrame, 'snapshot');
  }

  followCandles(session: Session, symbolId: number, timeframe: Timeframe, limit: number): void {
    this.unfollowCandles(session);
    session.candles = { symbolId, timeframe };
    const key = symbolId * 8 + timeframe;
    let followers = this.candleFollowers.get(key);
    if (followers === undefined) {
      followers = new Set();
      this.candleFollowers.set(key, followers);
    }
    followers.add(session);
    const bars = this.candles.bars(symbolId, timeframe, limit);
    this.send(session, this.encoder.candles(this.epoch, 0, symbolId, timeframe, bars, bars), 'candles');
  }

  /** The analytics job finished a bar: its followers get it (with indicators) in the next window. */
  finalBar(symbolId: number, timeframe: Timeframe, startTimeUs: number): void {
    const key = symbolId * 8 + timeframe;
    if (!this.candleFollowers.has(key)) return;
    const since = this.finalBarsSince.get(key);
    if (since === undefined || startTimeUs < since) this.finalBarsSince.set(key, startTimeUs);
  }

  private publishCandles(): void {
    for (const [key, followers] of this.candleFollowers) {
      const symbolId = Math.floor(key / 8);
      const finalSince = this.finalBarsSince.get(key);
      if (this.state.isChanged[symbolId] !== 1 && finalSince === undefined) continue;
      const timeframe = (key % 8) as Timeframe;
      const bars =
        finalSince === undefined
          ? this.candles.bars(symbolId, timeframe, CANDLE_UPDATE_BARS)
          : this.candles.between(symbolId, timeframe, finalSince, Number.POSITIVE_INFINITY, FINAL_UPDATE_BARS);
      const frame = this.encoder.candles(this.epoch, 0, symbolId, timeframe, bars, bars);
      for (const session of followers) if (!session.lagging) this.send(session, frame, 'candles');
    }
    this.finalBarsSince.clear();
  }

  /** Frames for everyone connected (market events, Kafka status). */
  broadcast(sessions: Iterable<Session>, frame: Uint8Array, type: string): void {
    for (const session of sessions) if (!session.lagging) this.send(session, frame, type);
  }

  pong(clientTimeUs: number, serverTimeUs: number): Uint8Array {
    return this.encoder.pong(this.epoch, clientTimeUs, serverTimeUs);
  }

  sendError(session: Session, code: ErrorCode, message: string, requestId = 0): void {
    this.metrics.clientErrors.inc({ code: String(code) });
    this.send(session, this.encoder.error(this.epoch, code, message, requestId), 'error');
  }

  send(session: Session, frame: Uint8Array, type: string): void {
    if (session.closed || session.outlet === null) return;
    const buffered = session.outlet.bufferedAmount();
    if (buffered + frame.length > this.limits.hardBufferBytes) {
      this.closeSlow(
        session,
        `${buffered} bytes unsent, the next frame would pass the hard limit of ${this.limits.hardBufferBytes}`,
      );
      return;
    }
    session.outlet.send(frame);
    // Read anyway for the hard limit: the soft limit's credit is exact again for free.
    if (session.listeningTo !== null)
      this.creditSoftLimit(session, session.listeningTo, buffered + frame.length + FRAME_HEADER_BYTES);
    this.sent.frames.set(type, (this.sent.frames.get(type) ?? 0) + 1);
    this.sent.bytes += frame.length;
  }

  /** A closed client leaves its channel and candle followers. */
  forget(session: Session): void {
    session.closed = true;
    this.stopListening(session);
    if (session.channel) this.channels.leave(session, session.channel);
    session.channel = null;
    this.unfollowCandles(session);
    this.lagging.delete(session);
  }

  private unfollowCandles(session: Session): void {
    if (session.candles === null) return;
    const key = session.candles.symbolId * 8 + session.candles.timeframe;
    const followers = this.candleFollowers.get(key);
    followers?.delete(session);
    if (followers?.size === 0) this.candleFollowers.delete(key);
    session.candles = null;
  }
}
