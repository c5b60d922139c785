package tickstream.analytics.patterns;

/** A tick whose price has moved at least one step from the previous step: what CEP sees of ticks. */
public class PriceStep {
    public String symbol;
    public String sector;
    public long timeUs;
    public long price;

    public PriceStep() {}

    public PriceStep(String symbol, String sector, long timeUs, long price) {
        this.symbol = symbol;
        this.sector = sector;
        this.timeUs = timeUs;
        this.price = price;
    }

    @Override
    public String toString() {
        return symbol + "@" + timeUs + "=" + price;
    }
}
