import * as flatbuffers from 'flatbuffers';
import { BarTimeframe } from './generated/tickstream/kafka/bar-timeframe.js';
import { CandleBar } from './generated/tickstream/kafka/candle-bar.js';
import { CorrelationMatrix } from './generated/tickstream/kafka/correlation-matrix.js';
import { ProtocolError } from './protocol-error.js';
import { candleBarSpec, correlationMatrixSpec } from './specs.js';
import { verifyRoot } from './verify.js';

// The records the analytics job (analytics/, Flink) writes besides market events:
// `candles` (CandleBar) and `correlations` (CorrelationMatrix), fbs/analytics.fbs.

export { BarTimeframe };

/** Length of each timeframe's bar in microseconds; also the partition of `candles` it is written to. */
export const BAR_TIMEFRAME_US: Readonly<Record<BarTimeframe, number>> = {
  [BarTimeframe.S1]: 1_000_000,
  [BarTimeframe.M1]: 60_000_000,
  [BarTimeframe.M5]: 300_000_000,
  [BarTimeframe.M15]: 900_000_000,
  [BarTimeframe.H1]: 3_600_000_000,
  [BarTimeframe.H4]: 14_400_000_000,
  [BarTimeframe.D1]: 86_400_000_000,
};

/** A `candles` record value, decoded. Prices × PRICE_SCALE; indicators NaN until there are enough bars. */
export interface CandleBarFields {
  symbol: string;
  sector: string;
  timeframe: BarTimeframe;
  startTimeUs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number;
  trades: number;
  sma20: number;
  sma50: number;
  ema20: number;
  ema50: number;
  volatility20: number;
  relativeVolume: number;
  priceVolumeCorrelation: number;
}

/** A `correlations` record value, decoded; `values` is row-major, symbols.length². */
export interface CorrelationMatrixFields {
  group: string;
  timeframe: BarTimeframe;
  windowBars: number;
  endTimeUs: number;
  symbols: string[];
  values: Float32Array;
}

function checkTimeframe(timeframe: number): BarTimeframe {
  if (BarTimeframe[timeframe] === undefined) throw new ProtocolError('invalid-field', `unknown timeframe ${timeframe}`);
  return timeframe;
}

/**
 * Encodes `candles` and `correlations` records (the job writes them in Java; this side is for
 * tests and tools). Indicators are always written, NaN included, so a reader never has to tell
 * an absent field from a zero.
 */
export class AnalyticsEncoder {
  private readonly builder = new flatbuffers.Builder(256);

  encodeCandleBar(bar: CandleBarFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const symbol = builder.createString(bar.symbol);
    const sector = builder.createString(bar.sector);
    CandleBar.startCandleBar(builder);
    CandleBar.addSymbol(builder, symbol);
    CandleBar.addSector(builder, sector);
    CandleBar.addTimeframe(builder, bar.timeframe);
    CandleBar.addStartTimeUs(builder, BigInt(bar.startTimeUs));
    CandleBar.addOpen(builder, BigInt(bar.open));
    CandleBar.addHigh(builder, BigInt(bar.high));
    CandleBar.addLow(builder, BigInt(bar.low));
    CandleBar.addClose(builder, BigInt(bar.close));
    CandleBar.addVolume(builder, BigInt(bar.volume));
    CandleBar.addVwap(builder, BigInt(bar.vwap));
    CandleBar.addTrades(builder, bar.trades);
    CandleBar.addSma20(builder, bar.sma20);
    CandleBar.addSma50(builder, bar.sma50);
    CandleBar.addEma20(builder, bar.ema20);
    CandleBar.addEma50(builder, bar.ema50);
    CandleBar.addVolatility20(builder, bar.volatility20);
    CandleBar.addRelativeVolume(builder, bar.relativeVolume);
    CandleBar.addPriceVolumeCorrelation(builder, bar.priceVolumeCorrelation);
    builder.finish(CandleBar.endCandleBar(builder));
    return builder.asUint8Array().slice();
  }

  encodeCorrelationMatrix(matrix: CorrelationMatrixFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    builder.finish(writeCorrelationMatrix(builder, matrix));
    return builder.asUint8Array().slice();
  }
}

/** Writes a CorrelationMatrix table into `builder` (a `correlations` record, or the edge's frame of one). */
export function writeCorrelationMatrix(
  builder: flatbuffers.Builder,
  matrix: CorrelationMatrixFields,
): flatbuffers.Offset {
  const n = matrix.symbols.length;
  if (matrix.values.length !== n * n) {
    throw new RangeError(`a matrix of ${n} symbols has ${n * n} values, not ${matrix.values.length}`);
  }
  const group = builder.createString(matrix.group);
  const symbols = CorrelationMatrix.createSymbolsVector(
    builder,
    matrix.symbols.map((symbol) => builder.createString(symbol)),
  );
  const values = CorrelationMatrix.createValuesVector(builder, matrix.values);
  CorrelationMatrix.startCorrelationMatrix(builder);
  CorrelationMatrix.addGroup(builder, group);
  CorrelationMatrix.addTimeframe(builder, matrix.timeframe);
  CorrelationMatrix.addWindowBars(builder, matrix.windowBars);
  CorrelationMatrix.addEndTimeUs(builder, BigInt(matrix.endTimeUs));
  CorrelationMatrix.addSymbols(builder, symbols);
  CorrelationMatrix.addValues(builder, values);
  return CorrelationMatrix.endCorrelationMatrix(builder);
}

const candleBarReader = new CandleBar();

/** Decodes a `candles` record value. Throws only ProtocolError. */
export function decodeCandleBar(bytes: Uint8Array): CandleBarFields {
  verifyRoot(bytes, candleBarSpec);
  const bar = CandleBar.getRootAsCandleBar(new flatbuffers.ByteBuffer(bytes), candleBarReader);
  const symbol = bar.symbol();
  if (!symbol) throw new ProtocolError('invalid-field', 'candle bar has no symbol');
  return {
    symbol,
    sector: bar.sector() ?? '',
    timeframe: checkTimeframe(bar.timeframe()),
    startTimeUs: Number(bar.startTimeUs()),
    open: Number(bar.open()),
    high: Number(bar.high()),
    low: Number(bar.low()),
    close: Number(bar.close()),
    volume: Number(bar.volume()),
    vwap: Number(bar.vwap()),
    trades: bar.trades(),
    sma20: bar.sma20(),
    sma50: bar.sma50(),
    ema20: bar.ema20(),
    ema50: bar.ema50(),
    volatility20: bar.volatility20(),
    relativeVolume: bar.relativeVolume(),
    priceVolumeCorrelation: bar.priceVolumeCorrelation(),
  };
}

/** Decodes a `correlations` record value. Throws only ProtocolError. */
export function decodeCorrelationMatrix(bytes: Uint8Array): CorrelationMatrixFields {
  verifyRoot(bytes, correlationMatrixSpec);
  return readCorrelationMatrix(CorrelationMatrix.getRootAsCorrelationMatrix(new flatbuffers.ByteBuffer(bytes)));
}

/** Reads a verified CorrelationMatrix table (a record's root, or a union member of an edge frame). */
export function readCorrelationMatrix(matrix: CorrelationMatrix): CorrelationMatrixFields {
  const group = matrix.group();
  if (!group) throw new ProtocolError('invalid-field', 'correlation matrix has no group');
  const n = matrix.symbolsLength();
  const symbols = Array.from({ length: n }, (_, i) => matrix.symbols(i) ?? '');
  const count = matrix.valuesLength();
  if (count !== n * n) {
    throw new ProtocolError('invalid-field', `a matrix of ${n} symbols carries ${count} values, not ${n * n}`);
  }
  // Element by element: valuesArray() is a Float32Array view, which throws on a record value
  // that starts at an offset not divisible by 4 inside a larger buffer (a Kafka fetch).
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = matrix.values(i) ?? Number.NaN;
  return {
    group,
    timeframe: checkTimeframe(matrix.timeframe()),
    windowBars: matrix.windowBars(),
    endTimeUs: Number(matrix.endTimeUs()),
    symbols,
    values,
  };
}
