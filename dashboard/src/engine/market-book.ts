import { ROW, ROW_WIDTH } from './feed-protocol.js';

/**
 * The main thread's copy of every subscribed symbol: parallel typed arrays indexed by symbol
 * id, filled from the worker's transferred rows once per frame. Renderers read it directly;
 * nothing here is reactive.
 */
export class MarketBook {
  names: string[] = [];
  sectors: string[] = [];
  epoch = 0;
  /** Rows as the worker sends them: ROW_WIDTH values per symbol id. */
  rows: Float64Array = new Float64Array(0);
  /** performance.now() of the last price change, and its direction (+1 up, −1 down). */
  changedAtMs: Float64Array = new Float64Array(0);
  direction: Int8Array = new Int8Array(0);
  /** Bumped whenever any row changes; `universe` when the set of symbols does. */
  version = 0;
  universe = 0;
  private readonly byName = new Map<string, number>();

  get size(): number {
    return this.names.length;
  }

  idOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  replace(epoch: number, names: string[], sectors: string[], rows: Float64Array): void {
    this.epoch = epoch;
    this.names = names;
    this.sectors = sectors;
    this.rows = rows;
    this.changedAtMs = new Float64Array(names.length);
    this.direction = new Int8Array(names.length);
    this.byName.clear();
    names.forEach((name, id) => {
      if (name) this.byName.set(name, id);
    });
    this.version++;
    this.universe++;
  }

  /** Applies one batch of changed rows; returns how many symbols it touched. */
  apply(ids: Uint16Array, rows: Float64Array, nowMs: number): number {
    const target = this.rows;
    const limit = this.names.length;
    let applied = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id >= limit) continue;
      const from = i * ROW_WIDTH;
      const to = id * ROW_WIDTH;
      const before = target[to + ROW.last] as number;
      const after = rows[from + ROW.last] as number;
      if (after !== before) {
        this.changedAtMs[id] = nowMs;
        this.direction[id] = after > before ? 1 : -1;
      }
      target.set(rows.subarray(from, from + ROW_WIDTH), to);
      applied++;
    }
    this.version++;
    return applied;
  }

  value(id: number, field: number): number {
    return this.rows[id * ROW_WIDTH + field] as number;
  }

  /** last − open, in price units × scale. */
  change(id: number): number {
    return this.value(id, ROW.last) - this.value(id, ROW.open);
  }

  changePercent(id: number): number {
    const open = this.value(id, ROW.open);
    return open === 0 ? 0 : (100 * (this.value(id, ROW.last) - open)) / open;
  }
}
