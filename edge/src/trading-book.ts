import {
  type EquityCurveFields,
  isOpenStatus,
  mergeEquityCurve,
  type OrderCommandFields,
  type OrderFields,
  type OrderStatusName,
  type OrderUpdateFields,
  type PortfolioFields,
} from '@tickstream/schemas';

/** Final orders kept per user besides the open ones: what GET /api/orders shows of the past. */
export const CLOSED_ORDERS_KEPT_PER_USER = 200;
/** Recent fills kept per user: GET /api/fills and its CSV. */
export const FILLS_KEPT_PER_USER = 1000;
/** Updates of orders this edge has not read yet (fills and orders are read from different partitions). */
const ORPHAN_UPDATES_KEPT_PER_USER = 1000;

/** One order and where the fill engine has got with it. */
export interface OrderEntry {
  order: OrderFields;
  status: OrderStatusName;
  filledQuantity: number;
  /** × 10,000; 0: nothing filled. */
  averageFillPrice: number;
  reason: string;
  updatedAtMs: number;
  cancelRequested: boolean;
  /** The fill engine wrote at least one update of it. */
  acknowledged: boolean;
  /** The step n of the last update applied ("<order id>-<n>"): replays and stale ones are skipped. */
  step: number;
}

/** What changed in an order, for the pushes to its user's connections. */
export interface OrderChange {
  entry: OrderEntry;
  /** The fill engine's update that changed it; null for a new order or a cancel request. */
  update: OrderUpdateFields | null;
}

class UserTrading {
  readonly orders = new Map<string, OrderEntry>();
  readonly byClientId = new Map<string, string>();
  /** Ids of final orders, in the order they became final. */
  readonly closed: string[] = [];
  readonly fills: OrderUpdateFields[] = [];
  readonly fillIds = new Set<string>();
  readonly orphans = new Map<string, OrderUpdateFields[]>();
  orphanCount = 0;
  /** Orders in `orders` with an open status: checked on every placement, so counted, not walked. */
  openCount = 0;
  portfolio: Lazy<PortfolioFields> | null = null;
  curve: Lazy<EquityCurveFields> | null = null;
  /** The portfolio with the curve merged in, made when first asked for after either changed. */
  shown: PortfolioFields | null | undefined;
}

/**
 * A record kept as read and decoded the first time it is asked for: every edge reads every user's
 * `portfolios` records (two per order under load), and most users have no page open on it.
 * Returns null when the record cannot be read exactly (the reader says why).
 */
export type Lazy<T> = () => T | null;

/** "<order id>-<n>" → n; 0 when the id has another shape (then only exact replays are skipped). */
function stepOf(update: OrderUpdateFields): number {
  const prefix = `${update.orderId}-`;
  if (!update.id.startsWith(prefix)) return 0;
  const step = Number(update.id.slice(prefix.length));
  return Number.isSafeInteger(step) && step > 0 ? step : 0;
}

/**
 * Every user's orders, fills and portfolio as read from `orders`, `fills` and `portfolios`
 * (and as this edge wrote its orders, so an order is seen at once by the one who placed it).
 * Records arrive at least once and from several partitions: applying one twice changes nothing,
 * and an update read before its order waits for it. Memory is bounded per user: open orders by
 * the edge's limit, final ones by CLOSED_ORDERS_KEPT_PER_USER, fills by FILLS_KEPT_PER_USER.
 */
export class TradingBook {
  private readonly users = new Map<string, UserTrading>();

  private of(user: string): UserTrading {
    let mine = this.users.get(user);
    if (mine === undefined) {
      mine = new UserTrading();
      this.users.set(user, mine);
    }
    return mine;
  }

  /** An `orders` record. Returns the order it created or changed; null when nothing changed. */
  applyCommand(user: string, command: OrderCommandFields): OrderChange | null {
    const mine = this.of(user);
    switch (command.kind) {
      case 'order': {
        const { order } = command;
        if (mine.orders.has(order.id)) return null;
        const entry: OrderEntry = {
          order,
          status: 'new',
          filledQuantity: 0,
          averageFillPrice: 0,
          reason: '',
          updatedAtMs: order.createdAtMs,
          cancelRequested: false,
          acknowledged: false,
          step: 0,
        };
        mine.orders.set(order.id, entry);
        mine.openCount++;
        if (order.clientOrderId !== '') mine.byClientId.set(order.clientOrderId, order.id);
        // Updates read before their order: apply them now, in the job's order.
        const waiting = mine.orphans.get(order.id) ?? [];
        mine.orphans.delete(order.id);
        mine.orphanCount -= waiting.length;
        let update: OrderUpdateFields | null = null;
        for (const early of waiting.sort((a, b) => stepOf(a) - stepOf(b)))
          if (this.advance(mine, entry, early)) update = early;
        return { entry, update };
      }
      case 'cancel': {
        const entry = mine.orders.get(command.cancel.orderId);
        if (entry === undefined || entry.cancelRequested || !isOpenStatus(entry.status)) return null;
        entry.cancelRequested = true;
        entry.updatedAtMs = Math.max(entry.updatedAtMs, command.cancel.requestedAtMs);
        return { entry, update: null };
      }
      case 'reset':
        // The fill engine answers a reset with updates (open orders cancelled) and a new portfolio.
        return null;
    }
  }

  /** A `fills` record. Returns the order it changed (null: a replay, or its order is not read yet). */
  applyUpdate(update: OrderUpdateFields): OrderChange | null {
    const mine = this.of(update.user);
    const fresh = update.fillQuantity > 0 && this.rememberFill(mine, update);
    const entry = mine.orders.get(update.orderId);
    if (entry === undefined) {
      if (!fresh && update.fillQuantity > 0) return null;
      this.keepOrphan(mine, update);
      return null;
    }
    return this.advance(mine, entry, update) || fresh ? { entry, update } : null;
  }

  /**
   * A `portfolios` record (null: its tombstone). The latest record of the user's partition is the
   * portfolio, whatever its times say. True when the user had one or has one now.
   */
  applyPortfolio(user: string, portfolio: Lazy<PortfolioFields> | null): boolean {
    const mine = this.of(user);
    const before = mine.portfolio;
    mine.portfolio = portfolio;
    mine.shown = undefined;
    return before !== null || portfolio !== null;
  }

  /** A `<user>/equity-curve` record of `portfolios` (null: its tombstone). True when the user has a portfolio it shows in. */
  applyEquityCurve(user: string, curve: Lazy<EquityCurveFields> | null): boolean {
    const mine = this.of(user);
    mine.curve = curve;
    mine.shown = undefined;
    return mine.portfolio !== null;
  }

  /** Moves an order to the state an update says, unless the update is older than what it has. */
  private advance(mine: UserTrading, entry: OrderEntry, update: OrderUpdateFields): boolean {
    const step = stepOf(update);
    if (step !== 0 && step <= entry.step) return false;
    const wasOpen = isOpenStatus(entry.status);
    entry.step = step === 0 ? entry.step : step;
    entry.status = update.status;
    entry.filledQuantity = update.filledQuantity;
    entry.averageFillPrice = update.averageFillPrice;
    entry.reason = update.reason;
    entry.updatedAtMs = Math.max(entry.updatedAtMs, update.timeMs);
    entry.acknowledged = true;
    if (!isOpenStatus(update.status)) entry.cancelRequested = false;
    if (wasOpen && !isOpenStatus(update.status)) {
      mine.openCount--;
      this.closeOrder(mine, entry);
    } else if (!wasOpen && isOpenStatus(update.status)) mine.openCount++;
    return true;
  }

  private closeOrder(mine: UserTrading, entry: OrderEntry): void {
    mine.closed.push(entry.order.id);
    while (mine.closed.length > CLOSED_ORDERS_KEPT_PER_USER) {
      const dropped = mine.orders.get(mine.closed.shift() as string);
      if (dropped === undefined) continue;
      mine.orders.delete(dropped.order.id);
      if (isOpenStatus(dropped.status)) mine.openCount--;
      if (mine.byClientId.get(dropped.order.clientOrderId) === dropped.order.id)
        mine.byClientId.delete(dropped.order.clientOrderId);
    }
  }

  private rememberFill(mine: UserTrading, update: OrderUpdateFields): boolean {
    if (mine.fillIds.has(update.id)) return false;
    mine.fills.push(update);
    mine.fillIds.add(update.id);
    if (mine.fills.length > FILLS_KEPT_PER_USER) mine.fillIds.delete((mine.fills.shift() as OrderUpdateFields).id);
    return true;
  }

  private keepOrphan(mine: UserTrading, update: OrderUpdateFields): void {
    if (mine.orphanCount >= ORPHAN_UPDATES_KEPT_PER_USER) return;
    const waiting = mine.orphans.get(update.orderId) ?? [];
    if (waiting.some((known) => known.id === update.id)) return;
    waiting.push(update);
    mine.orphans.set(update.orderId, waiting);
    mine.orphanCount++;
  }

  order(user: string, id: string): OrderEntry | undefined {
    return this.users.get(user)?.orders.get(id);
  }

  /** The user's order with this client order id, while the edge keeps it. */
  orderByClientId(user: string, clientOrderId: string): OrderEntry | undefined {
    const mine = this.users.get(user);
    const id = mine?.byClientId.get(clientOrderId);
    return id === undefined ? undefined : mine?.orders.get(id);
  }

  /** Open ones and the recent final ones, oldest first. */
  ordersOf(user: string): OrderEntry[] {
    return [...(this.users.get(user)?.orders.values() ?? [])].sort(
      (a, b) => a.order.createdAtMs - b.order.createdAtMs || (a.order.id < b.order.id ? -1 : 1),
    );
  }

  openOrderCount(user: string): number {
    return this.users.get(user)?.openCount ?? 0;
  }

  /** Oldest first. */
  fillsOf(user: string): OrderUpdateFields[] {
    return [...(this.users.get(user)?.fills ?? [])];
  }

  /** The latest portfolio, its equity curve the EquityCurve record's points merged with its own. */
  portfolioOf(user: string): PortfolioFields | null {
    const mine = this.users.get(user);
    if (mine === undefined) return null;
    if (mine.shown === undefined) {
      const portfolio = mine.portfolio?.() ?? null;
      mine.shown =
        portfolio === null ? null : { ...portfolio, equityCurve: mergeEquityCurve(mine.curve?.() ?? null, portfolio) };
    }
    return mine.shown;
  }

  get userCount(): number {
    return this.users.size;
  }
}
