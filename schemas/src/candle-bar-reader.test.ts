import { describe, expect, it } from 'vitest';
import { AnalyticsEncoder, type BarTimeframe, type CandleBarFields, decodeCandleBar } from './analytics-codec.js';
import { CandleBarReader } from './candle-bar-reader.js';
import { ProtocolError } from './protocol-error.js';

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

function readAll(reader: CandleBarReader): CandleBarFields {
  const { timeframe, startTimeUs, open, high, low, close, volume, vwap, trades } = reader;
  const { sma20, sma50, ema20, ema50, volatility20, relativeVolume, priceVolumeCorrelation } = reader;
  return {
    symbol: reader.symbol(),
    sector: reader.sector(),
    timeframe,
    startTimeUs,
    open,
    high,
    low,
    close,
    volume,
    vwap,
    trades,
    sma20,
    sma50,
    ema20,
    ema50,
    volatility20,
    relativeVolume,
    priceVolumeCorrelation,
  };
}

describe('CandleBarReader', () => {
  const encoder = new AnalyticsEncoder();
  const next = random(20261206);
  const names = ['AAPL', 'A', 'GOOGL', 'BRK.B', 'LONGNAME7', 'ÄPFEL'];
  const bar = (i: number): CandleBarFields => ({
    symbol: names[i % names.length] as string,
    sector: i % 3 === 0 ? '' : 'Technology',
    timeframe: (i % 7) as BarTimeframe,
    startTimeUs: 1_795_000_000_000_000 + i * 60_000_000,
    open: Math.floor(next() * 2 ** 40),
    high: Math.floor(next() * 2 ** 40),
    low: Math.floor(next() * 2 ** 40) - (i % 5 === 0 ? 2 ** 39 : 0),
    close: Math.floor(next() * 2 ** 40),
    volume: Math.floor(next() * 2 ** 45),
    vwap: Math.floor(next() * 2 ** 40),
    trades: Math.floor(next() * 2 ** 32),
    sma20: i % 4 === 0 ? Number.NaN : next() * 1e7,
    sma50: Number.NaN,
    ema20: next() * 1e7,
    ema50: i % 2 ? Number.NaN : -next(),
    volatility20: next() / 100,
    relativeVolume: next() * 5,
    priceVolumeCorrelation: next() * 2 - 1,
  });

  it('reads what decodeCandleBar reads, NaN included, for 5,000 bars', () => {
    const reader = new CandleBarReader();
    for (let i = 0; i < 5000; i++) {
      const bytes = encoder.encodeCandleBar(bar(i));
      reader.read(bytes);
      expect(readAll(reader)).toEqual(decodeCandleBar(bytes));
    }
  });

  it('gives short names the number key TickReader gives them', () => {
    const reader = new CandleBarReader();
    reader.read(encoder.encodeCandleBar({ ...bar(0), symbol: 'AB' }));
    expect(reader.symbolKey()).toBe((65 * 256 + 66) * 8 + 2);
    reader.read(encoder.encodeCandleBar({ ...bar(0), symbol: 'LONGNAME7' }));
    expect(reader.symbolKey()).toBe(-1);
  });

  it('answers 50,000 mutated and truncated bars with a value or a ProtocolError, never accepting what decodeCandleBar refuses', () => {
    const reader = new CandleBarReader();
    const seeds = Array.from({ length: 20 }, (_, i) => encoder.encodeCandleBar(bar(i)));
    for (let n = 0; n < 50_000; n++) {
      const bytes = (seeds[n % seeds.length] as Uint8Array).slice();
      if (n % 3 === 0) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      else if (n % 3 === 1) {
        const at = Math.floor(next() * bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(next() * 8));
      }
      const cut = n % 5 === 0 ? bytes.subarray(0, Math.floor(next() * bytes.length)) : bytes;
      let expected: CandleBarFields | ProtocolError;
      try {
        expected = decodeCandleBar(cut);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
        expected = error as ProtocolError;
      }
      try {
        reader.read(cut);
        const read = readAll(reader);
        // Accepting it means it was a bar decodeCandleBar reads the same (it may refuse bad UTF-8 that the codec replaces).
        expect(expected).not.toBeInstanceOf(ProtocolError);
        expect(read).toEqual(expected);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
      }
    }
  });
});
