package tickstream.analytics.candles;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Candle;

/**
 * Indicators of one symbol and timeframe as of each bar's close (keyed by symbol + timeframe),
 * over the bars that exist: a second or minute without trades has no bar and is not counted.
 * - SMA 20/50 of the close;
 * - EMA 20/50, α = 2 / (n + 1), seeded with the SMA of the first n bars;
 * - volatility20: sample standard deviation of the last 20 close-to-close log returns;
 * - relative volume: this bar's volume / the mean volume of the 20 bars before it;
 * - price–volume correlation: Pearson of the last 20 returns against those bars' volumes.
 * NaN until there are enough bars.
 */
public final class Indicators extends KeyedProcessFunction<String, Bar, Candle> {
    private static final int N = IndicatorHistory.SHORT;
    private transient ValueState<IndicatorHistory> history;

    @Override
    public void open(OpenContext context) {
        history = getRuntimeContext().getState(new ValueStateDescriptor<>("history", IndicatorHistory.class));
    }

    @Override
    public void processElement(Bar bar, Context context, Collector<Candle> out) throws Exception {
        IndicatorHistory h = history.value();
        if (h == null) h = new IndicatorHistory();
        h.add(bar.close, bar.volume);
        Candle candle = compute(bar, h);
        history.update(h);
        out.collect(candle);
    }

    /** Updates the EMAs in `h` and returns the bar with its indicators. */
    static Candle compute(Bar bar, IndicatorHistory h) {
        Candle candle = new Candle();
        candle.bar = bar;
        candle.sma20 = sma(h, N);
        candle.sma50 = sma(h, IndicatorHistory.LONG);
        h.ema20 = ema(h.ema20, candle.sma20, bar.close, N, h.count);
        h.ema50 = ema(h.ema50, candle.sma50, bar.close, IndicatorHistory.LONG, h.count);
        candle.ema20 = h.ema20;
        candle.ema50 = h.ema50;
        candle.volatility20 = Double.NaN;
        candle.relativeVolume = Double.NaN;
        candle.priceVolumeCorrelation = Double.NaN;
        if (h.count > N) {
            double[] returns = new double[N];
            double[] volumes = new double[N];
            double previousVolumes = 0;
            for (int i = 0; i < N; i++) {
                returns[i] = Math.log(h.close(i) / h.close(i + 1));
                volumes[i] = h.volume(i);
                previousVolumes += h.volume(i + 1);
            }
            candle.volatility20 = Math.sqrt(variance(returns));
            double meanBefore = previousVolumes / N;
            candle.relativeVolume = meanBefore > 0 ? bar.volume / meanBefore : Double.NaN;
            candle.priceVolumeCorrelation = pearson(returns, volumes);
        }
        return candle;
    }

    private static double sma(IndicatorHistory h, int n) {
        if (h.count < n) return Double.NaN;
        double sum = 0;
        for (int i = 0; i < n; i++) sum += h.close(i);
        return sum / n;
    }

    private static double ema(double previous, double sma, double close, int n, long count) {
        if (count < n) return Double.NaN;
        if (count == n) return sma;
        double alpha = 2.0 / (n + 1);
        return alpha * close + (1 - alpha) * previous;
    }

    /** Sample variance (n − 1). */
    static double variance(double[] values) {
        double mean = 0;
        for (double v : values) mean += v;
        mean /= values.length;
        double squares = 0;
        for (double v : values) squares += (v - mean) * (v - mean);
        return squares / (values.length - 1);
    }

    /** Pearson correlation; NaN when either series is constant. */
    public static double pearson(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Double.NaN;
    }
}
