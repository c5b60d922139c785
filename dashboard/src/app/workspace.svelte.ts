/** The views, in the order of the tab bar (keys 1-9 open the first nine). */
export const TABS = [
  'Overview',
  'Market',
  'Symbol',
  'History',
  'Volume',
  'Correlation',
  'Watchlist',
  'Performance',
  'Activity',
  'Alerts',
  'Events',
  'Trading',
  'Portfolio',
  'Pipeline',
] as const;
export type Tab = (typeof TABS)[number];

const KEY = 'tickstream.workspace';

/** Where the Overview's splitters are: shares of its width and height (0.2-0.8). */
export interface Splits {
  left: number;
  top: number;
  bottomLeft: number;
  bottomRight: number;
}

const DEFAULT_SPLITS: Splits = { left: 0.42, top: 0.56, bottomLeft: 0.3, bottomRight: 0.7 };

interface Saved {
  tab?: string;
  symbol?: string;
  splits?: Partial<Splits>;
}

function read(): Saved {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as Saved;
  } catch {
    return {};
  }
}

const clampSplit = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? Math.max(0.15, Math.min(0.85, value)) : fallback;

/**
 * What a trader's workspace remembers across a reload: the open tab, the selected symbol (one
 * selection for every view: clicking a symbol anywhere selects it everywhere) and the Overview's
 * panel sizes. Saved in localStorage on each change.
 */
class Workspace {
  #tab = $state<Tab>('Overview');
  #symbol = $state('AAPL');
  splits = $state<Splits>({ ...DEFAULT_SPLITS });

  constructor() {
    const saved = read();
    if (TABS.includes(saved.tab as Tab)) this.#tab = saved.tab as Tab;
    if (typeof saved.symbol === 'string' && /^[A-Z0-9.-]{1,12}$/.test(saved.symbol)) this.#symbol = saved.symbol;
    for (const key of Object.keys(DEFAULT_SPLITS) as (keyof Splits)[])
      this.splits[key] = clampSplit(saved.splits?.[key], DEFAULT_SPLITS[key]);
  }

  get tab(): Tab {
    return this.#tab;
  }

  set tab(tab: Tab) {
    this.#tab = tab;
    this.save();
  }

  /** The selected symbol: every view shows it. */
  get symbol(): string {
    return this.#symbol;
  }

  set symbol(symbol: string) {
    if (symbol === '' || symbol === this.#symbol) return;
    this.#symbol = symbol;
    this.save();
  }

  select(symbol: string): void {
    this.symbol = symbol;
  }

  split(key: keyof Splits, share: number): void {
    this.splits[key] = clampSplit(share, DEFAULT_SPLITS[key]);
    this.save();
  }

  resetSplits(): void {
    this.splits = { ...DEFAULT_SPLITS };
    this.save();
  }

  private save(): void {
    try {
      localStorage.setItem(KEY, JSON.stringify({ tab: this.tab, symbol: this.symbol, splits: this.splits }));
    } catch {
      // Private mode without storage: the workspace lasts for this page only.
    }
  }
}

export const workspace = new Workspace();
