package tickstream.analytics.candles;

import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Bar;

/** Gives a window's bar its timeframe and start time (the window's start). */
public final class StampBar extends ProcessWindowFunction<Bar, Bar, String, TimeWindow> {
    private final int timeframe;

    public StampBar(int timeframe) {
        this.timeframe = timeframe;
    }

    @Override
    public void process(String symbol, Context context, Iterable<Bar> bars, Collector<Bar> out) {
        for (Bar bar : bars) {
            bar.timeframe = timeframe;
            bar.startUs = context.window().getStart() * 1000;
            out.collect(bar);
        }
    }
}
