import { BarTimeframe } from './generated/tickstream/kafka/bar-timeframe.js';
import { ProtocolError } from './protocol-error.js';

// vtable slots of table CandleBar (schemas/fbs/analytics.fbs), in declaration order.
const SYMBOL = 0;
const SECTOR = 1;
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

const TWO_32 = 4_294_967_296;
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Eight bytes to read a little-endian double through, without a DataView per record. */
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

/**
 * Reads `candles` record values for the edge's history load, where decodeCandleBar's object,
 * BigInts and strings per bar were most of the cost (an edge loads a million and more at start).
 * One reader is reused: after read() its fields hold the bar (the same names as
 * CandleBarFields), and the symbol is a number key for the usual short names. It checks every
 * offset it follows against the buffer, as verifyRoot does, and throws only ProtocolError.
 * Stricter than decodeCandleBar in one way: a name that is not valid UTF-8 is refused.
 */
export class CandleBarReader {
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
  private bytes: Uint8Array = new Uint8Array(0);
  private symbolStart = 0;
  private symbolLength = 0;
  private sectorStart = 0;
  private sectorLength = -1;
  private table = 0;
  private vtable = 0;
  private slots = 0;

  read(bytes: Uint8Array): void {
    const length = bytes.length;
    if (length < 8) throw malformed(`${length} bytes is too short for a CandleBar`);
    this.bytes = bytes;
    const table = u32(bytes, 0);
    if (table + 4 > length) throw malformed(`CandleBar table at ${table} lies outside the ${length}-byte buffer`);
    const vtable = table - i32(bytes, table);
    if (vtable < 0 || vtable + 4 > length) throw malformed(`CandleBar vtable at ${vtable} lies outside the buffer`);
    const vtableSize = u16(bytes, vtable);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > length)
      throw malformed(`CandleBar vtable size ${vtableSize} is invalid`);
    const tableSize = u16(bytes, vtable + 2);
    if (table + tableSize > length)
      throw malformed(`CandleBar table at ${table} (+${tableSize}) lies outside the buffer`);
    this.table = table;
    this.vtable = vtable;
    this.slots = Math.min((vtableSize - 4) >> 1, SLOTS);

    const symbolAt = this.fieldAt(SYMBOL, 4);
    if (symbolAt === 0) throw new ProtocolError('invalid-field', 'candle bar has no symbol');
    this.symbolStart = stringStart(bytes, symbolAt);
    this.symbolLength = u32(bytes, this.symbolStart - 4);
    if (this.symbolLength === 0) throw new ProtocolError('invalid-field', 'candle bar has an empty symbol');
    const sectorAt = this.fieldAt(SECTOR, 4);
    if (sectorAt === 0) this.sectorLength = -1;
    else {
      this.sectorStart = stringStart(bytes, sectorAt);
      this.sectorLength = u32(bytes, this.sectorStart - 4);
    }
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

  /** Where a field's bytes are, checked to fit; 0 when the field is absent. */
  private fieldAt(slot: number, size: number): number {
    if (slot >= this.slots) return 0;
    const bytes = this.bytes;
    const offset = u16(bytes, this.vtable + 4 + slot * 2);
    if (offset === 0) return 0;
    const at = this.table + offset;
    if (at + size > bytes.length) throw malformed(`CandleBar field ${slot} at ${at} lies outside the buffer`);
    return at;
  }

  /**
   * The symbol's UTF-8 bytes packed into one exact number when they are 1-6 bytes, as
   * TickReader.symbolKey() does (the same key for the same name); -1 for longer names.
   */
  symbolKey(): number {
    const n = this.symbolLength;
    if (n === 0 || n > 6) return -1;
    const bytes = this.bytes;
    let key = 0;
    for (let i = 0; i < n; i++) key = key * 256 + (bytes[this.symbolStart + i] as number);
    return key * 8 + n;
  }

  symbol(): string {
    return this.decode(this.symbolStart, this.symbolLength, 'symbol');
  }

  sector(): string {
    return this.sectorLength < 0 ? '' : this.decode(this.sectorStart, this.sectorLength, 'sector');
  }

  private decode(start: number, length: number, what: string): string {
    try {
      return utf8.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw new ProtocolError('invalid-field', `candle bar ${what} is not valid UTF-8`);
    }
  }
}

function malformed(message: string): ProtocolError {
  return new ProtocolError('malformed-flatbuffer', message);
}

/** Where a string's bytes start, given the field holding its offset; checks they fit (with the NUL). */
function stringStart(bytes: Uint8Array, fieldAt: number): number {
  const at = fieldAt + u32(bytes, fieldAt);
  if (at + 4 > bytes.length) throw malformed(`CandleBar string at ${at} lies outside the buffer`);
  const length = u32(bytes, at);
  if (at + 4 + length + 1 > bytes.length)
    throw malformed(`CandleBar string at ${at} (+${length}) lies outside the buffer`);
  return at + 4;
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

function i32(b: Uint8Array, at: number): number {
  return (
    (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)
  );
}

function u32(b: Uint8Array, at: number): number {
  return i32(b, at) >>> 0;
}

/** A little-endian int64 as a number (exact within ±2^53); 0 when absent. */
function i64(b: Uint8Array, at: number): number {
  return at === 0 ? 0 : i32(b, at + 4) * TWO_32 + u32(b, at);
}

/** A little-endian double; 0 when absent (the schema's default; the job always writes them). */
function f64(b: Uint8Array, at: number): number {
  if (at === 0) return 0;
  for (let i = 0; i < 8; i++) scratchBytes[i] = b[at + i] as number;
  return scratch[0] as number;
}
