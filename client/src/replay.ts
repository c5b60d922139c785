import {
  type ClientMessageFields,
  ReplayAction,
  type ReplayStartFields,
  ReplayState,
  type ReplayStatusFields,
} from '@tickstream/schemas';
import type { QuoteBook } from './quote-book.js';

export interface ReplayOptions {
  /** Event time to start at, µs since the epoch (e.g. `Date.parse('2026-12-07T14:31:00Z') * 1000`). */
  fromUs: number;
  /** Where to end, µs; 0 or absent: play on until caught up with the live stream. */
  toUs?: number;
  /** Event time per wall time, 0.25-100 (default 1). */
  speed?: number;
  /** Start paused at `fromUs` (then play(), or step()). */
  paused?: boolean;
  /** What to replay; absent: the connection's live subscription. */
  symbols?: string[];
  sectors?: string[];
}

/**
 * The connection's replay (protocol 4, docs/protocol.md "Replay"): what Kafka retains, played
 * again on the replay channel into `client.replayBook`, with 'replay' events saying where its
 * clock is. One replay per connection; a new start() replaces it. A replay survives a reconnect:
 * the client starts it again where its clock was.
 */
export class ReplayControls {
  /** The edge's latest word on the replay; null before the first. */
  status: ReplayStatusFields | null = null;
  /** A replay was started and not stopped (by the client or the edge). */
  active = false;
  private request: ReplayStartFields | null = null;

  constructor(
    private readonly send: (message: ClientMessageFields) => boolean,
    private readonly book: QuoteBook,
    /** After each ReplayStart sent: what follows the replay (its candles) is asked for again. */
    private readonly started: () => void = () => {},
  ) {}

  start(options: ReplayOptions): void {
    this.request = {
      type: 'replay-start',
      fromUs: options.fromUs,
      toUs: options.toUs ?? 0,
      speed: options.speed ?? 1,
      paused: options.paused ?? false,
      symbols: options.symbols ?? [],
      sectors: options.sectors ?? [],
    };
    this.active = true;
    this.status = null;
    this.book.awaitingSnapshot = true;
    if (this.send(this.request)) this.started();
  }

  play(): void {
    this.control(ReplayAction.Play);
  }

  pause(): void {
    this.control(ReplayAction.Pause);
  }

  setSpeed(speed: number): void {
    if (this.request) this.request.speed = speed;
    this.control(ReplayAction.Speed, { speed });
  }

  /** Jumps to event time `toUs`: a fresh Snapshot at that time replaces the replay book. */
  seek(toUs: number): void {
    this.book.awaitingSnapshot = true;
    this.control(ReplayAction.Seek, { toUs });
  }

  /** Advances the clock by `stepUs` of event time (default one second), then pauses. */
  step(stepUs = 1_000_000): void {
    this.control(ReplayAction.Step, { stepUs });
  }

  /** Ends the replay: only live data from then on. */
  stop(): void {
    if (!this.active) return;
    this.control(ReplayAction.Stop);
    this.active = false;
    this.request = null;
  }

  private control(action: ReplayAction, values: { speed?: number; toUs?: number; stepUs?: number } = {}): void {
    this.send({
      type: 'replay-control',
      action,
      speed: values.speed ?? 0,
      toUs: values.toUs ?? 0,
      stepUs: values.stepUs ?? 0,
    });
  }

  /** @internal A ReplayStatus arrived. */
  arrived(status: ReplayStatusFields): void {
    this.status = status;
    if (status.state === ReplayState.Stopped) {
      this.active = false;
      this.request = null;
    }
  }

  /** @internal The edge refused a replay request: a start that never began leaves nothing active. */
  refused(_message: string): void {
    if (this.status === null) {
      this.active = false;
      this.request = null;
    }
  }

  /** @internal A gap in the replay stream: the Snapshot at the clock where it is replaces the book. */
  resync(): void {
    if (this.status) this.seek(this.status.clockUs);
  }

  /** @internal A new connection: the replay starts again where its clock was (a new edge has none of it). */
  resume(): void {
    if (!this.active || this.request === null) return;
    const status = this.status;
    const paused =
      status === null
        ? this.request.paused
        : status.state !== ReplayState.Playing && status.state !== ReplayState.Loading;
    this.book.awaitingSnapshot = true;
    if (this.send({ ...this.request, fromUs: status?.clockUs || this.request.fromUs, paused })) this.started();
    this.status = null;
  }
}
