package tickstream.analytics.trading;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInfo;
import tickstream.trading.OrderStatus;
import tickstream.trading.OrderType;

/**
 * The working orders of one symbol, matched against its ticks in processing order exactly as
 * docs/trading.md's "Matching" says (boundary cases: schemas/fixtures/trading-fills.json). The
 * state of one key of the fill engine's per-symbol operator; plain Java, so its rules are tested
 * on their own. Orders are kept in arrival order: that is the order in which they share a tick.
 * In checkpoints it is written by SymbolMatcherSerializer.
 */
@TypeInfo(SymbolMatcherSerializer.Factory.class)
public class SymbolMatcher {
    static final long EXCHANGE_DAY_MS = 86_400_000L;
    /** Exchange days start at 05:00 UTC (midnight UTC−5), as the edge's and the alerts' days. */
    static final long EXCHANGE_DAY_OFFSET_MS = 5 * 3_600_000L;
    static final long GTC_MAX_AGE_MS = 30 * EXCHANGE_DAY_MS;

    public List<WorkingOrder> working = new ArrayList<>();

    public SymbolMatcher() {}

    /** An accepted order reaches the matcher: ticks from now on may fill it. */
    public void add(WorkingOrder order) {
        working.add(order);
    }

    /** A cancel in time ends the order (its fills kept); after it is final, nothing happens. */
    public List<MatchedUpdate> cancel(String orderId, long timeMs, String reason) {
        for (Iterator<WorkingOrder> it = working.iterator(); it.hasNext(); ) {
            WorkingOrder order = it.next();
            if (!order.id.equals(orderId)) continue;
            it.remove();
            MatchedUpdate update = MatchedUpdate.of(order, OrderStatus.Cancelled, timeMs, 0);
            update.reason = reason;
            return List.of(update);
        }
        return List.of();
    }

    /** Expiry, stop triggers and fills of one tick (prices × 10,000). */
    public List<MatchedUpdate> onTick(long price, long size, long bid, long ask, long timeMs, long sequence) {
        List<MatchedUpdate> updates = new ArrayList<>();
        long buySizeLeft = size;
        long sellSizeLeft = size;
        for (Iterator<WorkingOrder> it = working.iterator(); it.hasNext(); ) {
            WorkingOrder order = it.next();
            String expiry = expiry(order, timeMs);
            if (expiry != null) {
                it.remove();
                MatchedUpdate update = MatchedUpdate.of(order, OrderStatus.Expired, timeMs, sequence);
                update.reason = expiry;
                updates.add(update);
                continue;
            }
            if (order.type == OrderType.Stop && !order.triggered) {
                // The triggering tick does not fill it: from the next tick on it is a market order.
                order.triggered = order.isBuy() ? price >= order.price : price <= order.price;
                continue;
            }
            long fillPrice = fillPrice(order, price, bid, ask);
            if (fillPrice <= 0) continue;
            long available = order.isBuy() ? buySizeLeft : sellSizeLeft;
            long quantity = Math.min(order.remaining(), available);
            if (quantity <= 0) continue;
            if (order.isBuy()) buySizeLeft -= quantity;
            else sellSizeLeft -= quantity;
            order.filled += quantity;
            order.filledValue += quantity * fillPrice;
            boolean done = order.remaining() == 0;
            MatchedUpdate update = MatchedUpdate.of(order, done ? OrderStatus.Filled : OrderStatus.PartiallyFilled, timeMs, sequence);
            update.fillQuantity = quantity;
            update.fillPrice = fillPrice;
            updates.add(update);
            if (done) it.remove();
        }
        return updates;
    }

    /** The reason the order expires on a tick at `timeMs`, or null. */
    static String expiry(WorkingOrder order, long timeMs) {
        if (order.isGtc()) return timeMs >= order.createdAtMs + GTC_MAX_AGE_MS ? "gtc order: 30 days passed" : null;
        return exchangeDay(timeMs) > exchangeDay(order.createdAtMs) ? "day order: its exchange day ended" : null;
    }

    static long exchangeDay(long timeMs) {
        return Math.floorDiv(timeMs - EXCHANGE_DAY_OFFSET_MS, EXCHANGE_DAY_MS);
    }

    /** The price the order fills at on this tick, or 0 when it does not fill (docs/trading.md, Matching 3-4). */
    static long fillPrice(WorkingOrder order, long price, long bid, long ask) {
        if (order.actsAsMarket()) return order.isBuy() ? ask : bid;
        if (order.type != OrderType.Limit) return 0;
        long limit = order.price;
        if (order.isBuy()) {
            if (ask > 0 && ask <= limit) return ask;
            return price <= limit ? limit : 0;
        }
        if (bid >= limit) return bid;
        return price >= limit ? limit : 0;
    }
}
