import { ROW, ROW_WIDTH } from './feed-protocol.js';
import type { MarketBook } from './market-book.js';

export type SortKey = 'symbol' | 'sector' | 'last' | 'change' | 'changePct' | 'volume';
export type ChangeFilter = 'all' | 'gainers' | 'losers';

export interface GridQuery {
  text: string;
  sector: string;
  change: ChangeFilter;
  sort: SortKey;
  descending: boolean;
}

export const defaultQuery: GridQuery = { text: '', sector: '', change: 'all', sort: 'symbol', descending: false };

/** Sorting by a live value reorders rows at most this often, so the grid stays readable. */
export const LIVE_SORT_INTERVAL_MS = 1000;

export const isLiveSort = (sort: SortKey): boolean => sort !== 'symbol' && sort !== 'sector';

/** The ids the grid shows, filtered and sorted. Thousands of symbols: a typed array and one sort. */
export function gridOrder(book: MarketBook, query: GridQuery): Uint16Array {
  const text = query.text.trim().toUpperCase();
  const rows = book.rows;
  const ids: number[] = [];
  for (let id = 0; id < book.size; id++) {
    const name = book.names[id];
    if (!name) continue;
    if (text && !name.includes(text) && !(book.sectors[id] ?? '').toUpperCase().includes(text)) continue;
    if (query.sector && book.sectors[id] !== query.sector) continue;
    if (query.change !== 'all') {
      const change = (rows[id * ROW_WIDTH + ROW.last] as number) - (rows[id * ROW_WIDTH + ROW.open] as number);
      if (query.change === 'gainers' ? change <= 0 : change >= 0) continue;
    }
    ids.push(id);
  }
  const key = sortValue(book, query.sort);
  const direction = query.descending ? -1 : 1;
  ids.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return (ka < kb ? -1 : ka > kb ? 1 : 0) * direction || a - b;
  });
  return Uint16Array.from(ids);
}

function sortValue(book: MarketBook, sort: SortKey): (id: number) => number | string {
  switch (sort) {
    case 'symbol':
      return (id) => book.names[id] ?? '';
    case 'sector':
      return (id) => `${book.sectors[id] ?? ''} ${book.names[id] ?? ''}`;
    case 'last':
      return (id) => book.value(id, ROW.last);
    case 'change':
      return (id) => book.change(id);
    case 'changePct':
      return (id) => book.changePercent(id);
    case 'volume':
      return (id) => book.value(id, ROW.volume);
  }
}
