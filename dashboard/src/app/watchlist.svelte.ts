const KEY = 'tickstream.watchlist';

function load(): string[] {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(saved) ? saved.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/** Pinned symbols, kept in localStorage. */
class Watchlist {
  symbols = $state<string[]>(load());

  has(symbol: string): boolean {
    return this.symbols.includes(symbol);
  }

  toggle(symbol: string): void {
    this.symbols = this.has(symbol) ? this.symbols.filter((s) => s !== symbol) : [...this.symbols, symbol];
    try {
      localStorage.setItem(KEY, JSON.stringify(this.symbols));
    } catch {
      // No storage: pinned for this page only.
    }
  }
}

export const watchlist = new Watchlist();
