package tickstream.analytics.candles;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import tickstream.analytics.model.Tick;

/**
 * Counts ticks that arrived after the watermark had closed their second's bar: the
 * `late_ticks` metric (docs/analytics.md). They are passed on, never dropped silently.
 */
public final class LateTickCounter extends RichMapFunction<Tick, Tick> {
    public static final String METRIC = "late_ticks";
    private transient Counter late;

    @Override
    public void open(OpenContext context) {
        late = getRuntimeContext().getMetricGroup().counter(METRIC);
    }

    @Override
    public Tick map(Tick tick) {
        late.inc();
        return tick;
    }
}
