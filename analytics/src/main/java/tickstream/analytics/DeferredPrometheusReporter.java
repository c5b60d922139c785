package tickstream.analytics;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.prometheus.PrometheusReporterFactory;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the metrics Flink registers until {@link #bindAll()}, then hands them, and every later
 * one, to a real PrometheusReporter, which binds the metrics port at that moment. Before that
 * nothing listens: the port may still belong to the JVM this one stands by for.
 */
final class DeferredPrometheusReporter implements MetricReporter {
    private static final Logger LOG = LoggerFactory.getLogger(DeferredPrometheusReporter.class);
    /** Every instance in this JVM (one per MiniCluster with a reporter), and whether they are bound. */
    private static final List<DeferredPrometheusReporter> INSTANCES = new ArrayList<>();
    private static boolean bound;

    private record Registration(String name, MetricGroup group) {}

    private final Map<Metric, Registration> held = new IdentityHashMap<>();
    private MetricConfig config;
    private MetricReporter real;

    DeferredPrometheusReporter() {
        synchronized (INSTANCES) {
            INSTANCES.add(this);
        }
    }

    /** Binds the port of every reporter of this JVM, now and for any created later. */
    static void bindAll() {
        List<DeferredPrometheusReporter> reporters;
        synchronized (INSTANCES) {
            bound = true;
            reporters = List.copyOf(INSTANCES);
        }
        for (DeferredPrometheusReporter reporter : reporters) reporter.bind();
    }

    @Override
    public synchronized void open(MetricConfig config) {
        this.config = config;
        boolean now;
        synchronized (INSTANCES) {
            now = bound;
        }
        if (now) bind();
    }

    private synchronized void bind() {
        if (real != null || config == null) return;
        try {
            real = new PrometheusReporterFactory().createMetricReporter(config);
            real.open(config);
        } catch (RuntimeException error) {
            // The JVM runs on without metrics rather than not at all (the port taken by another process).
            LOG.error("the Prometheus reporter could not bind its port; no metrics are served", error);
            real = null;
            held.clear();
            config = null;
            return;
        }
        held.forEach((metric, registration) -> real.notifyOfAddedMetric(metric, registration.name(), registration.group()));
        held.clear();
    }

    @Override
    public synchronized void close() {
        if (real != null) real.close();
        held.clear();
    }

    @Override
    public synchronized void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (real != null) real.notifyOfAddedMetric(metric, name, group);
        else if (config != null) held.put(metric, new Registration(name, group));
    }

    @Override
    public synchronized void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        if (real != null) real.notifyOfRemovedMetric(metric, name, group);
        else held.remove(metric);
    }
}
