import { FeedConnection, type FeedConnectionOptions } from './feed-connection.js';
import { BAR_WIDTH, type FeedCommand } from './feed-protocol.js';
import { SeriesStore } from './series-store.js';
import { SummaryPoller } from './summary-poller.js';

export type WorkerHubOptions = Omit<FeedConnectionOptions, 'onCandles' | 'onNewEpoch' | 'onReplay' | 'onReplayStatus'>;

/**
 * Everything the decode worker runs: the protocol client (FeedConnection), the charts' series
 * (SeriesStore: history over HTTP, live Candles frames, Bollinger bands, volume profiles) and
 * the HTTP summaries (SummaryPoller), each told what to do by the main thread's commands.
 */
export class WorkerHub {
  readonly feed: FeedConnection;
  readonly series: SeriesStore;
  readonly summaries: SummaryPoller;

  constructor(options: WorkerHubOptions) {
    this.series = new SeriesStore({
      fetch: options.fetch,
      report: options.report,
      follow: (chart) => this.feed.follow(chart),
    });
    this.summaries = new SummaryPoller({
      fetch: options.fetch,
      report: options.report,
      log: (message) => options.report({ type: 'log', kind: 'error', message }, []),
    });
    this.feed = new FeedConnection({
      ...options,
      onCandles: (symbol, timeframe, bars) => this.series.candles(symbol, timeframe, bars, BAR_WIDTH),
      onNewEpoch: () => {
        this.series.epoch();
        this.summaries.epoch();
      },
      onReplay: (book) => {
        this.summaries.replay(book);
        if (book === null) this.series.live();
      },
      onReplayStatus: (state, clockUs) => {
        if (state === 'Loading') this.series.replayAt(clockUs);
        this.summaries.replayClock(clockUs);
      },
    });
  }

  command(command: FeedCommand): void {
    switch (command.type) {
      case 'start':
        this.series.httpBase = command.httpBase;
        this.summaries.httpBase = command.httpBase;
        this.feed.command(command);
        break;
      case 'series-open':
        this.series.openSeries(command.spec);
        break;
      case 'series-close':
        this.series.close(command.id);
        break;
      case 'series-profile':
        this.series.profile(command.id, command.fromUs, command.toUs, command.bins);
        break;
      case 'summaries':
        this.summaries.want(command.wants);
        break;
      case 'load-events':
        void this.summaries.loadEvents(command.limit);
        break;
      case 'stop':
        this.series.stop();
        this.summaries.stop();
        this.feed.command(command);
        break;
      default:
        this.feed.command(command);
    }
  }
}
