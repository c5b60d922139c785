package tickstream.analytics.trading;

/** One point of a user's equity curve: the equity (× 10,000) at a moment. A Flink POJO. */
public class CurvePoint {
    public long timeMs;
    public long equity;

    public CurvePoint() {}

    public CurvePoint(long timeMs, long equity) {
        this.timeMs = timeMs;
        this.equity = equity;
    }
}
