import {
  type CandlesEvent,
  ErrorCode,
  type MarketEvent,
  type QuoteBook,
  ReplayState,
  type ReplayStatusFields,
  TickstreamClient,
  Timeframe,
} from '@tickstream/client';
import { MarketEventKind, TickEncoder } from '@tickstream/schemas';
import kafkajs from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { selectedBackend, startTestKafka, type TestKafka, uniqueName } from '../../broker/src/testing/kafka-backend.js';
import { defaultProducerOptions, type RunningProducer, startProducer } from '../../producer/dist/index.js';
import type { RunningEdge } from './edge.js';
import { quiet, startTestEdge } from './testing/system.js';

/** One quote as compared: every field a client holds. */
type Row = [last: number, bid: number, ask: number, high: number, low: number, volume: number, timeUs: number];

function row(book: QuoteBook, id: number): Row {
  const t = book.table;
  return [
    t.last[id] as number,
    t.bid[id] as number,
    t.ask[id] as number,
    t.high[id] as number,
    t.low[id] as number,
    t.volume[id] as number,
    t.timeUs[id] as number,
  ];
}

/** Every symbol of a book by name. */
function byName(book: QuoteBook): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (let id = 0; id < book.size; id++) if (book.names[id]) rows.set(book.names[id] as string, row(book, id));
  return rows;
}

/**
 * One entry of what a client applied, in order: a symbol's state, or (replay) the replay's clock
 * after a window. A state is keyed by the symbol and its sequence: the quote's `ticks`, the
 * symbol's ticks that day, which the edge raises by one per tick (docs/protocol.md, "Delta
 * encoding": trades); it is the only per-symbol sequence the protocol carries.
 */
type SymbolState = { symbol: string; seq: number; quote: Row };
type Applied = SymbolState | { clockUs: number };

/**
 * Records, in order, every state a client applied on one channel (Snapshots and Deltas) and, for
 * the replay, its clock after each window (the ReplayStatus that follows each window's Delta).
 */
function recordApplied(client: TickstreamClient, replay: boolean): Applied[] {
  const log: Applied[] = [];
  const keep = (book: QuoteBook, id: number): void => {
    log.push({ symbol: book.names[id] as string, seq: book.table.ticks[id] as number, quote: row(book, id) });
  };
  client.on('snapshot', (book) => {
    if (book.replay !== replay) return;
    for (let id = 0; id < book.size; id++) if (book.names[id]) keep(book, id);
  });
  client.on('update', (batch) => {
    if (batch.replay !== replay) return;
    for (let i = 0; i < batch.count; i++) keep(batch.book, batch.ids[i] as number);
  });
  if (replay)
    client.on('replay', (status) => {
      const playing = status.state === ReplayState.Playing || status.state === ReplayState.Ended;
      if (playing && !client.replayBook.awaitingSnapshot) log.push({ clockUs: status.clockUs });
    });
  return log;
}

/** Per symbol, its states in the order applied. */
function bySymbol(log: readonly Applied[]): Map<string, SymbolState[]> {
  const states = new Map<string, SymbolState[]>();
  for (const entry of log) {
    if (!('symbol' in entry)) continue;
    const list = states.get(entry.symbol);
    if (list === undefined) states.set(entry.symbol, [entry]);
    else list.push(entry);
  }
  return states;
}

/** The quote a client applied for each symbol and sequence ("AAPL#1234"). */
function bySequence(log: readonly Applied[]): Map<string, Row> {
  const states = new Map<string, Row>();
  for (const entry of log) if ('symbol' in entry) states.set(`${entry.symbol}#${entry.seq}`, entry.quote);
  return states;
}

/**
 * A client applied each symbol's states in sequence order: a later state never has a lower
 * sequence, and one with the same sequence is the same quote (a Snapshot repeating it).
 */
function expectInSequence(log: readonly Applied[], who: string): void {
  for (const [symbol, states] of bySymbol(log))
    for (let i = 1; i < states.length; i++) {
      const before = states[i - 1] as SymbolState;
      const after = states[i] as SymbolState;
      if (after.seq === before.seq) expect(after.quote, `${who} ${symbol}#${after.seq} twice`).toEqual(before.quote);
      else expect(after.seq, `${who} ${symbol}: #${after.seq} after #${before.seq}`).toBeGreaterThan(before.seq);
    }
}

/** Where a Row holds the quote's time. */
const TIME_US = 6;
/** Quote times are whole ms: a tick of a quote timed ≤ T − 1 ms happened before event time T. */
const QUOTE_TIME_UNIT_US = 1000;

/**
 * The replayed market after each window equals what the live client applied at the same event
 * time, symbol by symbol and sequence by sequence: at the replay clock T, a symbol's replayed
 * state is at a sequence no lower than the newest the live client applied from before T (no
 * update skipped or late) and holds no tick from after T (none early); a state both applied at
 * the same sequence is the same quote. Returns how many (window, symbol) pairs were bounded by a
 * live state and how many states were compared.
 */
function expectReplayFollowsLive(replayed: readonly Applied[], live: readonly Applied[]) {
  const liveStates = bySymbol(live);
  const liveBySequence = bySequence(live);
  const current = new Map<string, SymbolState>();
  let bounded = 0;
  let compared = 0;
  for (const entry of replayed) {
    if ('symbol' in entry) {
      current.set(entry.symbol, entry);
      const shown = liveBySequence.get(`${entry.symbol}#${entry.seq}`);
      if (shown !== undefined) {
        expect(entry.quote, `${entry.symbol}#${entry.seq}`).toEqual(shown);
        compared++;
      }
      continue;
    }
    const clockUs = entry.clockUs;
    for (const [symbol, state] of current) {
      expect(
        state.quote[TIME_US],
        `${symbol}#${state.seq} replayed at clock ${clockUs}: a tick from after it`,
      ).toBeLessThanOrEqual(clockUs);
      let newestBefore: SymbolState | undefined;
      for (const shown of liveStates.get(symbol) ?? []) {
        if (shown.quote[TIME_US] > clockUs - QUOTE_TIME_UNIT_US) break;
        newestBefore = shown;
      }
      if (newestBefore === undefined) continue;
      expect(
        state.seq,
        `${symbol} at clock ${clockUs}: replayed #${state.seq}, live applied #${newestBefore.seq} before it`,
      ).toBeGreaterThanOrEqual(newestBefore.seq);
      bounded++;
    }
  }
  return { bounded, compared };
}

function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(check, 20);
    };
    check();
  });
}

// A real broker, the real producer (flash-crash scenario) and a real edge; clients are the SDK over real WebSockets.
describe(`replay (${selectedBackend()} backend)`, () => {
  let kafka: TestKafka;
  let producer: RunningProducer;
  let edge: RunningEdge;
  let topic: string;
  let url: string;
  let live: TickstreamClient;
  /** What the live client applied, in order. */
  let liveApplied: Applied[];
  let liveStates: Map<string, Row>;
  let liveFinal: Map<string, Row>;
  let startedMs: number;
  /** The live client applied its first Snapshot then: it was shown every state after this. */
  let liveFromMs: number;
  let stoppedMs: number;
  let eventTimeUs: number;
  const clients: TickstreamClient[] = [];

  const connect = async (): Promise<TickstreamClient> => {
    const client = new TickstreamClient({
      url,
      WebSocket,
      symbols: [],
      reconnect: false,
      pingEveryMs: 0,
    });
    clients.push(client);
    client.connect();
    await until(() => client.state === 'open', 10_000, 'Hello');
    return client;
  };

  /** The client's replay statuses from now on. */
  const statuses = (client: TickstreamClient): ReplayStatusFields[] => {
    const seen: ReplayStatusFields[] = [];
    client.on('replay', (status) => seen.push(status));
    return seen;
  };

  beforeAll(async () => {
    kafka = await startTestKafka();
    topic = uniqueName('replay-ticks');
    producer = await startProducer({
      ...defaultProducerOptions,
      brokers: kafka.brokers,
      topic,
      eventsTopic: `${topic}-events`,
      partitions: 3,
      symbolCount: 40,
      rate: 2000,
      workers: 1,
      clock: 'real',
      scenario: 'flash-crash',
      log: quiet,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Every partition holds ticks from before this: the replays below start after it.
    startedMs = Date.now();
    // Replays warm up from the topic's start, as the live edge's history does: both see every tick.
    edge = await startTestEdge(kafka.brokers, topic, { maxReplays: 3, replayWarmupMs: 600_000 });
    url = `ws://127.0.0.1:${edge.port}/ws`;
    live = new TickstreamClient({
      url,
      WebSocket,
      reconnect: false,
      pingEveryMs: 0,
    });
    clients.push(live);
    liveApplied = recordApplied(live, false);
    live.connect();
    await live.whenLive();
    liveFromMs = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    // A market event in the middle of the run, as the analytics job writes them: a real record in Kafka.
    const writer = new kafkajs.Kafka({ brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).producer();
    await writer.connect();
    eventTimeUs = Date.now() * 1000;
    await writer.send({
      topic: `${topic}-events`,
      messages: [
        {
          key: 'AAPL',
          value: Buffer.from(
            new TickEncoder().encodeMarketEvent({
              kind: MarketEventKind.Halt,
              symbol: 'AAPL',
              sector: 'Technology',
              name: 'halt',
              detail: 'replay test',
              timeUs: eventTimeUs,
            }),
          ),
        },
      ],
    });
    await writer.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await producer.stop();
    stoppedMs = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    liveFinal = byName(live.live);
    liveStates = bySequence(liveApplied);
    // The replay clock stays 2 s behind now: the whole run is behind it from here on.
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }, 240_000);

  // Each test's replaying clients close with it: the edge's --max-replays is 3.
  afterEach(() => {
    for (const client of clients.splice(1)) client.close();
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await edge?.stop();
    await producer?.stop();
    await kafka?.close();
  }, 60_000);

  it('replays the run at 10×: by symbol and sequence, the replayed quotes equal what a live client applied at the same event times; the events come with it, and it ends where the live state ended', async () => {
    const client = await connect();
    const replayed = recordApplied(client, true);
    const seen = statuses(client);
    const wallMs = new Map<ReplayState, number>();
    client.on('replay', (status) => {
      if (!wallMs.has(status.state)) wallMs.set(status.state, Date.now());
    });
    const events: MarketEvent[] = [];
    client.on('event', (event) => events.push(event));
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.message));
    const candles: CandlesEvent[] = [];
    client.on('candles', (event) => candles.push(event));
    client.candles('AAPL', Timeframe.S1, { limit: 50, replay: true });
    const fromUs = (startedMs + 1000) * 1000;
    const toUs = stoppedMs * 1000 + 100_000;
    client.replay.start({ fromUs, toUs, speed: 10, symbols: ['*'] });
    await until(
      () => seen.some((s) => s.state === ReplayState.Ended) || errors.length > 0,
      30_000,
      'the replay to end',
    );
    expect(errors).toEqual([]);

    const playing = seen.find((s) => s.state === ReplayState.Playing);
    const ended = seen.find((s) => s.state === ReplayState.Ended);
    expect(playing?.speed).toBe(10);
    expect(ended?.clockUs).toBe(toUs);
    expect(ended?.detail).toContain('reached');
    expect(ended?.retainedFromUs).toBeGreaterThan(0);
    expect(ended?.retainedFromUs).toBeLessThanOrEqual(fromUs);
    // Paced: the run's event time took a tenth of it in wall time.
    const tookMs = (wallMs.get(ReplayState.Ended) as number) - (wallMs.get(ReplayState.Playing) as number);
    const dueMs = (toUs - fromUs) / 1000 / 10;
    expect(tookMs).toBeGreaterThan(dueMs * 0.7);
    expect(tookMs).toBeLessThan(dueMs * 1.6);

    // Compared by symbol and sequence, in the order applied: a replay that reorders, skips or
    // delays an update fails here, even with the same number of updates.
    expectInSequence(liveApplied, 'live');
    expectInSequence(replayed, 'replay');
    const { bounded, compared } = expectReplayFollowsLive(replayed, liveApplied);
    // Windows conflate differently live and in replay; still, many states are shown to both, and
    // after most windows most symbols have a live state to be held to.
    expect(compared).toBeGreaterThan(200);
    expect(bounded).toBeGreaterThan(300);
    expect(byName(client.replayBook)).toEqual(liveFinal);

    const halt = events.find((event) => event.kind === MarketEventKind.Halt && event.detail === 'replay test');
    expect(halt?.replay).toBe(true);
    expect(halt?.timeUs).toBe(eventTimeUs);

    // The replay's candles, built from the replayed ticks: the history at the start, then each change.
    expect(candles.length).toBeGreaterThan(2);
    expect(candles.every((event) => event.replay && event.symbol === 'AAPL')).toBe(true);
    const newest = candles[candles.length - 1]?.bars.at(-1);
    const aapl = client.replayBook.idOf('AAPL') as number;
    expect(newest?.close).toBe(client.replayBook.table.last[aapl]);
    expect(newest?.startTimeUs).toBe(Math.floor((client.replayBook.table.timeUs[aapl] as number) / 1e6) * 1e6);
    client.replay.stop();
    await until(() => seen.some((s) => s.state === ReplayState.Stopped), 5000, 'stopped');
  }, 60_000);

  it('paces by event time × speed, and a speed change takes effect from the clock where it is', async () => {
    const client = await connect();
    const seen = statuses(client);
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.message));
    client.replay.start({ fromUs: (startedMs + 1500) * 1000, speed: 2, symbols: ['*'] });
    await until(() => seen.some((s) => s.state === ReplayState.Playing) || errors.length > 0, 15_000, 'playing');
    expect(errors).toEqual([]);
    const rate = async (): Promise<number> => {
      const from = seen.length;
      const startMs = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const window = seen.slice(from).filter((s) => s.state === ReplayState.Playing);
      const first = window[0] as ReplayStatusFields;
      const last = window[window.length - 1] as ReplayStatusFields;
      expect(Date.now() - startMs).toBeGreaterThan(1000);
      return (last.clockUs - first.clockUs) / 1000 / (1200 * ((window.length - 1) / window.length));
    };
    const atTwo = await rate();
    client.replay.setSpeed(4);
    await until(() => seen.some((s) => s.speed === 4), 5000, 'the new speed');
    const atFour = await rate();
    expect(atTwo).toBeGreaterThan(1.6);
    expect(atTwo).toBeLessThan(2.4);
    expect(atFour).toBeGreaterThan(3.2);
    expect(atFour).toBeLessThan(4.8);
    client.replay.stop();
    await until(() => seen.some((s) => s.state === ReplayState.Stopped), 5000, 'stopped');
  }, 60_000);

  it('seeks and steps exactly: the state at T is the same from a start at T, a step to T and a seek to T', async () => {
    const atUs = (liveFromMs + 1500) * 1000 + 123_456;
    const a = await connect();
    const aSeen = statuses(a);
    a.replay.start({ fromUs: atUs, paused: true, symbols: ['*'] });
    await until(() => aSeen.some((s) => s.state === ReplayState.Paused), 15_000, 'A paused at T');
    const atStart = byName(a.replayBook);
    expect(atStart.size).toBe(40);

    const b = await connect();
    const bSeen = statuses(b);
    b.replay.start({ fromUs: atUs - 2_000_000, paused: true, symbols: ['*'] });
    await until(() => bSeen.some((s) => s.state === ReplayState.Paused), 15_000, 'B paused at T − 2 s');
    expect(byName(b.replayBook)).not.toEqual(atStart);
    const before = bSeen.length;
    b.replay.step(2_000_000);
    await until(
      () => bSeen.slice(before).some((s) => s.state === ReplayState.Paused),
      15_000,
      'B paused after its step',
    );
    expect(bSeen[bSeen.length - 1]?.clockUs).toBe(atUs);
    expect(byName(b.replayBook)).toEqual(atStart);

    b.replay.seek(atUs - 1_500_000);
    await until(
      () => b.replay.status?.clockUs === atUs - 1_500_000 && !b.replayBook.awaitingSnapshot,
      15_000,
      'seek back',
    );
    expect(byName(b.replayBook)).not.toEqual(atStart);
    b.replay.seek(atUs);
    await until(
      () =>
        b.replay.status?.clockUs === atUs &&
        b.replay.status.state === ReplayState.Paused &&
        !b.replayBook.awaitingSnapshot,
      15_000,
      'seek to T',
    );
    expect(byName(b.replayBook)).toEqual(atStart);

    // And what a live client was shown of those symbols at those ticks is the same.
    let compared = 0;
    for (let id = 0; id < a.replayBook.size; id++) {
      const shown = liveStates.get(`${a.replayBook.names[id]}#${a.replayBook.table.ticks[id]}`);
      if (shown === undefined) continue;
      expect(row(a.replayBook, id)).toEqual(shown);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
    a.replay.stop();
    b.replay.stop();
    await until(() => aSeen.some((s) => s.state === ReplayState.Stopped), 5000, 'A stopped');
    await until(() => bSeen.some((s) => s.state === ReplayState.Stopped), 5000, 'B stopped');
  }, 60_000);

  it('refuses what it cannot serve with a precise error, and at most --max-replays at once', async () => {
    const client = await connect();
    const errors: { code: ErrorCode; message: string }[] = [];
    client.on('error', (error) => errors.push(error));
    client.send({ type: 'replay-control', action: 0, speed: 0, toUs: 0, stepUs: 0 });
    client.replay.start({ fromUs: (startedMs + 1000) * 1000, speed: 500 });
    client.replay.start({ fromUs: (startedMs - 3_600_000) * 1000, speed: 1 });
    client.replay.start({ fromUs: (Date.now() + 60_000) * 1000, speed: 1 });
    await until(() => errors.length >= 4, 10_000, 'four errors');
    expect(errors.map((e) => e.code)).toEqual([
      ErrorCode.InvalidReplay,
      ErrorCode.InvalidReplay,
      ErrorCode.InvalidReplay,
      ErrorCode.InvalidReplay,
    ]);
    // The retention check asks Kafka, so its answer may come after the others.
    const messages = errors.map((e) => e.message);
    for (const expected of ['has no replay', 'speed 500', 'in the future', 'before the oldest tick Kafka retains'])
      expect(
        messages.filter((message) => message.includes(expected)),
        expected,
      ).toHaveLength(1);

    const replaying = await Promise.all([connect(), connect(), connect()]);
    const seen = replaying.map(statuses);
    for (const other of replaying) other.replay.start({ fromUs: (startedMs + 1000) * 1000, paused: true });
    for (const [i] of replaying.entries())
      await until(
        () => (seen[i] as ReplayStatusFields[]).some((s) => s.state === ReplayState.Paused),
        15_000,
        'paused',
      );
    client.replay.start({ fromUs: (startedMs + 1000) * 1000, paused: true });
    await until(() => errors.length >= 5, 10_000, 'the limit');
    expect(errors[4]?.code).toBe(ErrorCode.ReplayLimit);
    // A closed connection frees its replay.
    (replaying[0] as TickstreamClient).close();
    const clientSeen = statuses(client);
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.replay.start({ fromUs: (startedMs + 1000) * 1000, paused: true });
    await until(() => clientSeen.some((s) => s.state === ReplayState.Paused), 15_000, 'a freed slot');
  }, 60_000);
});
