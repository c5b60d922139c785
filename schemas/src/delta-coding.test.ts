import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from './bits.js';
import { applyDelta, DeltaField, DeltaWriter } from './delta.js';
import { encodeDeltaFrame } from './delta-frame.js';
import { nodeLz4 } from './lz4-node.js';
import { ProtocolError } from './protocol-error.js';
import { QuoteTable } from './quote-table.js';
import { Channel, decodeServerFrame } from './server-codec.js';

const options = { lz4: nodeLz4 };

const codeOf = (run: () => unknown): string => {
  try {
    run();
    return 'none';
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return error.code;
  }
};

describe('Exp-Golomb bit strings (bits.ts)', () => {
  it('writes the textbook codes, most significant bit first', () => {
    const writer = new BitWriter(4);
    // EG-0: 0 → 1, 1 → 010, 4 → 00101; EG-2: 3 → 111.
    for (const [value, order] of [
      [0, 0],
      [1, 0],
      [4, 0],
      [3, 2],
    ] as const)
      writer.expGolomb(value, order);
    // 1 010 00101 111 + 4 zero bits of padding = 1010 0010 1111 0000
    expect(Array.from(writer.view())).toEqual([0xa2, 0xf0]);
  });

  it('round-trips values up to 2^46 at every order, signed ones through zigzag', () => {
    const values = [0, 1, 2, 3, 7, 8, 100, 1000, 65_535, 2 ** 24 - 1, 2 ** 24, 2 ** 31 + 5, 2 ** 40 + 3, 2 ** 46 - 1];
    const writer = new BitWriter(8);
    for (let order = 0; order <= 15; order++)
      for (const value of values) {
        writer.expGolomb(value, order);
        writer.signedExpGolomb(-value, order);
      }
    const bytes = writer.view();
    const reader = new BitReader();
    reader.reset(bytes, 0, bytes.length);
    for (let order = 0; order <= 15; order++)
      for (const value of values) {
        expect(reader.expGolomb(order)).toBe(value);
        expect(reader.signedExpGolomb(order)).toBe(value === 0 ? 0 : -value);
      }
    expect(reader.remaining).toBeLessThan(8);
  });

  it('refuses a value too large to code, and a code that runs past the data', () => {
    expect(() => new BitWriter().expGolomb(2 ** 48, 0)).toThrow(RangeError);
    const reader = new BitReader();
    reader.reset(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]), 0, 8);
    expect(codeOf(() => reader.expGolomb(0))).toBe('invalid-field');
    reader.reset(new Uint8Array([0x00, 0x01]), 0, 2);
    expect(codeOf(() => reader.expGolomb(0))).toBe('invalid-field');
  });

  it('copies a piece of another bit string at any bit offset', () => {
    const source = new BitWriter();
    source.bits(0b101, 3);
    source.expGolomb(12_345, 3);
    const target = new BitWriter();
    target.bits(1, 1);
    target.copy(source.buffer, 3, source.bitLength - 3);
    const reader = new BitReader();
    const bytes = target.view();
    reader.reset(bytes, 0, bytes.length);
    expect(reader.bit()).toBe(1);
    expect(reader.expGolomb(3)).toBe(12_345);
  });
});

/** A quote and the state after one tick of it, as the edge would hold them. */
function movedQuote(timeUs: number) {
  const quote = {
    id: 3,
    last: 1_892_345,
    bid: 1_892_300,
    ask: 1_892_400,
    open: 1_880_000,
    high: 1_899_000,
    low: 1_875_000,
    volume: 1_000_000,
    ticks: 1200,
    exchangeTimeUs: 1_795_000_000_000_000,
  };
  const published = new QuoteTable(8);
  const current = new QuoteTable(8);
  published.setRow(3, quote);
  current.setRow(3, {
    ...quote,
    last: quote.last + 37,
    bid: quote.bid + 37,
    ask: quote.ask + 37,
    volume: quote.volume + 100,
    ticks: quote.ticks + 1,
    exchangeTimeUs: timeUs,
  });
  return { quote, published, current };
}

describe('Delta coding, protocol 5 (delta.ts)', () => {
  it('sends the common tick in 4 bytes: a price move, volume, one trade, a time in ms', () => {
    const base = 1_795_000_000_020_000;
    const { quote, published, current } = movedQuote(base - 7_000);
    const client = new QuoteTable(8);
    client.setRow(3, quote);
    const writer = new DeltaWriter();
    writer.begin(base);
    writer.add(3, current, published);
    const batch = writer.finish();
    // 17 header bits + the entry, padded: id step, L, X, last, spread, ticks, volume, time.
    expect(batch.data.length).toBeLessThanOrEqual(3 + 4);
    const masks: number[] = [];
    applyDelta(batch, client, (_, mask) => masks.push(mask));
    expect(client.row(3)).toEqual(current.row(3));
    expect(masks).toEqual([
      DeltaField.Last | DeltaField.Bid | DeltaField.Ask | DeltaField.Volume | DeltaField.Ticks | DeltaField.Time,
    ]);
  });

  it('keeps exchange times exact to the µs when they are not whole ms', () => {
    const base = 1_795_000_000_020_123;
    const { quote, published, current } = movedQuote(base - 7_001);
    const client = new QuoteTable(8);
    client.setRow(3, quote);
    const writer = new DeltaWriter();
    writer.begin(base);
    writer.add(3, current, published);
    const frame = encodeDeltaFrame(5, 6, Channel.Live, writer.finish());
    const decoded = decodeServerFrame(frame, options);
    if (decoded.type !== 'delta') throw new Error('expected a Delta');
    expect(decoded.baseTimeUs).toBe(base);
    applyDelta(decoded, client);
    expect(client.timeUs[3]).toBe(base - 7_001);
  });

  it('carries each field alone: a spread move, a new high, a new low, a skewed ask', () => {
    const moves: ((t: QuoteTable) => void)[] = [
      (t) => {
        t.bid[3] = (t.bid[3] as number) - 7;
      },
      (t) => {
        t.high[3] = (t.last[3] as number) + 11;
      },
      (t) => {
        t.low[3] = (t.last[3] as number) - 13;
      },
      (t) => {
        t.ask[3] = (t.ask[3] as number) + 5;
      },
    ];
    for (const move of moves) {
      const { quote, published, current } = movedQuote(1_795_000_000_000_000);
      move(current);
      const client = new QuoteTable(8);
      client.setRow(3, quote);
      const writer = new DeltaWriter();
      writer.begin(1_795_000_000_000_000);
      writer.add(3, current, published);
      applyDelta(writer.finish(), client);
      expect(client.row(3)).toEqual(current.row(3));
    }
  });

  it('carries a skewed spread, a new high and low, no trade and a falling volume', () => {
    const { quote, published, current } = movedQuote(1_795_000_000_000_000);
    current.ask[3] = (current.ask[3] as number) + 500;
    current.high[3] = (current.last[3] as number) + 3;
    current.low[3] = (current.last[3] as number) - 9;
    current.ticks[3] = quote.ticks;
    current.volume[3] = quote.volume - 50;
    const client = new QuoteTable(8);
    client.setRow(3, quote);
    const writer = new DeltaWriter();
    writer.begin(1_795_000_000_000_000);
    writer.add(3, current, published);
    applyDelta(writer.finish(), client);
    expect(client.row(3)).toEqual(current.row(3));
  });
});

describe('the Delta frame (delta-frame.ts)', () => {
  const writer = new DeltaWriter();
  const { published, current } = movedQuote(1_795_000_000_000_000);
  writer.begin(1_795_000_000_000_000);
  writer.add(3, current, published);
  const frame = encodeDeltaFrame(0xfedc_ba98, 4_000_000_000, Channel.Replay, writer.finish());

  it('round-trips epoch, seq and channel', () => {
    expect(decodeServerFrame(frame, options)).toMatchObject({
      type: 'delta',
      epoch: 0xfedc_ba98,
      seq: 4_000_000_000,
      channel: Channel.Replay,
      count: 1,
    });
  });

  it('names each problem of a bad frame', () => {
    const decode = (bytes: Uint8Array, maxFrameBytes?: number) => () =>
      decodeServerFrame(bytes, { ...options, maxFrameBytes });
    expect(codeOf(decode(Uint8Array.of((frame[0] as number) | 0x04, ...frame.subarray(1))))).toBe('unknown-flags');
    expect(codeOf(decode(frame.subarray(0, 6)))).toBe('malformed-flatbuffer');
    expect(codeOf(decode(frame, 8))).toBe('frame-too-large');
    // A count far beyond what the data could hold is refused before anything is read.
    const lying = Uint8Array.from(frame);
    lying[5 + 5] = 0x7f;
    expect(codeOf(decode(lying))).toBe('malformed-flatbuffer');
    // Data cut short or with bytes left over fails in applyDelta.
    const decoded = decodeServerFrame(frame, options);
    if (decoded.type !== 'delta') throw new Error('expected a Delta');
    const table = new QuoteTable(8);
    expect(codeOf(() => applyDelta({ ...decoded, data: decoded.data.subarray(0, 3) }, table))).toBe('invalid-field');
    expect(codeOf(() => applyDelta({ ...decoded, data: Uint8Array.of(...decoded.data, 0) }, table))).toBe(
      'invalid-field',
    );
    expect(codeOf(() => applyDelta(decoded, new QuoteTable(3)))).toBe('invalid-field');
  });
});
