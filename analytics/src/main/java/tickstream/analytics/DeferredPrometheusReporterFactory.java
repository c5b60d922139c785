package tickstream.analytics;

import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Flink's Prometheus reporter, its port bound only once this JVM runs the job
 * (`metrics.reporter.prom.factory.class` names this class; META-INF/services lists it).
 * A hot standby JVM starts its MiniCluster, and with it the metric reporters, while the active
 * JVM still holds the metrics port; it takes the port over when it takes over the job.
 */
public final class DeferredPrometheusReporterFactory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        return new DeferredPrometheusReporter();
    }
}
