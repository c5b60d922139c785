package tickstream.analytics.patterns;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Detection;

/**
 * One report per kind and symbol per `cooldown` of event time (keyed by kind/symbol): a crash
 * that keeps falling, or a spike that lasts, is one event for a reader, not one a second.
 */
public final class Cooldown extends KeyedProcessFunction<String, Detection, Detection> {
    private final long cooldownUs;
    private transient ValueState<Long> lastReportedUs;

    public Cooldown(long cooldownMs) {
        this.cooldownUs = cooldownMs * 1000;
    }

    public static String key(Detection detection) {
        return detection.kind + "/" + detection.symbol;
    }

    @Override
    public void open(OpenContext context) {
        lastReportedUs = getRuntimeContext().getState(new ValueStateDescriptor<>("last-reported", Long.class));
    }

    @Override
    public void processElement(Detection detection, Context context, Collector<Detection> out) throws Exception {
        Long last = lastReportedUs.value();
        if (last != null && detection.timeUs >= last && detection.timeUs - last < cooldownUs) return;
        lastReportedUs.update(detection.timeUs);
        out.collect(detection);
    }
}
