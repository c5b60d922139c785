package tickstream.analytics.candles;

import org.apache.flink.api.common.functions.AggregateFunction;
import tickstream.analytics.model.Bar;

/** Rolls finished bars of one timeframe up into a bar of a longer one (1m → 5m, …). */
public final class BarsToBar implements AggregateFunction<Bar, BarAccumulator, Bar> {
    @Override
    public BarAccumulator createAccumulator() {
        return new BarAccumulator();
    }

    @Override
    public BarAccumulator add(Bar bar, BarAccumulator rollup) {
        rollup.addBar(bar);
        return rollup;
    }

    @Override
    public Bar getResult(BarAccumulator rollup) {
        return rollup.toBar();
    }

    @Override
    public BarAccumulator merge(BarAccumulator a, BarAccumulator b) {
        a.merge(b);
        return a;
    }
}
