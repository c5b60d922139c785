package tickstream.analytics.anomaly;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Detection;
import tickstream.kafka.MarketEventKind;

/**
 * Anomalies per symbol over its 1s bars, each judged against the symbol's own EWMA statistics
 * from before it (so an outlier does not hide itself), then folded in:
 * - return: the close-to-close log return divided by √(seconds since the previous bar), so a
 *   return across a gap is not mistaken for a jump; |z| ≥ returnZ;
 * - activity: log(1 + trades in the bar); z ≥ activityZ. Trade counts, not volume: sizes are
 *   heavy-tailed (Pareto), so one block trade would be a 6σ volume every few minutes.
 * The evidence is the value, the mean and standard deviation it was compared with, and the
 * EWMA's half-life as the window.
 */
public final class EwmaAnomalyDetector extends KeyedProcessFunction<String, Bar, Detection> {
    private final AnomalyParameters p;
    private final double alpha;
    private transient ValueState<AnomalyState> state;

    public EwmaAnomalyDetector(AnomalyParameters parameters) {
        this.p = parameters;
        this.alpha = 1 - Math.pow(0.5, 1 / parameters.halfLifeBars);
    }

    @Override
    public void open(OpenContext context) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>("anomaly", AnomalyState.class));
    }

    @Override
    public void processElement(Bar bar, Context context, Collector<Detection> out) throws Exception {
        AnomalyState s = state.value();
        if (s == null) s = new AnomalyState();
        long windowMs = Math.round(p.halfLifeBars * 1000);
        long endUs = bar.startUs + 1_000_000;

        if (s.lastStartUs != Long.MIN_VALUE && s.lastClose > 0 && bar.close > 0) {
            double seconds = Math.max(1, (bar.startUs - s.lastStartUs) / 1e6);
            double normalised = Math.log((double) bar.close / s.lastClose) / Math.sqrt(seconds);
            double z = s.returns.zScore(normalised, p.warmUpBars);
            if (Math.abs(z) >= p.returnZ && endUs - s.lastReturnReportUs >= p.cooldownMs * 1000) {
                s.lastReturnReportUs = endUs;
                out.collect(new Detection(MarketEventKind.Anomaly, bar.symbol, bar.sector, "return", endUs)
                        .measured(normalised, p.returnZ)
                        .against(s.returns.mean, s.returns.deviation())
                        .over(windowMs, s.lastStartUs + 1_000_000)
                        .prices(s.lastClose, bar.close)
                        .saying(String.format(
                                "%+.3f %% in %.0f s, %.1f standard deviations from its usual %+.4f %% ± %.4f %%",
                                100 * (Math.exp(normalised * Math.sqrt(seconds)) - 1), seconds, z,
                                100 * s.returns.mean, 100 * s.returns.deviation())));
            }
            s.returns.update(normalised, alpha);
        }

        double activity = Math.log1p(bar.trades);
        double z = s.activity.zScore(activity, p.warmUpBars);
        if (z >= p.activityZ && endUs - s.lastActivityReportUs >= p.cooldownMs * 1000) {
            s.lastActivityReportUs = endUs;
            out.collect(new Detection(MarketEventKind.Anomaly, bar.symbol, bar.sector, "trades", endUs)
                    .measured(activity, p.activityZ)
                    .against(s.activity.mean, s.activity.deviation())
                    .over(windowMs, bar.startUs)
                    .prices(bar.open, bar.close)
                    .saying(String.format(
                            "%d trades in one second, %.1f standard deviations above its usual ~%.1f",
                            bar.trades, z, Math.expm1(s.activity.mean))));
        }
        s.activity.update(activity, alpha);

        s.lastStartUs = bar.startUs;
        s.lastClose = bar.close;
        state.update(s);
    }
}
