import { ProtocolError, TickReader } from '@tickstream/schemas';
import type { CandleStore } from './candles.js';
import type { MarketState } from './market-state.js';
import type { SymbolDirectory } from './symbol-directory.js';
import { SymbolKeyIds } from './symbol-key-ids.js';

/** Bad records logged in full before the edge only counts them. */
const BAD_RECORDS_LOGGED = 5;

/**
 * Folds `ticks` records into the market state and candles: the edge's per-tick path, run for
 * every record Kafka hands over. It reads ticks with one reused TickReader and finds symbols by
 * a number key, so a known symbol's tick allocates nothing. A record that does not decode is
 * counted and skipped, never guessed at.
 */
export class TickIngest {
  private readonly reader = new TickReader();
  /** TickReader.symbolKey() → symbol id, for the names short enough to have a key. */
  private readonly idByKey = new SymbolKeyIds();
  badRecords = 0;
  private directoryFullLogged = false;

  constructor(
    private readonly directory: SymbolDirectory,
    private readonly state: MarketState,
    private readonly candles: CandleStore,
    private readonly log: (line: string) => void,
  ) {}

  /** Applies the tick record `bytes[start, end)` (by default all of `bytes`). */
  apply(bytes: Uint8Array, start = 0, end = bytes.length): void {
    const tick = this.reader;
    try {
      tick.read(bytes, start, end);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.skip(error);
      return;
    }
    const id = this.symbolId();
    if (id < 0) return;
    this.state.apply(id, tick.price, tick.size, tick.bid, tick.ask, tick.exchangeTimeUs);
    this.candles.add(id, tick.exchangeTimeUs, tick.price, tick.size);
  }

  /** The tick's symbol id, interning a symbol seen for the first time; -1 to drop the tick. */
  private symbolId(): number {
    const tick = this.reader;
    const key = tick.symbolKey();
    const known = key < 0 ? -1 : this.idByKey.get(key);
    if (known >= 0) return known;
    let id: number;
    try {
      id = this.directory.intern(tick.symbol(), tick.sector());
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.skip(error);
      return -1;
    }
    if (id < 0) {
      if (!this.directoryFullLogged)
        this.log(`more than ${this.directory.capacity} symbols: ticks of the rest are ignored (--max-symbols)`);
      this.directoryFullLogged = true;
      return -1;
    }
    if (key >= 0) this.idByKey.set(key, id);
    return id;
  }

  private skip(error: ProtocolError): void {
    if (this.badRecords++ < BAD_RECORDS_LOGGED)
      this.log(`skipping a ticks record that does not decode: ${error.message}`);
  }
}
