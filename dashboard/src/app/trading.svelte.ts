import type { OrderStateFields, OrderUpdateFields, PortfolioFields } from '@tickstream/schemas';
import { type Engine, type EquityPoint, markPortfolio } from '../engine/index.js';

/** An order as GET /api/orders shows it (docs/api.md): prices in currency units. */
export interface Order {
  id: string;
  clientOrderId?: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit' | 'stop';
  quantity: number;
  price?: number;
  tif: 'day' | 'gtc';
  status: 'new' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'expired';
  filledQuantity: number;
  averageFillPrice?: number;
  reason?: string;
  cancelRequested?: true;
  acknowledged: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A fill as GET /api/fills shows it. */
export interface Fill {
  id: string;
  orderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number;
  time: number;
  status: Order['status'];
  filledQuantity: number;
  orderQuantity: number;
}

/** What the order ticket sends: the body of POST /api/orders. */
export interface OrderDraft {
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit' | 'stop';
  quantity: number;
  price?: number;
  tif: 'day' | 'gtc';
}

export interface Toast {
  id: string;
  text: string;
}

const TOAST_MS = 6000;
/** The page samples its live equity this often for the curve, and keeps an hour of samples. */
const EQUITY_SAMPLE_MS = 5000;
const EQUITY_SAMPLES_KEPT = 720;
/** Pushes come in bursts (a fill, then its portfolio): one listing fetch per burst. */
const REFRESH_COALESCE_MS = 150;

export function isOpen(order: Pick<Order, 'status'>): boolean {
  return order.status === 'new' || order.status === 'partially_filled';
}

export function describeOrder(
  order: Pick<OrderDraft, 'side' | 'type' | 'quantity' | 'symbol' | 'price' | 'tif'>,
): string {
  const at = order.type === 'market' ? 'at market' : `${order.type} ${order.price}`;
  return `${order.side} ${order.quantity} ${order.symbol} ${at}${order.tif === 'gtc' ? ', good till cancelled' : ''}`;
}

export function describeFill(update: OrderUpdateFields): string {
  const done = update.status === 'filled' ? 'filled' : `${update.filledQuantity} of ${update.quantity} filled`;
  return `${update.side === 'buy' ? 'Bought' : 'Sold'} ${update.fillQuantity} ${update.symbol} at ${(update.fillPrice / 10_000).toFixed(2)} (${done})`;
}

const STATUS_WORDS: Record<Order['status'], string> = {
  new: 'open',
  partially_filled: 'partly filled',
  filled: 'filled',
  cancelled: 'cancelled',
  rejected: 'rejected',
  expired: 'expired',
};
export const statusText = (status: Order['status']): string => STATUS_WORDS[status];

/**
 * The signed-in user's orders, fills and portfolio. Orders and fills are read through
 * /api/orders and /api/fills, the portfolio arrives over the WebSocket (PortfolioState, with the
 * exact amounts the Portfolio tab values live); every change is pushed by the edge, so a reload,
 * an edge restart or another edge shows the same: the state is in Kafka, not in the page.
 */
class Trading {
  orders = $state.raw<Order[]>([]);
  fills = $state.raw<Fill[]>([]);
  portfolio = $state.raw<PortfolioFields | null>(null);
  /** The edge's last price of each position (× 10,000), for symbols the page does not follow. */
  marks = $state.raw<number[]>([]);
  /** This page's own equity samples since it opened (the fill engine's points are in the record). */
  liveCurve = $state.raw<EquityPoint[]>([]);
  toasts = $state<Toast[]>([]);
  /** The symbol in the order ticket, kept while the Trading tab is closed. */
  ticketSymbol = $state('');
  /** The latest announcement for screen readers (aria-live). */
  announcement = $state('');
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  get open(): Order[] {
    return this.orders.filter(isOpen);
  }

  get closed(): Order[] {
    return this.orders.filter((order) => !isOpen(order)).reverse();
  }

  /** Positions held (quantity above 0). */
  get positionCount(): number {
    return this.portfolio?.positions.filter((position) => position.quantity > 0).length ?? 0;
  }

  bind(engine: Engine): () => void {
    const offs = [
      engine.on('orders', () => void this.refresh()),
      engine.on('order', (order, update) => this.changed(order, update)),
      engine.on('portfolio', (portfolio, marks) => {
        if (portfolio?.resetAtMs !== this.portfolio?.resetAtMs) this.liveCurve = [];
        this.portfolio = portfolio;
        this.marks = marks;
      }),
    ];
    const sampler = setInterval(() => this.sample(engine), EQUITY_SAMPLE_MS);
    void this.refresh();
    return () => {
      clearInterval(sampler);
      for (const off of offs) off();
    };
  }

  async refresh(): Promise<void> {
    const [orders, fills] = await Promise.all([
      fetch('/api/orders').catch(() => null),
      fetch('/api/fills').catch(() => null),
    ]);
    if (orders?.ok) this.orders = ((await orders.json()) as { orders: Order[] }).orders;
    if (fills?.ok) this.fills = ((await fills.json()) as { fills: Fill[] }).fills;
  }

  /** Places an order; resolves with '' or the edge's precise reason for refusing it. */
  async place(draft: OrderDraft): Promise<string> {
    const response = await fetch('/api/orders', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(draft),
    }).catch((error: Error) => error);
    if (response instanceof Error) return `the edge is unreachable (${response.message})`;
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      return body.error ?? `the edge answered ${response.status}`;
    }
    this.announcement = `Order placed: ${describeOrder(draft)}`;
    await this.refresh();
    return '';
  }

  /** Asks the fill engine to cancel an order; resolves with '' or why the edge refused. */
  async cancel(order: Order): Promise<string> {
    const response = await fetch(`/api/orders/${encodeURIComponent(order.id)}`, { method: 'DELETE' });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: string };
      return body.error ?? `the edge answered ${response.status}`;
    }
    this.announcement = `Cancel requested: ${describeOrder(order)}`;
    await this.refresh();
    return '';
  }

  /** The equity curve: the fill engine's points, then this page's samples after the last of them. */
  get equityCurve(): EquityPoint[] {
    const recorded = (this.portfolio?.equityCurve ?? []).map((point) => ({
      timeMs: point.timeMs,
      equity: point.equity,
    }));
    const after = recorded.at(-1)?.timeMs ?? 0;
    return [...recorded, ...this.liveCurve.filter((point) => point.timeMs > after)];
  }

  private sample(engine: Engine): void {
    if (this.portfolio === null) return;
    const point = { timeMs: Date.now(), equity: markPortfolio(this.portfolio, engine.book, this.marks).equity };
    this.liveCurve = [...this.liveCurve.slice(-(EQUITY_SAMPLES_KEPT - 1)), point];
  }

  dismiss(id: string): void {
    this.toasts = this.toasts.filter((toast) => toast.id !== id);
  }

  private changed(order: OrderStateFields, update: OrderUpdateFields | null): void {
    if (update !== null) {
      let text = '';
      if (update.fillQuantity > 0) text = describeFill(update);
      else if (update.status === 'rejected' || update.status === 'cancelled' || update.status === 'expired')
        text = `Order ${statusText(update.status)}: ${update.side} ${update.quantity} ${update.symbol}${update.reason ? ` (${update.reason})` : ''}`;
      if (text !== '') {
        this.toasts = [...this.toasts, { id: update.id, text }];
        setTimeout(() => this.dismiss(update.id), TOAST_MS);
        this.announcement = text;
      }
    } else if (this.orders.every((known) => known.id !== order.order.id)) {
      this.announcement = `Order placed: ${order.order.side} ${order.order.quantity} ${order.order.symbol}`;
    }
    if (this.refreshTimer === null)
      this.refreshTimer = setTimeout(() => {
        this.refreshTimer = null;
        void this.refresh();
      }, REFRESH_COALESCE_MS);
  }
}

export const trading = new Trading();
