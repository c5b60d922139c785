package tickstream.analytics.trading;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A tick as the fill engine needs it: the trade and the quote (bid, ask), prices × 10,000.
 * Into the engine it travels with TradingTickSerializer.
 */
@TypeInfo(TradingTickSerializer.Factory.class)
public class TradingTick {
    public String symbol;
    public long price;
    public long size;
    public long bid;
    public long ask;
    public long timeMs;
    public long sequence;

    public TradingTick() {}

    public TradingTick(String symbol, long price, long size, long bid, long ask, long timeMs, long sequence) {
        this.symbol = symbol;
        this.price = price;
        this.size = size;
        this.bid = bid;
        this.ask = ask;
        this.timeMs = timeMs;
        this.sequence = sequence;
    }
}
