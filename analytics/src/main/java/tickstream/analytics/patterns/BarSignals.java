package tickstream.analytics.patterns;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Bar;

/**
 * 1s bars → BarSignals (per symbol, in event-time order as the window operator emits them).
 * Means per second treat seconds without a bar as zero volume and zero trades: a symbol that
 * trades once a minute has a low mean, and a second with ten trades is a spike for it.
 */
public final class BarSignals extends KeyedProcessFunction<String, Bar, BarSignal> {
    private final long lookbackUs;
    private final long warmUpUs;
    /** Per-second keep factor of the EWMAs: e^(−1 s / τ). */
    private final double keep;
    private transient ValueState<SignalHistory> history;

    public BarSignals(PatternParameters parameters) {
        this.lookbackUs = parameters.breakoutLookbackMs * 1000;
        this.warmUpUs = parameters.warmUpMs * 1000;
        this.keep = Math.exp(-1000.0 / parameters.baselineTauMs);
    }

    @Override
    public void open(OpenContext context) {
        history = getRuntimeContext().getState(new ValueStateDescriptor<>("signal-history", SignalHistory.class));
    }

    @Override
    public void processElement(Bar bar, Context context, Collector<BarSignal> out) throws Exception {
        SignalHistory h = history.value();
        if (h == null) h = new SignalHistory();
        BarSignal signal = new BarSignal();
        signal.symbol = bar.symbol;
        signal.sector = bar.sector;
        signal.startUs = bar.startUs;
        signal.open = bar.open;
        signal.high = bar.high;
        signal.low = bar.low;
        signal.close = bar.close;
        signal.volume = bar.volume;
        signal.trades = bar.trades;
        signal.relativeVolume = Double.NaN;
        signal.relativeTrades = Double.NaN;
        signal.meanVolume = Double.NaN;
        signal.meanTrades = Double.NaN;

        if (h.firstStartUs == Long.MIN_VALUE) {
            h.firstStartUs = bar.startUs;
            h.lastStartUs = bar.startUs - 1_000_000;
        } else {
            signal.previousClose = h.lastClose;
        }
        // The seconds since the previous bar: the empty ones decay the sums, then this one adds.
        long gapSeconds = Math.max(1, (bar.startUs - h.lastStartUs) / 1_000_000);
        double emptyDecay = Math.pow(keep, gapSeconds - 1);
        h.volumeSum *= emptyDecay;
        h.tradesSum *= emptyDecay;
        long observedSeconds = (bar.startUs - h.firstStartUs) / 1_000_000;
        boolean warm = bar.startUs - h.firstStartUs >= warmUpUs;
        if (warm) {
            double weight = 1 - Math.pow(keep, observedSeconds);
            signal.meanVolume = (1 - keep) * h.volumeSum / weight;
            signal.meanTrades = (1 - keep) * h.tradesSum / weight;
            signal.relativeVolume = signal.meanVolume > 0 ? bar.volume / signal.meanVolume : Double.NaN;
            signal.relativeTrades = signal.meanTrades > 0 ? bar.trades / signal.meanTrades : Double.NaN;
        }
        h.volumeSum = keep * h.volumeSum + bar.volume;
        h.tradesSum = keep * h.tradesSum + bar.trades;

        while (h.size > 0 && h.frontStart() < bar.startUs - lookbackUs) h.popFront();
        if (h.size > 0 && bar.startUs - h.firstStartUs >= lookbackUs) signal.priorHigh = h.frontHigh();
        while (h.size > 0 && h.backHigh() <= bar.high) h.popBack();
        h.pushBack(bar.startUs, bar.high);

        h.lastStartUs = bar.startUs;
        h.lastClose = bar.close;
        history.update(h);
        out.collect(signal);
    }
}
