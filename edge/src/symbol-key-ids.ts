/**
 * Symbol ids by SymbolTableReader.symbolKey() (a symbol of 1-6 UTF-8 bytes packed into one
 * exact number below 2^51), for the per-tick lookup. A Map<number, id> boxed every such key
 * (not a small integer) into a new heap number per tick; here the key is split into two small
 * integers and found in typed arrays by open addressing, which allocates nothing.
 */
export class SymbolKeyIds {
  /** Each key as (key / 2^26, key % 2^26): both below 2^26, small integers for V8. */
  private highs = new Int32Array(0);
  private lows = new Int32Array(0);
  /** -1 where a slot is empty. */
  private ids = new Int32Array(0);
  private mask = -1;
  private count = 0;

  constructor(expected = 1024) {
    this.resize(slotsFor(expected));
  }

  get size(): number {
    return this.count;
  }

  /** The id stored for `key`, or -1. */
  get(key: number): number {
    const high = Math.floor(key / SPLIT);
    const low = key - high * SPLIT;
    const mask = this.mask;
    for (let slot = hash(high, low) & mask; ; slot = (slot + 1) & mask) {
      const id = this.ids[slot] as number;
      if (id < 0 || (this.lows[slot] === low && this.highs[slot] === high)) return id;
    }
  }

  /** Stores `id` (≥ 0) for `key`, replacing any id it had. */
  set(key: number, id: number): void {
    if (!Number.isSafeInteger(key) || key < 0) throw new RangeError(`symbol key ${key} is not a packed name`);
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new RangeError(`symbol id ${id} is not an id`);
    if ((this.count + 1) * 2 > this.ids.length) this.resize(this.ids.length * 2);
    const high = Math.floor(key / SPLIT);
    const low = key - high * SPLIT;
    const mask = this.mask;
    for (let slot = hash(high, low) & mask; ; slot = (slot + 1) & mask) {
      const held = this.ids[slot] as number;
      if (held < 0) this.count++;
      else if (this.lows[slot] !== low || this.highs[slot] !== high) continue;
      this.highs[slot] = high;
      this.lows[slot] = low;
      this.ids[slot] = id;
      return;
    }
  }

  private resize(slots: number): void {
    const { highs, lows, ids } = this;
    this.highs = new Int32Array(slots);
    this.lows = new Int32Array(slots);
    this.ids = new Int32Array(slots).fill(-1);
    this.mask = slots - 1;
    this.count = 0;
    for (let slot = 0; slot < ids.length; slot++)
      if ((ids[slot] as number) >= 0)
        this.set((highs[slot] as number) * SPLIT + (lows[slot] as number), ids[slot] as number);
  }
}

const SPLIT = 2 ** 26;

function slotsFor(entries: number): number {
  let slots = 16;
  while (slots < entries * 2) slots *= 2;
  return slots;
}

/** Mixes both halves so that names differing in any byte land apart (murmur3's finaliser). */
function hash(high: number, low: number): number {
  let h = Math.imul(low, 0xcc9e2d51) ^ Math.imul(high, 0x1b873593);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h;
}
