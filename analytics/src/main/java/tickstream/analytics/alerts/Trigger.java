package tickstream.analytics.alerts;

/** One firing with its evidence: an `alert_events` record (AlertTrigger of schemas/fbs/user.fbs). */
public class Trigger {
    public String id;
    public String user;
    public String ruleId;
    public String symbol;
    public int kind;
    /** The observed value: price, percent change, volume, ratio or SMA (currency units for prices). */
    public double value;
    public double price;
    public long timeMs;
    public double threshold;
    public long tickSequence;
    public long ruleArmedAtMs;
    public String detail;
    /** When the job read the firing tick or event, and when the rule fired (wall clock, ms): evidence of where time went. */
    public long readAtMs;
    public long firedAtMs;

    public Trigger() {}

    @Override
    public String toString() {
        return id + " " + user + " " + symbol + " value " + value + " price " + price + " @" + timeMs + ": " + detail;
    }
}
