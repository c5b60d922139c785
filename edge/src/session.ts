import type { Timeframe } from '@tickstream/schemas';
import type { Logger } from '@tickstream/schemas/logger';
import type { Principal } from './auth-token.js';
import type { Channel } from './channels.js';
import type { RateLimiter } from './rate-limiter.js';
import type { SubscriptionSpec } from './subscription.js';

/** What the fan-out needs of a socket; uWS's WebSocket in production. */
export interface Outlet {
  /** False when the frame could not be queued (uWS dropped it). */
  send(frame: Uint8Array): boolean;
  bufferedAmount(): number;
  /** Runs `send` with the socket corked: the frames it sends leave in one write. */
  cork(send: () => void): void;
  /** Joins a topic: frames published to it reach this socket without a call per socket (uWS's pub/sub). */
  listen(topic: string): void;
  unlisten(topic: string): void;
  close(code: number, reason: string): void;
}

/** One client connection's state on the edge. */
export interface Session {
  readonly id: number;
  /** This connection's log lines: each carries its connection id (`conn`). */
  readonly logger: Logger;
  /** Who opened the connection (the local admin in single-user mode). */
  readonly principal: Principal;
  /** Sent AlertList: gets AlertTriggered frames for its user's new triggers. */
  followsAlerts: boolean;
  /** Sent OrderList: gets OrderUpdated and PortfolioState frames as its user's orders and portfolio change. */
  followsTrading: boolean;
  outlet: Outlet | null;
  spec: SubscriptionSpec;
  channel: Channel<Session> | null;
  /** The channel whose topic the socket is subscribed to: `channel` unless lagging (or closed). */
  listeningTo: Channel<Session> | null;
  /** The symbol and timeframe whose candles this client follows (one at a time). */
  candles: { symbolId: number; timeframe: Timeframe } | null;
  readonly limiter: RateLimiter;
  /** Over the soft buffer limit: Deltas are skipped until the socket drains (then a Snapshot). */
  lagging: boolean;
  laggingSinceMs: number;
  /**
   * Its listening channel's `publishedBytes` up to which its send buffer cannot pass the soft
   * limit: the buffer as last read plus every byte written since (the channel's Deltas and
   * FanOut.send's frames) stays under it. Saves reading the buffer before every Delta.
   */
  softCheckAt: number;
  closed: boolean;
}

/** Close codes the edge uses (4000-4999 are the application's). */
export const CloseCode = {
  SlowConsumer: 4008,
  RateLimited: 4029,
  ShuttingDown: 1001,
  /** RFC 6455's Service Restart: this edge is draining; reconnect now (through the balancer, to another). */
  Draining: 1012,
} as const;
