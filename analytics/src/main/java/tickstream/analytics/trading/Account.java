package tickstream.analytics.trading;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfo;
import tickstream.trading.OrderStatus;
import tickstream.trading.OrderType;
import tickstream.trading.Side;

/**
 * One user's paper account exactly as docs/trading.md's "Accounts" says (boundary cases:
 * schemas/fixtures/trading-fills.json): opening, buying power and its reservations, fills into
 * positions and realized P&L, the end of orders, resets. Money and prices × 10,000. The state of
 * one key of the fill engine's per-user operator; plain Java, so its rules are tested on their own.
 * In checkpoints it is written by AccountSerializer.
 */
@TypeInfo(AccountSerializer.Factory.class)
public class Account {
    /** The most points an equity curve keeps: 1,000 minutes, a trading session and more. */
    public static final int EQUITY_POINTS = 1_000;
    private static final long MINUTE_MS = 60_000;
    /** An order the account has accepted and that has not ended. */
    public static class OpenOrder {
        public String id;
        public String user;
        public String symbol;
        public int side;
        public long quantity;
        public long remaining;
        /** R: the price buying power was checked at (limit, stop or reference price). */
        public long reservePrice;
        public long reserved;
        public long filled;
        public long filledValue;
        /** The number of the order's last update (acceptance = 1, each matcher step one more). */
        public int updates = 1;

        public OpenOrder() {}
    }

    public static class Holding {
        public String symbol;
        public long quantity;
        public long cost;
        public long realizedPnl;

        public Holding() {}
    }

    public boolean opened;
    public long cash;
    public long reservedCash;
    public long startingCash;
    public long resetAtMs;
    public Map<String, Holding> positions = new LinkedHashMap<>();
    public Map<String, OpenOrder> open = new LinkedHashMap<>();
    /**
     * The equity after the last change of each minute since the reset, oldest first, at most
     * EQUITY_POINTS: written as the user's EquityCurve record when it gains a point, so a reader
     * sees the session's curve (the Portfolio of each change carries only its minute's point).
     */
    public List<CurvePoint> equityCurve = new ArrayList<>();

    public Account() {}

    /**
     * Records the equity after a change: a change in the minute of the last point replaces it (the
     * curve stays small however many fills a minute has), one in a later minute adds a point.
     * Returns whether it added one: the curve's own record is written then (FillEngine), not at
     * every change.
     */
    public boolean markEquity(long timeMs, long equity) {
        CurvePoint last = equityCurve.isEmpty() ? null : equityCurve.get(equityCurve.size() - 1);
        if (last != null && Math.floorDiv(last.timeMs, MINUTE_MS) == Math.floorDiv(timeMs, MINUTE_MS)) {
            last.timeMs = Math.max(last.timeMs, timeMs);
            last.equity = equity;
            return false;
        }
        if (equityCurve.size() >= EQUITY_POINTS) equityCurve.remove(0);
        equityCurve.add(new CurvePoint(timeMs, equity));
        return true;
    }

    /** A user's first command opens the account with the starting cash (docs/trading.md, Accounts 1). */
    public void openIfNew(long startingCashValue, long timeMs) {
        if (opened) return;
        opened = true;
        startingCash = startingCashValue;
        cash = startingCashValue;
        resetAtMs = timeMs;
    }

    /** Accepts (status new, reserving for a buy) or rejects an order, with its first update. */
    public MatchedUpdate accept(WorkingOrder order, long timeMs) {
        String refusal = order.isBuy() ? buyingPowerRefusal(order) : positionRefusal(order);
        // The acceptance (or rejection) is the order's update 1; the matcher's steps follow it.
        order.updates = 0;
        MatchedUpdate update = MatchedUpdate.of(order, refusal == null ? OrderStatus.New : OrderStatus.Rejected, timeMs, 0);
        if (refusal != null) {
            update.reason = refusal;
            return update;
        }
        OpenOrder accepted = new OpenOrder();
        accepted.id = order.id;
        accepted.user = order.user;
        accepted.symbol = order.symbol;
        accepted.side = order.side;
        accepted.quantity = order.quantity;
        accepted.remaining = order.quantity;
        if (order.isBuy()) {
            accepted.reservePrice = reservePrice(order);
            accepted.reserved = order.quantity * accepted.reservePrice;
            reservedCash += accepted.reserved;
        }
        open.put(order.id, accepted);
        return update;
    }

    /** The matcher filled `quantity` of an open order at `price` (docs/trading.md, Accounts 3-4). */
    public void fill(String orderId, long quantity, long price) {
        OpenOrder order = open.get(orderId);
        if (order == null) return;
        order.updates++;
        order.remaining -= quantity;
        order.filled += quantity;
        order.filledValue += quantity * price;
        Holding holding = positions.computeIfAbsent(order.symbol, symbol -> {
            Holding created = new Holding();
            created.symbol = symbol;
            return created;
        });
        if (order.side == Side.Buy) {
            cash -= quantity * price;
            holding.quantity += quantity;
            holding.cost += quantity * price;
            long release = Math.min(order.reserved, quantity * order.reservePrice);
            order.reserved -= release;
            reservedCash -= release;
        } else {
            cash += quantity * price;
            // ⌊C × q ÷ Q⌋ exactly: C × q can pass 2^63.
            long costOut = BigInteger.valueOf(holding.cost).multiply(BigInteger.valueOf(quantity))
                    .divide(BigInteger.valueOf(holding.quantity)).longValueExact();
            holding.cost -= costOut;
            holding.quantity -= quantity;
            holding.realizedPnl += quantity * price - costOut;
        }
        if (order.remaining <= 0) end(orderId);
    }

    /** The order ended (filled, cancelled, expired): the rest of its reservation is released. */
    public void end(String orderId) {
        OpenOrder order = open.remove(orderId);
        if (order == null) return;
        reservedCash -= order.reserved;
        order.reserved = 0;
    }

    /** Cancels every open order (their updates), clears positions and P&L, sets the cash (Accounts 6). */
    public List<MatchedUpdate> reset(long newStartingCash, long timeMs) {
        List<MatchedUpdate> cancellations = new ArrayList<>();
        for (Iterator<OpenOrder> it = open.values().iterator(); it.hasNext(); ) {
            OpenOrder order = it.next();
            it.remove();
            MatchedUpdate update = new MatchedUpdate();
            order.updates++;
            update.id = order.id + "-" + order.updates;
            update.orderId = order.id;
            update.user = order.user;
            update.symbol = order.symbol;
            update.side = order.side;
            update.status = OrderStatus.Cancelled;
            update.filledQuantity = order.filled;
            update.averageFillPrice = order.filled == 0 ? 0 : (2 * order.filledValue + order.filled) / (2 * order.filled);
            update.quantity = order.quantity;
            update.reason = "portfolio reset";
            update.timeMs = timeMs;
            cancellations.add(update);
        }
        positions.clear();
        opened = true;
        startingCash = newStartingCash;
        cash = newStartingCash;
        reservedCash = 0;
        resetAtMs = timeMs;
        // The curve restarts at the new cash (the engine marks it after the reset).
        equityCurve.clear();
        return cancellations;
    }

    public long realizedPnl() {
        long sum = 0;
        for (Holding holding : positions.values()) sum += holding.realizedPnl;
        return sum;
    }

    private String buyingPowerRefusal(WorkingOrder order) {
        long price = reservePrice(order);
        long needs = order.quantity * price;
        long available = cash - reservedCash;
        if (needs <= available) return null;
        return "buying power: " + order.quantity + " " + order.symbol + " at up to " + money(price) + " needs " + money(needs)
                + "; buying power " + money(available) + " (cash " + money(cash) + ", " + money(reservedCash)
                + " held for open buy orders)";
    }

    private String positionRefusal(WorkingOrder order) {
        Holding holding = positions.get(order.symbol);
        long held = holding == null ? 0 : holding.quantity;
        long selling = 0;
        for (OpenOrder other : open.values()) {
            if (other.side == Side.Sell && other.symbol.equals(order.symbol)) selling += other.remaining;
        }
        if (order.quantity <= held - selling) return null;
        return "position: holds " + held + " " + order.symbol + ", " + selling + " in open sell orders; cannot sell "
                + order.quantity + " (no short selling)";
    }

    private static long reservePrice(WorkingOrder order) {
        return order.type == OrderType.Market ? order.reference : order.price;
    }

    static String money(long units) {
        return BigDecimal.valueOf(units, 4).stripTrailingZeros().toPlainString();
    }
}
