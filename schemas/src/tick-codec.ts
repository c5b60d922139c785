import * as flatbuffers from 'flatbuffers';
import { EventSource } from './generated/tickstream/kafka/event-source.js';
import { MarketEvent } from './generated/tickstream/kafka/market-event.js';
import { MarketEventKind } from './generated/tickstream/kafka/market-event-kind.js';
import { Tick } from './generated/tickstream/kafka/tick.js';
import { ProtocolError } from './protocol-error.js';
import { marketEventSpec, tickSpec } from './specs.js';
import { verifyRoot } from './verify.js';

/** Prices are integers × PRICE_SCALE: 189.2345 USD travels as 1892345. */
export const PRICE_SCALE = 10_000;

/** A Kafka `ticks` record value, decoded. Prices × PRICE_SCALE. */
export interface TickFields {
  symbol: string;
  sector: string;
  price: number;
  size: number;
  bid: number;
  ask: number;
  exchangeTimeUs: number;
  sequence: number;
}

export { EventSource, MarketEventKind };

export interface MarketEventFields {
  kind: MarketEventKind;
  symbol: string;
  sector: string;
  name: string;
  detail: string;
  timeUs: number;
  /** Present on the analytics job's detections (source Analytics), absent on the producer's announcements. */
  evidence?: MarketEventEvidence;
}

/** What a detection measured (fbs/tick.fbs, MarketEvent); NaN where a figure does not apply. */
export interface MarketEventEvidence {
  value: number;
  mean: number;
  deviation: number;
  threshold: number;
  windowMs: number;
  startTimeUs: number;
  /** Prices × PRICE_SCALE at timeUs and at startTimeUs. */
  price: number;
  startPrice: number;
}

/**
 * A market event as JSON carries it (/api/events, and the dashboard for live MarketEvent frames
 * alike): the kind and source by name, the evidence flattened, null where a figure does not
 * apply (JSON has no NaN); no evidence fields on the producer's announcements.
 */
export interface MarketEventJson {
  /** MarketEventKind's name, e.g. "FlashCrash". */
  kind: string;
  source: 'Producer' | 'Analytics';
  symbol: string;
  sector: string;
  name: string;
  detail: string;
  timeUs: number;
  value?: number | null;
  mean?: number | null;
  deviation?: number | null;
  threshold?: number | null;
  windowMs?: number;
  startTimeUs?: number;
  price?: number;
  startPrice?: number;
}

const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

export function marketEventJson(event: MarketEventFields): MarketEventJson {
  const json: MarketEventJson = {
    kind: MarketEventKind[event.kind] ?? String(event.kind),
    source: event.evidence === undefined ? 'Producer' : 'Analytics',
    symbol: event.symbol,
    sector: event.sector,
    name: event.name,
    detail: event.detail,
    timeUs: event.timeUs,
  };
  const evidence = event.evidence;
  if (evidence !== undefined) {
    json.value = finite(evidence.value);
    json.mean = finite(evidence.mean);
    json.deviation = finite(evidence.deviation);
    json.threshold = finite(evidence.threshold);
    json.windowMs = evidence.windowMs;
    json.startTimeUs = evidence.startTimeUs;
    json.price = evidence.price;
    json.startPrice = evidence.startPrice;
  }
  return json;
}

/** Encodes ticks with one reused builder: no per-tick garbage but the returned copy. */
export class TickEncoder {
  private readonly builder = new flatbuffers.Builder(256);

  /** UTF-8 of symbol and sector names, encoded once: the hot path then copies bytes only. */
  private readonly names = new Map<string, Uint8Array>();

  /** Encodes one tick into a fresh buffer of its own. */
  encode(tick: TickFields): Uint8Array {
    return this.encodeView(tick).slice();
  }

  /**
   * Encodes one tick and returns a view of the builder's bytes, valid until the next call:
   * the producer copies it straight into its batch, so nothing per tick is left behind.
   */
  encodeView(tick: TickFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    const symbol = builder.createString(this.utf8(tick.symbol));
    const sector = builder.createString(this.utf8(tick.sector));
    Tick.startTick(builder);
    Tick.addSymbol(builder, symbol);
    Tick.addSector(builder, sector);
    Tick.addPrice(builder, BigInt(tick.price));
    Tick.addSize(builder, tick.size);
    Tick.addBid(builder, BigInt(tick.bid));
    Tick.addAsk(builder, BigInt(tick.ask));
    Tick.addExchangeTimeUs(builder, BigInt(tick.exchangeTimeUs));
    Tick.addSequence(builder, BigInt(tick.sequence));
    builder.finish(Tick.endTick(builder));
    return builder.asUint8Array();
  }

  private utf8(name: string): Uint8Array {
    let bytes = this.names.get(name);
    if (bytes === undefined) {
      bytes = new TextEncoder().encode(name);
      // Bounded: a universe has at most 10,000 symbols; anything beyond is encoded each time.
      if (this.names.size < 20_000) this.names.set(name, bytes);
    }
    return bytes;
  }

  encodeMarketEvent(event: MarketEventFields): Uint8Array {
    const builder = this.builder;
    builder.clear();
    builder.finish(writeMarketEvent(builder, event));
    return builder.asUint8Array().slice();
  }
}

export function writeMarketEvent(builder: flatbuffers.Builder, event: MarketEventFields): flatbuffers.Offset {
  const symbol = builder.createString(event.symbol);
  const sector = builder.createString(event.sector);
  const name = builder.createString(event.name);
  const detail = builder.createString(event.detail);
  MarketEvent.startMarketEvent(builder);
  MarketEvent.addKind(builder, event.kind);
  MarketEvent.addSymbol(builder, symbol);
  MarketEvent.addSector(builder, sector);
  MarketEvent.addName(builder, name);
  MarketEvent.addDetail(builder, detail);
  MarketEvent.addTimeUs(builder, BigInt(event.timeUs));
  const evidence = event.evidence;
  if (evidence !== undefined) {
    MarketEvent.addSource(builder, EventSource.Analytics);
    MarketEvent.addValue(builder, evidence.value);
    MarketEvent.addMean(builder, evidence.mean);
    MarketEvent.addDeviation(builder, evidence.deviation);
    MarketEvent.addThreshold(builder, evidence.threshold);
    MarketEvent.addWindowMs(builder, BigInt(evidence.windowMs));
    MarketEvent.addStartTimeUs(builder, BigInt(evidence.startTimeUs));
    MarketEvent.addPrice(builder, BigInt(evidence.price));
    MarketEvent.addStartPrice(builder, BigInt(evidence.startPrice));
  }
  return MarketEvent.endMarketEvent(builder);
}

const tickReader = new Tick();

/** Decodes a `ticks` record value. Throws only ProtocolError. */
export function decodeTick(bytes: Uint8Array): TickFields {
  verifyRoot(bytes, tickSpec);
  const tick = Tick.getRootAsTick(new flatbuffers.ByteBuffer(bytes), tickReader);
  const symbol = tick.symbol();
  if (!symbol) throw new ProtocolError('invalid-field', 'tick has no symbol');
  return {
    symbol,
    sector: tick.sector() ?? '',
    price: Number(tick.price()),
    size: tick.size(),
    bid: Number(tick.bid()),
    ask: Number(tick.ask()),
    exchangeTimeUs: Number(tick.exchangeTimeUs()),
    sequence: Number(tick.sequence()),
  };
}

export function readMarketEvent(event: MarketEvent): MarketEventFields {
  const kind = event.kind();
  if (MarketEventKind[kind] === undefined)
    throw new ProtocolError('invalid-field', `unknown market event kind ${kind}`);
  const fields: MarketEventFields = {
    kind,
    symbol: event.symbol() ?? '',
    sector: event.sector() ?? '',
    name: event.name() ?? '',
    detail: event.detail() ?? '',
    timeUs: Number(event.timeUs()),
  };
  if (event.source() === EventSource.Analytics) {
    fields.evidence = {
      value: event.value(),
      mean: event.mean(),
      deviation: event.deviation(),
      threshold: event.threshold(),
      windowMs: Number(event.windowMs()),
      startTimeUs: Number(event.startTimeUs()),
      price: Number(event.price()),
      startPrice: Number(event.startPrice()),
    };
  }
  return fields;
}

/** Decodes a `market_events` record value. Throws only ProtocolError. */
export function decodeMarketEvent(bytes: Uint8Array): MarketEventFields {
  verifyRoot(bytes, marketEventSpec);
  return readMarketEvent(MarketEvent.getRootAsMarketEvent(new flatbuffers.ByteBuffer(bytes)));
}
