package tickstream.analytics.correlation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Correlations;
import tickstream.analytics.model.Timeframes;
import tickstream.analytics.candles.Indicators;

/**
 * One group's correlation matrix (keyed by group), recomputed as each bar period ends: an
 * event-time timer at the period's last millisecond fires once every symbol's bar of that
 * period is in (the bars carry that timestamp, and the watermark passes it only after them).
 * Returns are aligned by bar start; a pair uses the periods where both symbols have a return.
 */
public final class CorrelationMatrices extends KeyedProcessFunction<String, GroupBar, Correlations> {
    private final CorrelationParameters p;
    private transient MapState<String, SymbolCloses> closes;
    /** Set once "all" has met more symbols than maxAllSymbols: it is then never written. */
    private transient ValueState<Boolean> tooLarge;

    public CorrelationMatrices(CorrelationParameters parameters) {
        this.p = parameters;
    }

    @Override
    public void open(OpenContext context) {
        closes = getRuntimeContext()
                .getMapState(new MapStateDescriptor<>("closes", String.class, SymbolCloses.class));
        tooLarge = getRuntimeContext().getState(new ValueStateDescriptor<>("too-large", Boolean.class));
    }

    @Override
    public void processElement(GroupBar groupBar, Context context, Collector<Correlations> out) throws Exception {
        Bar bar = groupBar.bar;
        if (Boolean.TRUE.equals(tooLarge.value())) return;
        SymbolCloses symbol = closes.get(bar.symbol);
        if (symbol == null) {
            if (groupBar.group.equals(CorrelationJob.ALL) && size() >= p.maxAllSymbols) {
                // A matrix of an arbitrary subset would mislead: none at all for this universe.
                tooLarge.update(true);
                closes.clear();
                return;
            }
            symbol = new SymbolCloses(p.windowBars + 1);
        }
        long timeframeMs = Timeframes.length(p.timeframe).toMillis();
        symbol.add(bar.startUs / 1000, timeframeMs, bar.close);
        closes.put(bar.symbol, symbol);
        context.timerService().registerEventTimeTimer(bar.startUs / 1000 + timeframeMs - 1);
    }

    private int size() throws Exception {
        int n = 0;
        for (String ignored : closes.keys()) n++;
        return n;
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext context, Collector<Correlations> out) throws Exception {
        long timeframeMs = Timeframes.length(p.timeframe).toMillis();
        long lastStart = timestamp + 1 - timeframeMs;
        List<String> names = new ArrayList<>();
        List<double[]> returns = new ArrayList<>();
        for (Map.Entry<String, SymbolCloses> entry : closes.entries()) {
            double[] r = new double[p.windowBars];
            int present = 0;
            for (int i = 0; i < p.windowBars; i++) {
                long start = lastStart - (long) (p.windowBars - 1 - i) * timeframeMs;
                double now = entry.getValue().closeAt(start, timeframeMs);
                double before = entry.getValue().closeAt(start - timeframeMs, timeframeMs);
                r[i] = Math.log(now / before);
                if (!Double.isNaN(r[i])) present++;
            }
            if (present == 0) continue;
            names.add(entry.getKey());
            returns.add(r);
        }
        if (names.size() < 2) return;
        // Sorted rows: the same group gives the same order every minute.
        Integer[] order = new Integer[names.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> names.get(a).compareTo(names.get(b)));
        int n = order.length;
        Correlations matrix = new Correlations();
        matrix.group = context.getCurrentKey();
        matrix.timeframe = p.timeframe;
        matrix.windowBars = p.windowBars;
        matrix.endTimeUs = (timestamp + 1) * 1000;
        matrix.symbols = new String[n];
        matrix.values = new float[n * n];
        for (int i = 0; i < n; i++) matrix.symbols[i] = names.get(order[i]);
        for (int i = 0; i < n; i++) {
            matrix.values[i * n + i] = 1f;
            for (int j = i + 1; j < n; j++) {
                float c = (float) correlation(returns.get(order[i]), returns.get(order[j]));
                matrix.values[i * n + j] = c;
                matrix.values[j * n + i] = c;
            }
        }
        out.collect(matrix);
    }

    private double correlation(double[] a, double[] b) {
        int common = 0;
        for (int i = 0; i < a.length; i++) if (!Double.isNaN(a[i]) && !Double.isNaN(b[i])) common++;
        if (common < p.minCommonReturns) return Double.NaN;
        double[] x = new double[common];
        double[] y = new double[common];
        for (int i = 0, k = 0; i < a.length; i++) {
            if (Double.isNaN(a[i]) || Double.isNaN(b[i])) continue;
            x[k] = a[i];
            y[k++] = b[i];
        }
        return Indicators.pearson(x, y);
    }
}
