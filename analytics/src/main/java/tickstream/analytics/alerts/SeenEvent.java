package tickstream.analytics.alerts;

/**
 * A market event (`market_events`: the producer's scenarios and the job's own detections) as the
 * event rules need it. The per-symbol stage fills in the symbol's last price and sector before it
 * passes the event on to the per-sector stage.
 */
public class SeenEvent {
    /** "" for an event of a sector or of the whole market. */
    public String symbol;
    /** "" when the event names none (then the symbol's sector, if the job has seen it tick). */
    public String sector;
    public String name;
    public String detail;
    public long timeMs;
    /** The symbol's last price × 10,000, 0 when unknown. */
    public long lastPrice;

    public SeenEvent() {}

    public SeenEvent(String symbol, String sector, String name, String detail, long timeMs) {
        this.symbol = symbol == null ? "" : symbol;
        this.sector = sector == null ? "" : sector;
        this.name = name == null ? "" : name;
        this.detail = detail == null ? "" : detail;
        this.timeMs = timeMs;
    }

    public boolean hasSymbol() {
        return !symbol.isEmpty();
    }

    public boolean hasSector() {
        return !sector.isEmpty();
    }
}
