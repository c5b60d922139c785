package tickstream.analytics.anomaly;

/** Per symbol: the previous bar, EWMAs of normalised returns and of log trade counts, last reports. */
public class AnomalyState {
    public long lastStartUs = Long.MIN_VALUE;
    public long lastClose;
    public Ewma returns = new Ewma();
    public Ewma activity = new Ewma();
    /** Far enough in the past that "now − last ≥ cooldown" holds without overflowing. */
    public long lastReturnReportUs = Long.MIN_VALUE / 4;
    public long lastActivityReportUs = Long.MIN_VALUE / 4;

    public AnomalyState() {}
}
