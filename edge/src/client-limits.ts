import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { RateLimiter } from './rate-limiter.js';

/** Forgotten after this long without a request: the per-address buckets must not grow without end. */
const IDLE_BUCKET_MS = 60_000;

export interface ClientLimitOptions {
  /** Open WebSockets one address may hold (0: no limit). */
  maxConnectionsPerIp: number;
  /** HTTP requests a second one address may make on average (0: no limit); bursts of twice that. */
  maxRequestsPerIpPerSecond: number;
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For names the client; nobody else's is believed. */
  trustedProxies: string[];
}

/** Loopback is this machine (a local proxy, a load test): never limited. */
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** "::ffff:10.0.0.1" is 10.0.0.1: uWS reports IPv4 clients of a dual-stack socket that way. */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

function familyOf(address: string): 'ipv4' | 'ipv6' | null {
  return isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
}

/** Parses "10.0.0.0/8,192.168.1.7,fd00::/8"; throws a sentence naming a bad entry. */
export function parseAddressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefixText] = entry.trim().split('/');
    const family = familyOf(address);
    if (family === null) throw new Error(`'${entry}' is not an IP address or CIDR (10.0.0.0/8, fd00::/8)`);
    if (prefixText === undefined) {
      list.addAddress(address, family);
      continue;
    }
    const prefix = Number(prefixText);
    const bits = family === 'ipv4' ? 32 : 128;
    if (!/^\d+$/.test(prefixText) || prefix > bits) throw new Error(`'${entry}' has a bad prefix length (0-${bits})`);
    list.addSubnet(address, prefix, family);
  }
  return list;
}

/**
 * Per-address limits on the edge (docs/security.md): open WebSockets and HTTP requests per
 * client address. The address is the socket's peer, or, when that peer is a trusted proxy, the
 * last entry of X-Forwarded-For (the one that proxy appended; entries before it are the
 * client's own word). Loopback is never limited.
 */
export class ClientLimits {
  private readonly trusted: BlockList;
  private readonly connections = new Map<string, number>();
  private readonly requests = new Map<string, RateLimiter>();
  private lastSweepMs = 0;

  constructor(
    private readonly options: ClientLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.trusted = parseAddressList(options.trustedProxies);
  }

  /** The client's address from the socket peer and the X-Forwarded-For header ('' when absent). */
  clientAddress(peer: string, forwardedFor: string): string {
    const address = plainAddress(peer);
    const family = familyOf(address);
    if (forwardedFor === '' || family === null || !this.trusted.check(address, family)) return address;
    const last = forwardedFor.split(',').pop()?.trim() ?? '';
    return familyOf(plainAddress(last)) === null ? address : plainAddress(last);
  }

  private limited(address: string): boolean {
    const family = familyOf(address);
    return family !== null && !loopback.check(address, family);
  }

  /** Whether `address` may open one more WebSocket. */
  admits(address: string): boolean {
    const max = this.options.maxConnectionsPerIp;
    return max <= 0 || (this.connections.get(address) ?? 0) < max || !this.limited(address);
  }

  /** A WebSocket of `address` opened (uWS calls open() synchronously within the upgrade that admitted it). */
  opened(address: string): void {
    this.connections.set(address, (this.connections.get(address) ?? 0) + 1);
  }

  closed(address: string): void {
    const open = (this.connections.get(address) ?? 0) - 1;
    if (open > 0) this.connections.set(address, open);
    else this.connections.delete(address);
  }

  /** One HTTP request from `address`; false when it is over its rate. */
  request(address: string): boolean {
    const perSecond = this.options.maxRequestsPerIpPerSecond;
    if (perSecond <= 0 || !this.limited(address)) return true;
    const now = this.now();
    this.sweep(now);
    let bucket = this.requests.get(address);
    if (bucket === undefined) {
      bucket = new RateLimiter(perSecond, perSecond * 2, now);
      this.requests.set(address, bucket);
    }
    return bucket.take(now);
  }

  get maxConnectionsPerIp(): number {
    return this.options.maxConnectionsPerIp;
  }

  /** A bucket idle for a minute is full again anyway: drop it. */
  private sweep(now: number): void {
    if (now - this.lastSweepMs < IDLE_BUCKET_MS) return;
    this.lastSweepMs = now;
    for (const [address, bucket] of this.requests)
      if (bucket.idleSinceMs(now) > IDLE_BUCKET_MS) this.requests.delete(address);
  }
}
