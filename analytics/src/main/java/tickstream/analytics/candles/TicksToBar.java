package tickstream.analytics.candles;

import org.apache.flink.api.common.functions.AggregateFunction;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Tick;

/** Folds one window's ticks into a bar, incrementally: the window keeps one accumulator, not its ticks. */
public final class TicksToBar implements AggregateFunction<Tick, BarAccumulator, Bar> {
    @Override
    public BarAccumulator createAccumulator() {
        return new BarAccumulator();
    }

    @Override
    public BarAccumulator add(Tick tick, BarAccumulator bar) {
        bar.addTrade(tick.symbol, tick.sector, tick.price, tick.size, tick.timeUs, tick.sequence);
        return bar;
    }

    @Override
    public Bar getResult(BarAccumulator bar) {
        return bar.toBar();
    }

    @Override
    public BarAccumulator merge(BarAccumulator a, BarAccumulator b) {
        a.merge(b);
        return a;
    }
}
