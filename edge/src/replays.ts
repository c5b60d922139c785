import {
  type ClientMessageFields,
  decodeMarketEvent,
  ErrorCode,
  type MarketEventFields,
  ProtocolError,
  type QuoteFields,
  ReplayAction,
  type ReplayStartFields,
  ReplayState,
  type ReplayStatusFields,
  type ServerFrameEncoder,
  type SymbolInfoFields,
  TickReader,
  type Timeframe,
} from '@tickstream/schemas';
import type { Admin } from 'kafkajs';
import { CandleStore } from './candles.js';
import type { FanOut } from './fan-out.js';
import { MarketState } from './market-state.js';
import { ReplayReader } from './replay-reader.js';
import type { Session } from './session.js';
import { addToSpec, resolveSpec, type SubscriptionSpec } from './subscription.js';
import { SymbolDirectory } from './symbol-directory.js';
import { TickIngest } from './tick-ingest.js';
import { WindowDeltas } from './window-deltas.js';

const TICKS = 0;
const MIN_SPEED = 0.25;
const MAX_SPEED = 100;
const DEFAULT_STEP_US = 1_000_000;
/** Bars sent on a change of a followed candle: the newest, and the one before in case it just closed (as live). */
const CANDLE_UPDATE_BARS = 2;
/** Bars a replay keeps per symbol and timeframe (at most: fewer where the edge keeps fewer). */
const REPLAY_BARS_KEPT = 600;
/** A replay's clock stays this far behind now: later ticks may not have reached Kafka yet. */
const LIVE_MARGIN_US = 2_000_000;
/** What Kafka retains is asked again after this long (ListOffsets and one Fetch per partition). */
const RETAINED_TTL_MS = 10_000;
/** A window late by more than this (a stalled loop) advances the clock by this much only. */
const MAX_WINDOW_GAP_MS = 250;

export interface ReplayLimits {
  /** Replays one edge runs at once; more get ReplayLimit. */
  maxReplays: number;
  /**
   * Event time read before a replay's start, ms: the replayed state at T is what an edge started
   * at T with this much history would show (the edge's --history by default).
   */
  replayWarmupMs: number;
  /** Main-thread time all replays together may take per window, ms (wall time, decoding included). */
  replayMsPerWindow: number;
  /** A replaying client with more than this unsent gets no new window until it reads (its backpressure). */
  softBufferBytes: number;
  /** The edge's window, ms: a replay's warm-up reads one slice per window. */
  windowMs: number;
  /** Symbols a replay can hold. */
  maxSymbols: number;
  barsKept: readonly number[];
}

export interface ReplaySetting {
  brokers: string[];
  clientId: string;
  ticksTopic: string;
  eventsTopic: string;
  /** ListOffsets by timestamp and the topics' ends (kafkajs, as the tick consumer's history). */
  admin: Admin;
  /** Replays read with the edge's own Fetch reader, which speaks PLAINTEXT only. */
  secured: boolean;
  encoder: ServerFrameEncoder;
  epoch: number;
  fanOut: FanOut;
  limits: ReplayLimits;
  log: (line: string) => void;
}

/** One replay's market: its own symbols, state and candles, built from Kafka's records alone. */
class ReplayMarket {
  readonly directory: SymbolDirectory;
  readonly state: MarketState;
  readonly candles: CandleStore;
  readonly ingest: TickIngest;
  readonly deltas: WindowDeltas;
  /** Ids the replay's subscription covers, ascending, and as a bitmap. */
  ids: Uint16Array = new Uint16Array(0);
  member: Uint8Array;
  readonly scratch: Uint16Array;
  knownSymbols = 0;

  constructor(capacity: number, barsKept: readonly number[], log: (line: string) => void) {
    this.directory = new SymbolDirectory(capacity);
    this.state = new MarketState(capacity);
    // A replay's charts need what one screen shows, not the live edge's days of bars: its memory is per replay.
    this.candles = new CandleStore(
      capacity,
      barsKept.map((kept) => Math.min(kept, REPLAY_BARS_KEPT)),
    );
    this.ingest = new TickIngest(this.directory, this.state, this.candles, log);
    this.deltas = new WindowDeltas(this.state);
    this.member = new Uint8Array(capacity);
    this.scratch = new Uint16Array(capacity);
  }

  /** Whether the subscription covers new symbols since last asked (then a Snapshot, not a Delta, goes out). */
  refresh(spec: SubscriptionSpec): boolean {
    if (this.directory.size === this.knownSymbols) return false;
    this.knownSymbols = this.directory.size;
    this.ids = resolveSpec(spec, this.directory);
    this.member.fill(0);
    for (const id of this.ids) this.member[id] = 1;
    return true;
  }
}

/**
 * One connection's replay (docs/protocol.md, "Replay"): a private reader of `ticks` and
 * `market_events` from the offsets Kafka gives for its start time, its own market built from
 * those records alone, and a clock in event time that each window moves by the wall time passed
 * × speed. Every window's changes go out as one Delta on the replay channel, the events of that
 * time as MarketEvents, and a ReplayStatus with the clock. Operations run one after another.
 */
class Replay {
  state = ReplayState.Loading;
  clockUs = 0;
  speed = 1;
  fromUs = 0;
  toUs = 0;
  detail = '';
  seq = 0;
  /** Advance to this clock and pause there (Step). */
  stepToUs = 0;
  /** Built by each load (null before the first): a fresh market per start or seek. */
  market: ReplayMarket | null = null;
  readonly reader: ReplayReader;
  private readonly tick = new TickReader();
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  lastWindowMs = 0;
  /**
   * Event time a window cut short (out of time, or waiting for Kafka) left unplayed, µs: the next
   * windows play it on top of their own, so short stalls do not slow the replay; at most one
   * stalled window's worth (MAX_WINDOW_GAP_MS × speed), so a replay the budget cannot keep at
   * its speed falls behind instead of racing.
   */
  owedUs = 0;
  private pendingEvents: MarketEventFields[] = [];
  /** The replay's candles this client follows (CandleSubscribe with `replay`), by symbol name. */
  candles: { symbol: string; timeframe: Timeframe; limit: number } | null = null;

  constructor(
    readonly session: Session,
    readonly spec: SubscriptionSpec,
    private readonly service: Replays,
    private readonly setting: ReplaySetting,
    private readonly capacity: number,
  ) {
    this.reader = new ReplayReader({
      brokers: setting.brokers,
      clientId: `${setting.clientId}-replay-${session.id}`,
      topics: [setting.ticksTopic, setting.eventsTopic],
      timeOf: (topic, value) => this.timeOf(topic, value),
    });
  }

  /** Runs `operation` after those before it; a failure stops the replay with its reason. */
  run(operation: () => Promise<void>): void {
    this.queued++;
    this.queue = this.queue
      // A stopped replay (by its client, a replacement, a closed connection) does nothing more.
      .then(() => (this.stopped ? undefined : operation()))
      .catch((error: Error) => this.stop(`Kafka read failed: ${error.message}`))
      .finally(() => {
        this.queued--;
      });
  }

  /** An operation is running or waiting: the window does not queue another advance. */
  get busy(): boolean {
    return this.queued > 0;
  }

  /** Loads the market at `atUs`: the warm-up before it into fresh state, then a Snapshot at `atUs`. */
  async load(atUs: number, retainedFromUs: number): Promise<void> {
    const { admin, ticksTopic, eventsTopic, limits } = this.setting;
    this.state = ReplayState.Loading;
    this.clockUs = atUs;
    this.stepToUs = 0;
    this.detail = `loading the market at ${new Date(atUs / 1000).toISOString()}`;
    this.sendStatus(retainedFromUs);
    const warmFromMs = Math.floor(atUs / 1000) - limits.replayWarmupMs;
    const [ticks, events] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(ticksTopic, Math.max(0, warmFromMs)),
      admin.fetchTopicOffsetsByTimestamp(eventsTopic, Math.floor(atUs / 1000)),
    ]);
    // A replay replaced or closed meanwhile sends nothing more (the channel is its successor's).
    if (this.stopped) return;
    const offsets = new Map<string, number>();
    for (const { partition, offset } of ticks) offsets.set(`${ticksTopic}:${partition}`, Number(offset));
    for (const { partition, offset } of events) offsets.set(`${eventsTopic}:${partition}`, Number(offset));
    await this.reader.seek(offsets);
    if (this.stopped) return;
    const market = new ReplayMarket(this.capacity, limits.barsKept, this.setting.log);
    this.market = market;
    // The warm-up is read in slices of the windows' replay time, after each live window, never in one go.
    for (;;) {
      await this.service.nextTurn();
      if (this.stopped) return;
      const taken = this.reader.take(atUs, this.service.sliceEnd(), (topic, value) =>
        this.applyRecord(topic, value, false),
      );
      if (taken.waiting) await this.reader.whenFetched();
      else if (!taken.budgetSpent) break;
      if (this.stopped) return;
    }
    market.state.settle();
    market.refresh(this.spec);
    this.sendSnapshot();
    this.sendCandles(this.candles?.limit ?? 0);
    this.lastWindowMs = Date.now();
    this.owedUs = 0;
  }

  /** One window: the clock moves by the wall time since the last × speed (or toward a Step's end). */
  async advance(nowMs: number, retainedFromUs: number): Promise<void> {
    const elapsedMs = Math.min(nowMs - this.lastWindowMs, MAX_WINDOW_GAP_MS);
    this.lastWindowMs = nowMs;
    const stepping = this.stepToUs > 0;
    let targetUs = stepping ? this.stepToUs : this.clockUs + this.owedUs + elapsedMs * 1000 * this.speed;
    if (this.toUs > 0) targetUs = Math.min(targetUs, this.toUs);
    const liveUs = nowMs * 1000 - LIVE_MARGIN_US;
    const capped = targetUs >= liveUs;
    if (capped) targetUs = Math.max(this.clockUs, liveUs);
    const taken = this.reader.take(targetUs, this.service.sliceEnd(), (topic, value) =>
      this.applyRecord(topic, value, true),
    );
    // Out of time or waiting for Kafka: the clock stops at the last record played, the rest next
    // window; unless capped at live with every partition read to its end (only asked again).
    const cut = (taken.budgetSpent || taken.waiting) && !(capped && taken.atEnd);
    this.clockUs = cut ? Math.max(this.clockUs, taken.lastTimeUs) : targetUs;
    this.owedUs = cut && !stepping ? Math.min(targetUs - this.clockUs, MAX_WINDOW_GAP_MS * 1000 * this.speed) : 0;
    if (!cut) {
      if (this.toUs > 0 && this.clockUs >= this.toUs) {
        this.state = ReplayState.Ended;
        this.detail = `reached ${new Date(this.toUs / 1000).toISOString()}`;
      } else if (capped && this.toUs === 0) {
        this.state = ReplayState.Ended;
        this.detail = 'caught up with the live stream';
      } else if (stepping) {
        this.stepToUs = 0;
        this.state = ReplayState.Paused;
        this.detail = 'paused after a step';
      }
    }
    const send = (): void => {
      this.publish();
      this.sendStatus(retainedFromUs);
    };
    // The window's frames (Delta, events, status) leave in one write: a syscall each was main-thread time outside the budget.
    const outlet = this.session.outlet;
    if (outlet === null || this.session.closed) send();
    else outlet.cork(send);
  }

  get stopped(): boolean {
    return this.state === ReplayState.Stopped;
  }

  stop(detail: string): void {
    if (this.stopped) return;
    this.state = ReplayState.Stopped;
    this.detail = detail;
    this.sendStatus(this.service.knownRetainedFromUs());
    this.reader.close();
    this.service.ended(this);
  }

  private timeOf(topic: number, value: Buffer): number {
    try {
      if (topic === TICKS) {
        this.tick.read(value);
        return this.tick.exchangeTimeUs;
      }
      return decodeMarketEvent(value).timeUs;
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return Number.NaN;
    }
  }

  private applyRecord(topic: number, value: Buffer, playing: boolean): void {
    if (topic === TICKS) {
      this.market?.ingest.apply(value);
      return;
    }
    // Events before the replay's start are the past of its past: only those it plays through are news.
    if (!playing) return;
    try {
      this.pendingEvents.push(decodeMarketEvent(value));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
  }

  /** The window's changes: one Delta (or a Snapshot when symbols appeared or a day rolled), then its events. */
  private publish(): void {
    const market = this.market;
    if (market === null) return;
    const { state, deltas, scratch, member } = market;
    const { fanOut, encoder, epoch } = this.setting;
    const grew = market.refresh(this.spec);
    const changes = state.sortedChanges();
    const followed = this.candles === null ? undefined : market.directory.idOf(this.candles.symbol);
    if (followed !== undefined && state.isChanged[followed] === 1) this.sendCandles(CANDLE_UPDATE_BARS);
    if (grew || state.dayRolled) {
      state.settle();
      this.sendSnapshot();
    } else if (changes.length > 0) {
      deltas.prepare(changes);
      let count = 0;
      let ids = changes;
      if (!this.spec.all) {
        for (let i = 0; i < changes.length; i++) {
          const id = changes[i] as number;
          if (member[id] === 1) scratch[count++] = id;
        }
        ids = scratch;
      } else count = changes.length;
      if (count > 0) {
        const batch = deltas.encode(ids, count);
        if (batch.count > 0) {
          this.seq++;
          fanOut.send(this.session, encoder.delta(epoch, this.seq, batch), 'replay-delta');
        }
      }
      state.settle();
    }
    for (const event of this.pendingEvents)
      fanOut.send(this.session, encoder.marketEvent(epoch, 0, event), 'replay-market-event');
    this.pendingEvents = [];
  }

  /** The followed candles' newest `bars` (the history after a load, the two newest after a change). */
  sendCandles(bars: number): void {
    const market = this.market;
    if (market === null || this.candles === null || bars === 0) return;
    const id = market.directory.idOf(this.candles.symbol);
    if (id === undefined) return;
    const list = market.candles.bars(id, this.candles.timeframe, bars);
    const { fanOut, encoder, epoch } = this.setting;
    fanOut.send(this.session, encoder.candles(epoch, 0, id, this.candles.timeframe, list, list), 'replay-candles');
  }

  private sendSnapshot(): void {
    if (this.market === null) return;
    const { directory, state, ids } = this.market;
    const symbols: SymbolInfoFields[] = [];
    const quotes: QuoteFields[] = [];
    for (const id of ids) {
      symbols.push({ id, name: directory.names[id] as string, sector: directory.sectors[id] as string });
      quotes.push(state.published.row(id));
    }
    this.seq++;
    const { fanOut, encoder, epoch } = this.setting;
    fanOut.send(this.session, encoder.snapshot(epoch, this.seq, symbols, quotes), 'replay-snapshot');
  }

  sendStatus(retainedFromUs: number): void {
    const status: ReplayStatusFields = {
      state: this.state,
      clockUs: Math.round(this.clockUs),
      speed: this.speed,
      fromUs: this.fromUs,
      toUs: this.toUs,
      retainedFromUs,
      detail: this.detail,
    };
    const { fanOut, encoder, epoch } = this.setting;
    fanOut.send(this.session, encoder.replayStatus(epoch, status), 'replay-status');
  }
}

/**
 * The edge's replays (docs/protocol.md, "Replay"): at most `maxReplays` at once, one per
 * connection, each paced by its client's backpressure and by a share of each window's time, so
 * replays never hold up the live fan-out (which runs first in every window).
 */
export class Replays {
  private readonly active = new Map<Session, Replay>();
  private retained: { fromUs: number; askedMs: number } | null = null;
  /** This window's replay time: it ends at `endMs` (performance.now()), shared by `turnsLeft` turns. */
  private readonly budget = { endMs: 0, turnsLeft: 0 };
  /** Loading replays waiting for the next window to read a slice of their warm-up. */
  private turnWaiters: (() => void)[] = [];
  /** Who goes first in a window rotates, so no replay always gets only the leftovers. */
  private rotation = 0;

  constructor(private readonly setting: ReplaySetting) {}

  get size(): number {
    return this.active.size;
  }

  /** The oldest time Kafka retained when last asked (0: not asked yet). */
  knownRetainedFromUs(): number {
    return this.retained?.fromUs ?? 0;
  }

  /**
   * The end (performance.now() ms) of the slice of this window's replay time that the replay
   * asking now may use: an equal part of what is left, so time one replay leaves unused goes to
   * those after it, and all replays together stay within --replay-ms-per-window.
   */
  sliceEnd(): number {
    const nowMs = performance.now();
    const turns = Math.max(1, this.budget.turnsLeft);
    this.budget.turnsLeft = turns - 1;
    return nowMs + Math.max(0, this.budget.endMs - nowMs) / turns;
  }

  /** Settles at the next window, after its live fan-out: a loading replay's turn to read. */
  nextTurn(): Promise<void> {
    return new Promise((resolve) => this.turnWaiters.push(resolve));
  }

  /** A ReplayStart or ReplayControl of `session`. */
  receive(session: Session, message: Extract<ClientMessageFields, { type: 'replay-start' | 'replay-control' }>): void {
    if (message.type === 'replay-start') this.start(session, message);
    else this.control(session, message.action, message);
  }

  private refuse(session: Session, code: ErrorCode, message: string): void {
    this.setting.fanOut.sendError(session, code, message);
  }

  private start(session: Session, request: ReplayStartFields): void {
    const { limits, secured } = this.setting;
    const problem = startProblem(request, Date.now() * 1000);
    if (secured) {
      this.refuse(
        session,
        ErrorCode.InvalidReplay,
        'replay reads Kafka with the edge’s own Fetch reader, which speaks PLAINTEXT only: not available with Kafka TLS/SASL',
      );
      return;
    }
    if (problem !== null) {
      this.refuse(session, ErrorCode.InvalidReplay, `${problem}: no replay started`);
      return;
    }
    const previous = this.active.get(session);
    if (previous === undefined && this.active.size >= limits.maxReplays) {
      this.refuse(
        session,
        ErrorCode.ReplayLimit,
        `this edge runs at most ${limits.maxReplays} replays at once (--max-replays): try again later`,
      );
      return;
    }
    // Replaced without a Stopped status: the new replay's statuses follow on the same channel.
    if (previous !== undefined) this.forget(session);
    const spec =
      request.symbols.length === 0 && request.sectors.length === 0
        ? session.spec
        : addToSpec({ all: false, symbols: new Set(), sectors: new Set() }, request.symbols, request.sectors);
    const replay = new Replay(session, spec, this, this.setting, limits.maxSymbols);
    replay.fromUs = request.fromUs;
    replay.toUs = request.toUs;
    replay.speed = request.speed;
    this.active.set(session, replay);
    replay.run(async () => {
      const retainedFromUs = await this.retainedFromUs();
      if (replay.stopped) return;
      if (request.fromUs < retainedFromUs) {
        this.active.delete(session);
        replay.reader.close();
        this.refuse(
          session,
          ErrorCode.InvalidReplay,
          `${iso(request.fromUs)} is before the oldest tick Kafka retains (${iso(retainedFromUs)}): no replay started`,
        );
        return;
      }
      await replay.load(request.fromUs, retainedFromUs);
      if (replay.stopped) return;
      replay.state = request.paused ? ReplayState.Paused : ReplayState.Playing;
      replay.detail = request.paused ? 'paused at the start' : `playing at ${request.speed}×`;
      replay.sendStatus(retainedFromUs);
    });
  }

  private control(
    session: Session,
    action: ReplayAction,
    values: { speed: number; toUs: number; stepUs: number },
  ): void {
    const replay = this.active.get(session);
    if (replay === undefined) {
      this.refuse(session, ErrorCode.InvalidReplay, 'this connection has no replay: send ReplayStart first');
      return;
    }
    switch (action) {
      case ReplayAction.Play:
      case ReplayAction.Pause:
        replay.run(async () => {
          if (replay.state === ReplayState.Loading || replay.state === ReplayState.Stopped) return;
          replay.state = action === ReplayAction.Play ? ReplayState.Playing : ReplayState.Paused;
          replay.stepToUs = 0;
          replay.detail = action === ReplayAction.Play ? `playing at ${replay.speed}×` : 'paused';
          replay.lastWindowMs = Date.now();
          replay.owedUs = 0;
          replay.sendStatus(this.retained?.fromUs ?? 0);
        });
        return;
      case ReplayAction.Speed:
        if (!(values.speed >= MIN_SPEED && values.speed <= MAX_SPEED)) {
          this.refuse(
            session,
            ErrorCode.InvalidReplay,
            `speed ${values.speed} is outside ${MIN_SPEED}-${MAX_SPEED}: unchanged`,
          );
          return;
        }
        replay.run(async () => {
          replay.speed = values.speed;
          if (replay.state === ReplayState.Playing) replay.detail = `playing at ${replay.speed}×`;
          replay.sendStatus(this.retained?.fromUs ?? 0);
        });
        return;
      case ReplayAction.Seek: {
        const problem = timeProblem(values.toUs, Date.now() * 1000);
        if (problem !== null) {
          this.refuse(session, ErrorCode.InvalidReplay, `seek: ${problem}: unchanged`);
          return;
        }
        replay.run(async () => {
          const retainedFromUs = await this.retainedFromUs();
          if (replay.stopped) return;
          if (values.toUs < retainedFromUs) {
            this.refuse(
              session,
              ErrorCode.InvalidReplay,
              `seek: ${iso(values.toUs)} is before the oldest tick Kafka retains (${iso(retainedFromUs)}): unchanged`,
            );
            return;
          }
          const resume =
            replay.state === ReplayState.Playing || replay.state === ReplayState.Loading
              ? ReplayState.Playing
              : ReplayState.Paused;
          if (replay.toUs > 0 && values.toUs >= replay.toUs) replay.toUs = 0;
          await replay.load(values.toUs, retainedFromUs);
          if (replay.stopped) return;
          replay.state = resume;
          replay.detail = resume === ReplayState.Playing ? `playing at ${replay.speed}×` : 'paused after a seek';
          replay.sendStatus(retainedFromUs);
        });
        return;
      }
      case ReplayAction.Step: {
        const stepUs = values.stepUs === 0 ? DEFAULT_STEP_US : values.stepUs;
        if (!(Number.isFinite(stepUs) && stepUs > 0)) {
          this.refuse(session, ErrorCode.InvalidReplay, `step of ${values.stepUs} µs: must be above 0`);
          return;
        }
        replay.run(async () => {
          if (replay.state === ReplayState.Loading || replay.state === ReplayState.Stopped) return;
          replay.stepToUs = replay.clockUs + stepUs;
          replay.state = ReplayState.Playing;
          replay.detail = `stepping ${stepUs / 1e6} s`;
        });
        return;
      }
      case ReplayAction.Stop:
        replay.run(async () => replay.stop('stopped by the client'));
        return;
      default: {
        this.refuse(session, ErrorCode.InvalidReplay, `unknown replay action ${action}`);
        return;
      }
    }
  }

  /**
   * Each window, after the live fan-out: every playing replay whose client keeps up moves on, and
   * every loading one reads a slice of its warm-up. They run one after another once this returns
   * (as microtasks, before any other event), each within its slice of the window's replay time.
   */
  window(nowMs: number): void {
    const retainedFromUs = this.retained?.fromUs ?? 0;
    const replays = [...this.active.values()];
    const first = replays.length === 0 ? 0 : this.rotation++ % replays.length;
    const moving: Replay[] = [];
    for (const replay of [...replays.slice(first), ...replays.slice(0, first)]) {
      if (replay.busy || replay.state !== ReplayState.Playing) {
        if (!replay.busy) replay.lastWindowMs = nowMs;
        continue;
      }
      const outlet = replay.session.outlet;
      if (outlet === null || outlet.bufferedAmount() > this.setting.limits.softBufferBytes / 2) {
        replay.lastWindowMs = nowMs;
        continue;
      }
      moving.push(replay);
    }
    const waiters = this.turnWaiters;
    this.turnWaiters = [];
    this.budget.endMs = performance.now() + this.setting.limits.replayMsPerWindow;
    this.budget.turnsLeft = moving.length + waiters.length;
    for (const replay of moving) replay.run(() => replay.advance(nowMs, retainedFromUs));
    for (const resolve of waiters) resolve();
  }

  /** CandleSubscribe with `replay`: the replay's candles of one symbol, history now (once loaded) and each change. */
  followCandles(session: Session, symbol: string, timeframe: Timeframe, limit: number): void {
    const replay = this.active.get(session);
    if (replay === undefined) {
      this.refuse(session, ErrorCode.InvalidReplay, 'candles of a replay: this connection has no replay');
      return;
    }
    replay.run(async () => {
      replay.candles = { symbol, timeframe, limit };
      if (replay.state !== ReplayState.Loading) replay.sendCandles(limit);
    });
  }

  /** The connection closed: its replay ends with it. */
  forget(session: Session): void {
    const replay = this.active.get(session);
    if (replay === undefined) return;
    replay.state = ReplayState.Stopped;
    replay.reader.close();
    this.active.delete(session);
  }

  /** @internal A replay stopped (by its client, a replacement, or a Kafka failure). */
  ended(replay: Replay): void {
    if (this.active.get(replay.session) === replay) this.active.delete(replay.session);
  }

  stop(): void {
    for (const session of [...this.active.keys()]) this.forget(session);
    // Loading replays waiting for a window see they stopped.
    for (const resolve of this.turnWaiters) resolve();
    this.turnWaiters = [];
  }

  /** From when on every partition of `ticks` still holds its records (µs), asked at most every 10 s. */
  private async retainedFromUs(): Promise<number> {
    const nowMs = Date.now();
    if (this.retained !== null && nowMs - this.retained.askedMs < RETAINED_TTL_MS) return this.retained.fromUs;
    const { admin, ticksTopic, brokers, clientId } = this.setting;
    const tick = new TickReader();
    const reader = new ReplayReader({
      brokers,
      clientId: `${clientId}-retained`,
      topics: [ticksTopic],
      timeOf: (_topic, value) => {
        try {
          tick.read(value);
          return tick.exchangeTimeUs;
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          return 0;
        }
      },
    });
    try {
      const oldest = await admin.fetchTopicOffsets(ticksTopic);
      await reader.seek(new Map(oldest.map((p) => [`${ticksTopic}:${p.partition}`, Number(p.low)])));
      const fromUs = await reader.firstTimeUs();
      this.retained = { fromUs, askedMs: nowMs };
      return fromUs;
    } finally {
      reader.close();
    }
  }
}

/** What is wrong with a ReplayStart before Kafka is asked, or null. */
function startProblem(request: ReplayStartFields, nowUs: number): string | null {
  const time = timeProblem(request.fromUs, nowUs);
  if (time !== null) return time;
  if (request.toUs !== 0 && !(request.toUs > request.fromUs))
    return `to ${request.toUs} µs is not after from ${request.fromUs} µs`;
  if (!(request.speed >= MIN_SPEED && request.speed <= MAX_SPEED))
    return `speed ${request.speed} is outside ${MIN_SPEED}-${MAX_SPEED}`;
  return null;
}

function timeProblem(timeUs: number, nowUs: number): string | null {
  if (!(Number.isFinite(timeUs) && timeUs > 0)) return `time ${timeUs} µs is not a time`;
  if (timeUs > nowUs) return `${iso(timeUs)} is in the future`;
  return null;
}

function iso(timeUs: number): string {
  return new Date(timeUs / 1000).toISOString();
}
