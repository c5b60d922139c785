import { BarTimeframe } from './generated/tickstream/kafka/bar-timeframe.js';
import { f64, i64, u32 } from './little-endian.js';
import { ProtocolError } from './protocol-error.js';
import { SymbolTableReader } from './symbol-table-reader.js';

// vtable slots of table CandleBar (schemas/fbs/analytics.fbs), in declaration order; 0 and 1
// are the symbol and sector, which SymbolTableReader reads.
const TIMEFRAME = 2;
const START_TIME_US = 3;
const OPEN = 4;
const HIGH = 5;
const LOW = 6;
const CLOSE = 7;
const VOLUME = 8;
const VWAP = 9;
const TRADES = 10;
const SMA20 = 11;
const SMA50 = 12;
const EMA20 = 13;
const EMA50 = 14;
const VOLATILITY20 = 15;
const RELATIVE_VOLUME = 16;
const PRICE_VOLUME_CORRELATION = 17;
const SLOTS = 18;

/**
 * Reads `candles` record values for the edge's history load, where decodeCandleBar's object,
 * BigInts and strings per bar were most of the cost (an edge loads a million and more at start).
 * One reader is reused: after read() its fields hold the bar (the same names as
 * CandleBarFields), and the symbol is a number key for the usual short names (the same key
 * TickReader gives). Throws only ProtocolError.
 */
export class CandleBarReader extends SymbolTableReader {
  timeframe: BarTimeframe = BarTimeframe.S1;
  startTimeUs = 0;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;
  vwap = 0;
  trades = 0;
  sma20 = 0;
  sma50 = 0;
  ema20 = 0;
  ema50 = 0;
  volatility20 = 0;
  relativeVolume = 0;
  priceVolumeCorrelation = 0;

  constructor() {
    super('CandleBar', 'candle bar', SLOTS);
  }

  read(bytes: Uint8Array): void {
    this.openTable(bytes);
    const timeframeAt = this.fieldAt(TIMEFRAME, 1);
    const timeframe = timeframeAt === 0 ? 0 : (bytes[timeframeAt] as number);
    if (BarTimeframe[timeframe] === undefined)
      throw new ProtocolError('invalid-field', `unknown timeframe ${timeframe}`);
    this.timeframe = timeframe;
    this.startTimeUs = i64(bytes, this.fieldAt(START_TIME_US, 8));
    this.open = i64(bytes, this.fieldAt(OPEN, 8));
    this.high = i64(bytes, this.fieldAt(HIGH, 8));
    this.low = i64(bytes, this.fieldAt(LOW, 8));
    this.close = i64(bytes, this.fieldAt(CLOSE, 8));
    this.volume = i64(bytes, this.fieldAt(VOLUME, 8));
    this.vwap = i64(bytes, this.fieldAt(VWAP, 8));
    const tradesAt = this.fieldAt(TRADES, 4);
    this.trades = tradesAt === 0 ? 0 : u32(bytes, tradesAt);
    this.sma20 = f64(bytes, this.fieldAt(SMA20, 8));
    this.sma50 = f64(bytes, this.fieldAt(SMA50, 8));
    this.ema20 = f64(bytes, this.fieldAt(EMA20, 8));
    this.ema50 = f64(bytes, this.fieldAt(EMA50, 8));
    this.volatility20 = f64(bytes, this.fieldAt(VOLATILITY20, 8));
    this.relativeVolume = f64(bytes, this.fieldAt(RELATIVE_VOLUME, 8));
    this.priceVolumeCorrelation = f64(bytes, this.fieldAt(PRICE_VOLUME_CORRELATION, 8));
  }
}
