import { type DeltaBatch, DeltaEncoder } from '@tickstream/schemas';
import type { MarketState } from './market-state.js';

/**
 * The changes of one window, encoded once and shared by every channel (docs/protocol.md,
 * "Delta encoding"). Each changed symbol's entry does not depend on who receives it, so `prepare`
 * encodes the entries once per window; `encode` then assembles a channel's Delta from them,
 * adding only its header and id steps. The window's base time is the newest exchange time among
 * all its changes, so the entries' time offsets are the same in every channel.
 */
export class WindowDeltas {
  private readonly encoder = new DeltaEncoder();

  constructor(private readonly state: MarketState) {}

  /** Encodes every changed symbol against `published`. Call before `state.settle()`. */
  prepare(changes: Uint16Array): void {
    const { current, published } = this.state;
    const encoder = this.encoder;
    encoder.reset();
    let baseTimeUs = 0;
    for (let i = 0; i < changes.length; i++) {
      const id = changes[i] as number;
      const time = current.timeUs[id] as number;
      if (time > baseTimeUs) baseTimeUs = time;
      encoder.stage(id, current, published);
    }
    encoder.seal(baseTimeUs);
  }

  /**
   * The Delta of `count` ids from `ids` (ascending, all prepared this window). `data` is a view,
   * valid until the next call.
   */
  encode(ids: Uint16Array, count: number): DeltaBatch {
    return this.encoder.encode(ids, count);
  }
}
