package tickstream.analytics;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import tickstream.analytics.model.Detection;

/** Counts detections by kind: the `detections` metric, labelled kind="FlashCrash", … */
public final class DetectionCounter extends RichMapFunction<Detection, Detection> {
    public static final String METRIC = "detections";
    private transient Map<Integer, Counter> byKind;

    @Override
    public void open(OpenContext context) {
        byKind = new HashMap<>();
    }

    @Override
    public Detection map(Detection detection) {
        byKind.computeIfAbsent(detection.kind, kind -> getRuntimeContext()
                        .getMetricGroup()
                        .addGroup("kind", tickstream.kafka.MarketEventKind.name(kind))
                        .counter(METRIC))
                .inc();
        return detection;
    }
}
