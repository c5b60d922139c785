import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeClientFrame } from './client-codec.js';
import { applyDelta } from './delta.js';
import { golden, goldenMessages, plain } from './golden.fixture.js';
import { QuoteTable } from './quote-table.js';
import { Channel, decodeServerFrame } from './server-codec.js';
import { decodeOrderCommand, decodeOrderUpdate, decodePortfolio } from './trading-codec.js';

// The exact bytes of one instance of every message (golden.fixture.ts). A change to the wire
// format changes these, so it has to be deliberate: rerun with UPDATE_GOLDEN=1 and update
// docs/protocol.md with it.
const fixturePath = fileURLToPath(new URL('./fixtures/golden.json', import.meta.url));

describe('golden bytes', () => {
  const actual = Object.fromEntries(
    Object.entries(goldenMessages()).map(([name, bytes]) => [name, Buffer.from(bytes).toString('hex')]),
  );
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(fixturePath)) {
    writeFileSync(fixturePath, `${JSON.stringify(actual, null, 2)}\n`);
  }
  const expected = JSON.parse(readFileSync(fixturePath, 'utf8')) as Record<string, string>;

  it('encode every message to the committed bytes', () => {
    expect(actual).toEqual(expected);
  });

  it('decode the committed bytes', () => {
    const decoded = decodeServerFrame(Buffer.from(expected.delta as string, 'hex'), plain);
    expect(decoded).toMatchObject({ type: 'delta', epoch: 7, seq: 2, count: 1, baseTimeUs: 1_795_000_000_012_000 });
    // The worked example of docs/protocol.md: the quote it moves, field by field.
    const table = new QuoteTable(1);
    table.setRow(0, golden.quote);
    if (decoded.type === 'delta') applyDelta(decoded, table);
    expect(table.row(0)).toEqual({
      ...golden.quote,
      last: golden.quote.last + 100,
      bid: golden.quote.bid + 100,
      ask: golden.quote.ask + 100,
      volume: golden.quote.volume + 300,
      ticks: golden.quote.ticks + 2,
      exchangeTimeUs: golden.quote.exchangeTimeUs + 9_000,
    });
  });

  it('refuse a Delta of protocol 4 (inside a FlatBuffer) with a precise error', () => {
    // The committed protocol-4 Delta of this fixture, before version 5 gave Deltas their own frame.
    const version4 =
      '10100000000c00160010000c000b0004000c0000001c00000000000003020000000700000000000a0018001400080004000a00000014000000e05e5f018b60060000000000010000000a00000000e7c8010000d80404000000';
    expect(() => decodeServerFrame(Buffer.from(version4, 'hex'), plain)).toThrow(/protocol 4 or older/);
  });

  it('decode every committed frame as the message it holds (each union member of protocol 5)', () => {
    const server: Record<string, string> = {
      hello: 'hello',
      snapshot: 'snapshot',
      delta: 'delta',
      candles: 'candles',
      candlesWithIndicators: 'candles',
      serverMarketEvent: 'market-event',
      error: 'error',
      pong: 'pong',
      errorOfRequest: 'error',
      alerts: 'alerts',
      alertTriggered: 'alert-triggered',
      correlationMatrix: 'correlation-matrix',
      analyticsStatus: 'analytics-status',
      orders: 'orders',
      orderUpdated: 'order-updated',
      portfolioState: 'portfolio-state',
      errorOfOrder: 'error',
      replayStatus: 'replay-status',
      replayDelta: 'delta',
    };
    const client: Record<string, string> = {
      subscribe: 'subscribe',
      unsubscribe: 'unsubscribe',
      ping: 'ping',
      resync: 'resync',
      candleSubscribe: 'candle-subscribe',
      alertList: 'alert-list',
      alertCreate: 'alert-create',
      alertUpdate: 'alert-update',
      alertDelete: 'alert-delete',
      correlationSubscribe: 'correlation-subscribe',
      orderList: 'order-list',
      orderPlace: 'order-place',
      orderCancelRequest: 'order-cancel',
      portfolioGet: 'portfolio-get',
      replayStart: 'replay-start',
      replayControl: 'replay-control',
      replayCandleSubscribe: 'candle-subscribe',
    };
    const bytes = (name: string) => Buffer.from(expected[name] as string, 'hex');
    for (const [name, type] of Object.entries(server))
      expect(decodeServerFrame(bytes(name), plain).type, name).toBe(type);
    for (const [name, type] of Object.entries(client))
      expect(decodeClientFrame(bytes(name), plain).type, name).toBe(type);
    expect(decodeOrderCommand(bytes('ordersRecord')).kind).toBe('order');
    expect(decodeOrderUpdate(bytes('fillsRecord')).status).toBe('partially_filled');
    expect(decodePortfolio(bytes('portfoliosRecord')).positions).toHaveLength(1);
    // The replay channel is on the frame; the live channel is the absent default (protocol 2's bytes).
    expect(decodeServerFrame(bytes('replayDelta'), plain)).toMatchObject({ channel: Channel.Replay, seq: 5 });
    expect(decodeServerFrame(bytes('delta'), plain)).toMatchObject({ channel: Channel.Live, seq: 2 });
    expect(decodeClientFrame(bytes('replayCandleSubscribe'), plain)).toMatchObject({ replay: true, limit: 120 });
    // Every frame in the fixtures is one of these, or a Kafka record.
    const records = ['marketEvent', 'tick', 'ordersRecord', 'fillsRecord', 'portfoliosRecord'];
    expect(Object.keys(expected).sort()).toEqual([...Object.keys(server), ...Object.keys(client), ...records].sort());
  });
});
