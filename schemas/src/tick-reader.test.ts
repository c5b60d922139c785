import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Tick } from './generated/tickstream/kafka/tick.js';
import { ProtocolError } from './protocol-error.js';
import { decodeTick, TickEncoder, type TickFields } from './tick-codec.js';
import { TickReader } from './tick-reader.js';

/** mulberry32: a failure reproduces from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function readAll(reader: TickReader): TickFields {
  return {
    symbol: reader.symbol(),
    sector: reader.sector(),
    price: reader.price,
    size: reader.size,
    bid: reader.bid,
    ask: reader.ask,
    exchangeTimeUs: reader.exchangeTimeUs,
    sequence: reader.sequence,
  };
}

describe('TickReader', () => {
  const encoder = new TickEncoder();
  const next = random(20261125);
  const names = ['AAPL', 'A', 'GOOGL', 'BRK.B', 'ZZZZZZ', 'LONGNAME7', 'ÄPFEL', 'X1'];

  it('reads what decodeTick reads, for 10,000 ticks with every kind of field value', () => {
    const reader = new TickReader();
    for (let i = 0; i < 10_000; i++) {
      const tick: TickFields = {
        symbol: names[i % names.length] as string,
        sector: i % 3 === 0 ? '' : 'Technology',
        price: Math.floor(next() * 2 ** 40) - (i % 7 === 0 ? 2 ** 39 : 0),
        size: Math.floor(next() * 2 ** 32),
        bid: Math.floor(next() * 1e9),
        ask: Math.floor(next() * 1e9),
        exchangeTimeUs: 1_795_000_000_000_000 + i,
        sequence: i * 1_000_003,
      };
      const bytes = encoder.encode(tick);
      reader.read(bytes);
      expect(readAll(reader)).toEqual(decodeTick(bytes));
    }
  });

  it('reads a tick where it lies in a larger buffer as it reads the same bytes alone, whole or cut short', () => {
    const alone = new TickReader();
    const inPlace = new TickReader();
    const outcome = (reader: TickReader, read: () => void): TickFields | string => {
      try {
        read();
        return readAll(reader);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        return error.message;
      }
    };
    for (let i = 0; i < 2_000; i++) {
      const tick = encoder.encode({
        symbol: names[i % names.length] as string,
        sector: i % 5 === 0 ? '' : 'Consumer Staples',
        price: 1_000_000 + i,
        size: i,
        bid: 999_000 + i,
        ask: 1_001_000 + i,
        exchangeTimeUs: 1_795_000_000_000_000 + i * 1000,
        sequence: i,
      });
      // Between other bytes, at any alignment, as in a decompressed record batch.
      const before = 1 + (i % 13);
      const batch = new Uint8Array(before + tick.length + 17).fill(0xa5);
      batch.set(tick, before);
      const end = before + (i % 4 === 0 ? Math.floor(next() * tick.length) : tick.length);
      const expected = outcome(alone, () => alone.read(batch.slice(before, end)));
      expect(outcome(inPlace, () => inPlace.read(batch, before, end))).toEqual(expected);
      if (end === before + tick.length) expect(expected).toEqual(decodeTick(tick));
    }
  });

  it("reads every tick the producer's encoder writes at the fixed layout's places, as the flatbuffers library reads it", () => {
    const reader = new TickReader();
    const sectors = ['', 'X', 'Energy', 'Technology', 'Consumer Discretionary', 'Ünïcode'];
    let fixed = 0;
    for (let i = 0; i < 5_000; i++) {
      // Symbols and sectors of every length mod 8: both paddings of the table (60 and 64 bytes).
      const symbol = 'ABCDEFGHIJ'.slice(0, 1 + (i % 9));
      const tick: TickFields = {
        symbol,
        sector: sectors[i % sectors.length] as string,
        price: Math.floor(next() * 2 ** 50) - 2 ** 49,
        size: Math.floor(next() * 2 ** 32),
        bid: -Math.floor(next() * 2 ** 40),
        ask: Math.floor(next() * 2 ** 52),
        exchangeTimeUs: 1_795_000_000_000_000 + Math.floor(next() * 1e12),
        sequence: Math.floor(next() * 2 ** 53),
      };
      const bytes = encoder.encode(tick);
      expect(reader.readFixedLayout(bytes, 0, bytes.length)).toBe(true);
      fixed++;
      expect(readAll(reader)).toEqual(decodeTick(bytes));
      expect(readAll(reader)).toEqual(tick);
    }
    expect(fixed).toBe(5_000);
  });

  it('reads ticks in any other layout through their vtable, as the flatbuffers library reads them', () => {
    const reader = new TickReader();
    for (let i = 0; i < 500; i++) {
      const builder = new flatbuffers.Builder(64);
      const symbol = builder.createString(names[i % names.length] as string);
      const sector = builder.createString('Utilities');
      Tick.startTick(builder);
      // Another writer's order (scalars first), a field left out now and then.
      Tick.addSequence(builder, BigInt(i));
      Tick.addExchangeTimeUs(builder, BigInt(1_795_000_000_000_000 + i));
      if (i % 3 !== 0) Tick.addAsk(builder, BigInt(2_000_000 + i));
      Tick.addBid(builder, BigInt(1_000_000 + i));
      Tick.addSize(builder, i);
      Tick.addPrice(builder, BigInt(1_500_000 + i));
      Tick.addSector(builder, sector);
      Tick.addSymbol(builder, symbol);
      builder.finish(Tick.endTick(builder));
      const bytes = builder.asUint8Array();
      expect(reader.readFixedLayout(bytes, 0, bytes.length)).toBe(false);
      reader.read(bytes);
      expect(readAll(reader)).toEqual(decodeTick(bytes));
    }
  });

  it('reads a tick whose optional fields are absent as zeros and an empty sector', () => {
    const builder = new flatbuffers.Builder(64);
    const symbol = builder.createString('MSFT');
    Tick.startTick(builder);
    Tick.addSymbol(builder, symbol);
    builder.finish(Tick.endTick(builder));
    const reader = new TickReader();
    reader.read(builder.asUint8Array());
    expect(readAll(reader)).toEqual({ ...decodeTick(builder.asUint8Array()), sector: '' });
    expect(reader.price).toBe(0);
  });

  it('gives distinct symbols distinct keys, and names longer than 6 bytes none', () => {
    const reader = new TickReader();
    const keys = new Map<number, string>();
    const symbols = [...new Set(['A', 'AA', 'AAA', 'AB', 'BA', 'ZZZZZZ', 'A\u0000', '\u0000A', ...names])];
    for (const symbol of symbols) {
      reader.read(
        encoder.encode({ symbol, sector: '', price: 1, size: 1, bid: 1, ask: 1, exchangeTimeUs: 1, sequence: 1 }),
      );
      const key = reader.symbolKey();
      if (new TextEncoder().encode(symbol).length > 6) {
        expect(key).toBe(-1);
        continue;
      }
      expect(keys.get(key) ?? symbol).toBe(symbol);
      keys.set(key, symbol);
    }
    expect(keys.size).toBe(symbols.filter((s) => new TextEncoder().encode(s).length <= 6).length);
  });

  it('answers 100,000 mutated and truncated ticks with a value or a ProtocolError, never accepting what decodeTick refuses', () => {
    const reader = new TickReader();
    const seed = encoder.encode({
      symbol: 'AAPL',
      sector: 'Technology',
      price: 1_892_345,
      size: 100,
      bid: 1_892_300,
      ask: 1_892_400,
      exchangeTimeUs: 1_795_000_000_000_000,
      sequence: 42,
    });
    let refused = 0;
    for (let i = 0; i < 100_000; i++) {
      const bytes = seed.slice(0, i % 10 === 0 ? Math.floor(next() * seed.length) : seed.length);
      for (let flips = 1 + Math.floor(next() * 4); flips > 0; flips--) {
        bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      }
      let decoded: TickFields | null = null;
      try {
        decoded = decodeTick(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
      }
      let read: TickFields | null = null;
      try {
        reader.read(bytes);
        read = readAll(reader);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
        refused++;
      }
      // What both accept reads the same; the reader alone refuses names that are not UTF-8.
      if (read !== null && decoded !== null) expect(read).toEqual(decoded);
      if (read !== null && decoded === null) expect.fail(`the reader accepted bytes decodeTick refuses: ${bytes}`);
    }
    expect(refused).toBeGreaterThan(1000);
  });
});
