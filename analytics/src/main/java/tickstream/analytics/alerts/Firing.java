package tickstream.analytics.alerts;

/** Per rule: what the one-shot and the cool-down remember of the current arming. A Flink POJO. */
public class Firing {
    public long armedAtMs;
    public boolean fired;
    public long lastFiredMs;

    public Firing() {}

    public Firing(long armedAtMs) {
        this.armedAtMs = armedAtMs;
    }
}
