import { isEmptySpec, resolveSpec, type SubscriptionSpec, specKey } from './subscription.js';
import type { SymbolDirectory } from './symbol-directory.js';

/** Channels above this many symbols test membership with a bitmap instead of walking their ids. */
const BITMAP_ABOVE = 512;

/**
 * The clients that asked for the same subscription. Each window a channel's Delta is encoded
 * and compressed once and the same bytes go to every member, so `seq` belongs to the channel:
 * members all see the same numbered stream (docs/protocol.md, "Epoch, sequence and resync").
 */
export class Channel<Member> {
  readonly members = new Set<Member>();
  /** Members whose sockets are subscribed to `topic` (all but the lagging): a published Delta reaches them. */
  listeners = 0;
  /** Bytes of every Delta published to `topic` so far: the clock of the members' `softCheckAt`. */
  publishedBytes = 0;
  /**
   * The lowest `softCheckAt` of the listening members (lower is allowed, never higher): until
   * `publishedBytes` passes it no member can be over the soft limit, so no member need be asked.
   */
  softCheckAt = Number.POSITIVE_INFINITY;
  ids: Uint16Array;
  /** For large channels: 1 for each id in `ids`. */
  bitmap: Uint8Array | null = null;
  /** The seq of the last data frame sent to this channel; a new member's Snapshot carries it. */
  seq = 0;
  /** Set when `ids` changed (new symbols in a sector or `*`): members get a Snapshot next window. */
  needsSnapshot = false;
  /**
   * A Delta too thin to be worth a socket write of its own (fan-out.ts, "frame pacing"), held for
   * one window to go out with the next; its seq is already taken.
   */
  heldFrame: Uint8Array | null = null;
  heldUpdates = 0;
  /** The Snapshot frame for `seq`, shared by members that need one in the same window. */
  snapshotFrame: Uint8Array | null = null;
  snapshotSeq = -1;

  constructor(
    readonly key: string,
    /** The uWS topic the channel's Deltas are published to: short, since it crosses to C++ on every publish. */
    readonly topic: string,
    readonly spec: SubscriptionSpec,
    directory: SymbolDirectory,
  ) {
    this.ids = resolveSpec(spec, directory);
    this.indexIds(directory.capacity);
  }

  /** Re-resolves a growing spec; returns whether the ids changed. */
  refresh(directory: SymbolDirectory): boolean {
    if (!this.spec.all && this.spec.sectors.size === 0) return false;
    const ids = resolveSpec(this.spec, directory);
    if (ids.length === this.ids.length) return false;
    this.ids = ids;
    this.indexIds(directory.capacity);
    return true;
  }

  private indexIds(capacity: number): void {
    if (this.ids.length <= BITMAP_ABOVE) {
      this.bitmap = null;
      return;
    }
    this.bitmap ??= new Uint8Array(capacity);
    for (const id of this.ids) this.bitmap[id] = 1;
  }
}

/** Channels by subscription, created on first use and dropped with their last member. */
export class ChannelRegistry<Member> {
  private readonly byKey = new Map<string, Channel<Member>>();
  private created = 0;

  constructor(private readonly directory: SymbolDirectory) {}

  get size(): number {
    return this.byKey.size;
  }

  channels(): IterableIterator<Channel<Member>> {
    return this.byKey.values();
  }

  /** Moves `member` from `from` (if any) to the channel of `spec`; null for an empty spec. */
  join(member: Member, spec: SubscriptionSpec, from: Channel<Member> | null): Channel<Member> | null {
    if (from) this.leave(member, from);
    if (isEmptySpec(spec)) return null;
    const key = specKey(spec);
    let channel = this.byKey.get(key);
    if (channel === undefined) {
      channel = new Channel<Member>(key, `c${++this.created}`, spec, this.directory);
      this.byKey.set(key, channel);
    }
    channel.members.add(member);
    return channel;
  }

  leave(member: Member, channel: Channel<Member>): void {
    channel.members.delete(member);
    if (channel.members.size === 0) this.byKey.delete(channel.key);
  }
}
