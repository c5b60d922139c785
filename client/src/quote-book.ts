import { applyDeltaData, BitReader, type QuoteFields, QuoteTable, type SymbolInfoFields } from '@tickstream/schemas';

const FIRST_CAPACITY = 1024;

/**
 * One stream's market (docs/protocol.md, "Epoch, sequence and resync"): the symbols and quotes of
 * its last Snapshot with every Delta since applied, and where the stream is (epoch, seq). A
 * client has two: `live`, and `replay` for the connection's replay. Prices are × `priceScale`
 * (Hello.price_scale, 10,000). Read `table` by symbol id: it is the state itself, not a copy.
 */
export class QuoteBook {
  table = new QuoteTable(FIRST_CAPACITY);
  /** Symbol names and sectors by id ('' for an id the Snapshot did not name). */
  names: string[] = [];
  sectors: string[] = [];
  epoch = 0;
  /** Seq of the last Snapshot or Delta applied; -1 before the first Snapshot. */
  seq = -1;
  /** No Snapshot yet, or a gap was seen: Deltas are dropped until the next Snapshot. */
  awaitingSnapshot = true;
  /** Snapshots and Deltas applied, Deltas dropped while awaiting a Snapshot, gaps seen. */
  snapshots = 0;
  deltas = 0;
  updates = 0;
  dropped = 0;
  gaps = 0;
  private readonly ids = new Map<string, number>();

  constructor(readonly replay: boolean) {}

  /** Symbols the book holds (its highest id + 1). */
  get size(): number {
    return this.names.length;
  }

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  /** One symbol's quote as an object (allocates: for people and tests, not for every update). */
  quote(id: number): QuoteFields {
    return this.table.row(id);
  }

  /** A Snapshot replaces everything: symbols, ids, quotes and the stream's position. */
  replace(epoch: number, seq: number, symbols: readonly SymbolInfoFields[], quotes: readonly QuoteFields[]): void {
    let size = 0;
    for (const symbol of symbols) size = Math.max(size, symbol.id + 1);
    for (const quote of quotes) size = Math.max(size, quote.id + 1);
    if (size > this.table.capacity) {
      let capacity = this.table.capacity;
      while (capacity < size) capacity *= 2;
      this.table = new QuoteTable(capacity);
    } else {
      for (const column of [this.table.last, this.table.bid, this.table.ask, this.table.open, this.table.high])
        column.fill(0);
      for (const column of [this.table.low, this.table.volume, this.table.ticks, this.table.timeUs]) column.fill(0);
    }
    this.names = Array.from({ length: size }, () => '');
    this.sectors = Array.from({ length: size }, () => '');
    this.ids.clear();
    for (const symbol of symbols) {
      this.names[symbol.id] = symbol.name;
      this.sectors[symbol.id] = symbol.sector;
      this.ids.set(symbol.name, symbol.id);
    }
    for (const quote of quotes) this.table.setRow(quote.id, quote);
    this.epoch = epoch;
    this.seq = seq;
    this.awaitingSnapshot = false;
    this.snapshots++;
  }

  /**
   * Applies a Delta's packed `data` (bytes [start, end) of `bytes`: docs/protocol.md, "Delta
   * encoding") straight from the frame, without a view, and writes the ids applied and the fields
   * they changed (DeltaField bits) into `ids`/`masks`. Returns how many. Throws ProtocolError for
   * data that does not decode (ids beyond the book, ids that do not ascend, truncated values).
   */
  applyDelta(
    bytes: Uint8Array,
    start: number,
    end: number,
    count: number,
    baseTimeUs: number,
    ids: Uint16Array,
    masks: Uint8Array,
  ): number {
    return applyDeltaData(this.reader, bytes, start, end, count, baseTimeUs, this.table, this.names.length, ids, masks);
  }

  // One reader reused for every Delta: nothing is allocated per frame.
  private readonly reader = new BitReader();
}
