package tickstream.analytics.candles;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.OutputTag;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Candle;
import tickstream.analytics.model.Tick;
import tickstream.analytics.model.Timeframes;
import tickstream.kafka.BarTimeframe;

/**
 * Candles: event-time tumbling windows per symbol.
 * - 1s bars from ticks (OHLCV, VWAP, trades); ticks whose second has already been emitted are
 *   late: they go to LATE_TICKS and are counted (`late_ticks`), never folded in or dropped silently;
 * - 1m from 1s, then 5m from 1m, 15m from 5m, 1h from 15m, 4h from 1h, 1d from 4h: each roll-up
 *   reads the bars of the timeframe before it, so a day window holds one small accumulator per
 *   symbol instead of its ticks. Windows align to the Unix epoch (days are UTC days).
 * - indicators per symbol and timeframe (Indicators).
 *
 * Event time throughout (the tick's exchange time): a bar is the same whether its ticks arrive in
 * order, out of order within the bound, or replayed after a restart.
 */
public final class CandleJob {
    public static final OutputTag<Tick> LATE_TICKS = new OutputTag<>("late-ticks", TypeInformation.of(Tick.class));

    /** What the candle pipeline makes. */
    public record Candles(
            DataStream<Bar> secondBars, DataStream<Bar> minuteBars, DataStream<Candle> candles, DataStream<Tick> lateTicks) {}

    /** `ticks`: keyed by symbol (AnalyticsJob.ticksBySymbol). */
    public Candles attach(KeyedStream<Tick, String> ticks) {
        SingleOutputStreamOperator<Bar> seconds = ticks
                .window(TumblingEventTimeWindows.of(Timeframes.length(BarTimeframe.S1)))
                .sideOutputLateData(LATE_TICKS)
                .aggregate(new TicksToBar(), new StampBar(BarTimeframe.S1))
                .uid("bars-S1")
                .name("1s bars");
        DataStream<Tick> late = seconds.getSideOutput(LATE_TICKS)
                .map(new LateTickCounter())
                .uid("late-ticks")
                .name("late ticks (counted)");

        List<DataStream<Bar>> timeframes = new ArrayList<>();
        timeframes.add(seconds);
        DataStream<Bar> shorter = seconds;
        for (int timeframe = BarTimeframe.M1; timeframe < Timeframes.COUNT; timeframe++) {
            shorter = rollUp(shorter, timeframe);
            timeframes.add(shorter);
        }
        DataStream<Bar> every = seconds;
        for (DataStream<Bar> longer : timeframes.subList(1, timeframes.size())) every = every.union(longer);
        DataStream<Candle> candles = every.keyBy(bar -> bar.symbol + '/' + bar.timeframe)
                .process(new Indicators())
                .uid("indicators")
                .name("indicators");
        return new Candles(seconds, timeframes.get(1), candles, late);
    }

    private static DataStream<Bar> rollUp(DataStream<Bar> shorter, int timeframe) {
        String name = Timeframes.name(timeframe);
        return shorter.keyBy(bar -> bar.symbol)
                .window(TumblingEventTimeWindows.of(Timeframes.length(timeframe)))
                .aggregate(new BarsToBar(), new StampBar(timeframe))
                .uid("bars-" + name)
                .name(name + " bars");
    }
}
