package tickstream.analytics.model;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One trade from the `ticks` topic, as the job needs it (bid and ask are left out: nothing here
 * uses them, and every field costs serialisation at each keyBy). Prices × 10,000.
 * Public fields and a no-argument constructor; between tasks it travels with TickSerializer.
 */
@TypeInfo(TickSerializer.Factory.class)
public class Tick {
    public String symbol;
    public String sector;
    public long price;
    public long size;
    /** Exchange time, µs since the Unix epoch: the event time. */
    public long timeUs;
    /** Per-symbol sequence from the producer; orders ticks with the same timestamp. */
    public long sequence;

    public Tick() {}

    public Tick(String symbol, String sector, long price, long size, long timeUs, long sequence) {
        this.symbol = symbol;
        this.sector = sector;
        this.price = price;
        this.size = size;
        this.timeUs = timeUs;
        this.sequence = sequence;
    }

    @Override
    public String toString() {
        return symbol + "@" + timeUs + " " + price + "x" + size + " #" + sequence;
    }
}
