package tickstream.analytics.trading;

import tickstream.trading.OrderType;
import tickstream.trading.Side;
import tickstream.trading.TimeInForce;

/**
 * An accepted order as the matcher of its symbol holds it (Order of schemas/fbs/trading.fbs plus
 * what has happened to it). Prices × 10,000. A Flink POJO.
 */
public class WorkingOrder {
    public String id;
    public String user;
    public String symbol;
    /** tickstream.trading.Side */
    public int side;
    /** tickstream.trading.OrderType */
    public int type;
    public long quantity;
    /** Limit or stop price; 0 for a market order. */
    public long price;
    /** tickstream.trading.TimeInForce */
    public int tif;
    public long createdAtMs;
    /** The last trade price the edge checked the order against: a market buy reserves at it. */
    public long reference;
    public long filled;
    /** Σ quantity × price of the fills so far, for the average (≤ 10^6 shares × 10^10: fits a long). */
    public long filledValue;
    /** A stop that has triggered: a market order from the next tick on. */
    public boolean triggered;
    /** The number of the order's last update: the acceptance (1) is the accounts'; the matcher's follow. */
    public int updates = 1;

    public WorkingOrder() {}

    public boolean isBuy() {
        return side == Side.Buy;
    }

    public boolean isGtc() {
        return tif == TimeInForce.Gtc;
    }

    public boolean actsAsMarket() {
        return type == OrderType.Market || (type == OrderType.Stop && triggered);
    }

    public long remaining() {
        return quantity - filled;
    }

    /** Σ quantity × price ÷ filled, rounded half up (docs/trading.md, Matching 6). */
    public long averageFillPrice() {
        return filled == 0 ? 0 : (2 * filledValue + filled) / (2 * filled);
    }
}
