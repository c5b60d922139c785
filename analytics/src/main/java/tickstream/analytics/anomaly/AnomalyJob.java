package tickstream.analytics.anomaly;

import org.apache.flink.streaming.api.datastream.DataStream;
import tickstream.analytics.AnalyticsJob;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Detection;

/** Anomaly detection: EWMA statistics per symbol over its 1s bars, z-score thresholds (EwmaAnomalyDetector). */
public final class AnomalyJob {
    private final AnomalyParameters parameters;

    public AnomalyJob(AnomalyParameters parameters) {
        this.parameters = parameters;
    }

    public DataStream<Detection> attach(DataStream<Bar> secondBars) {
        return secondBars.keyBy(bar -> bar.symbol)
                .process(new EwmaAnomalyDetector(parameters))
                .uid("anomalies")
                .name("anomalies (EWMA z-scores)")
                .setBufferTimeout(AnalyticsJob.DETECTION_PATH_BUFFER_TIMEOUT_MS);
    }
}
