import { i64, u32, u64 } from './little-endian.js';
import { SymbolTableReader } from './symbol-table-reader.js';

// vtable slots of table Tick (schemas/fbs/tick.fbs), in declaration order; 0 and 1 are the
// symbol and sector, which SymbolTableReader reads.
const PRICE = 2;
const SIZE = 3;
const BID = 4;
const ASK = 5;
const EXCHANGE_TIME_US = 6;
const SEQUENCE = 7;
const SLOTS = 8;

/**
 * Reads `ticks` record values for the edge's ingest, where decodeTick's object and BigInts per
 * tick cost more than everything else the edge does with a tick. One reader is reused: after
 * read() its fields hold the tick, and the symbol is available as a number key (no string)
 * for the usual short names. Throws only ProtocolError.
 */
export class TickReader extends SymbolTableReader {
  price = 0;
  size = 0;
  bid = 0;
  ask = 0;
  exchangeTimeUs = 0;
  sequence = 0;

  constructor() {
    super('Tick', 'tick', SLOTS);
  }

  read(bytes: Uint8Array): void {
    this.openTable(bytes);
    this.price = i64(bytes, this.fieldAt(PRICE, 8));
    const sizeAt = this.fieldAt(SIZE, 4);
    this.size = sizeAt === 0 ? 0 : u32(bytes, sizeAt);
    this.bid = i64(bytes, this.fieldAt(BID, 8));
    this.ask = i64(bytes, this.fieldAt(ASK, 8));
    this.exchangeTimeUs = i64(bytes, this.fieldAt(EXCHANGE_TIME_US, 8));
    this.sequence = u64(bytes, this.fieldAt(SEQUENCE, 8));
  }
}
