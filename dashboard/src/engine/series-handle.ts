import { CandleSeries, type TimeframeName } from './candle-series.js';
import type { VolumeProfileView } from './feed-protocol.js';

/**
 * A chart's hold on one series in the decode worker: its bars (a CandleSeries the worker's
 * reports fill), the volume profile it asked for, and why nothing loaded if nothing did.
 * `close()` lets the worker forget it.
 */
export class SeriesHandle {
  readonly series: CandleSeries;
  profile: VolumeProfileView | null = null;
  /** Bumped when the profile changes. */
  profileVersion = 0;
  problem = '';
  closed = false;

  constructor(
    readonly id: number,
    symbol: string,
    timeframe: TimeframeName,
    private readonly onClose: (handle: SeriesHandle) => void,
    private readonly onProfile: (handle: SeriesHandle, fromUs: number, toUs: number, bins: number) => void,
  ) {
    this.series = new CandleSeries(symbol, timeframe);
  }

  get symbol(): string {
    return this.series.symbol;
  }

  get timeframe(): TimeframeName {
    return this.series.timeframe;
  }

  /** Asks for the volume at price of the bars starting in [fromUs, toUs), kept up to date; bins 0 stops. */
  requestProfile(fromUs: number, toUs: number, bins: number): void {
    if (!this.closed) this.onProfile(this, fromUs, toUs, bins);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}
