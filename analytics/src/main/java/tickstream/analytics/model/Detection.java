package tickstream.analytics.model;

/**
 * Something the job detected, with its evidence: one `market_events` record (source Analytics).
 * `kind` is a tickstream.kafka.MarketEventKind; prices × 10,000; NaN where a figure does not apply.
 */
public class Detection {
    public int kind;
    public String symbol;
    public String sector;
    /** What was measured, e.g. "flash-crash", "return", "volume". */
    public String name;
    /** One sentence a person reads. */
    public String detail;
    /** Exchange time of the tick, or end of the bar, that completed the pattern (µs). */
    public long timeUs;
    public double value;
    public double mean;
    public double deviation;
    public double threshold;
    public long windowMs;
    public long startTimeUs;
    public long price;
    public long startPrice;

    public Detection() {}

    public Detection(int kind, String symbol, String sector, String name, long timeUs) {
        this.kind = kind;
        this.symbol = symbol;
        this.sector = sector;
        this.name = name;
        this.detail = "";
        this.timeUs = timeUs;
        this.value = Double.NaN;
        this.mean = Double.NaN;
        this.deviation = Double.NaN;
        this.threshold = Double.NaN;
        this.startTimeUs = timeUs;
    }

    /** Fluent setters keep each detector's construction of its evidence on a few readable lines. */
    public Detection measured(double value, double threshold) {
        this.value = value;
        this.threshold = threshold;
        return this;
    }

    public Detection against(double mean, double deviation) {
        this.mean = mean;
        this.deviation = deviation;
        return this;
    }

    public Detection over(long windowMs, long startTimeUs) {
        this.windowMs = windowMs;
        this.startTimeUs = startTimeUs;
        return this;
    }

    public Detection prices(long startPrice, long price) {
        this.startPrice = startPrice;
        this.price = price;
        return this;
    }

    public Detection saying(String detail) {
        this.detail = detail;
        return this;
    }

    public String kindName() {
        return tickstream.kafka.MarketEventKind.name(kind);
    }

    @Override
    public String toString() {
        return kindName() + " " + symbol + " @" + timeUs + " " + name + ": " + detail;
    }
}
