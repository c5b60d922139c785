package tickstream.analytics;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import tickstream.analytics.anomaly.AnomalyJob;
import tickstream.analytics.anomaly.AnomalyParameters;
import tickstream.analytics.candles.CandleJob;
import tickstream.analytics.correlation.CorrelationJob;
import tickstream.analytics.correlation.CorrelationParameters;
import tickstream.analytics.model.Candle;
import tickstream.analytics.model.Correlations;
import tickstream.analytics.model.Detection;
import tickstream.analytics.model.Tick;
import tickstream.analytics.patterns.PatternJob;
import tickstream.analytics.patterns.PatternParameters;
import tickstream.analytics.patterns.PriceStep;
import tickstream.analytics.patterns.PriceStepper;

/**
 * The whole job graph over a stream of ticks that already carries event time and watermarks:
 * each concern is its own job class, composed here. Sources and sinks are not: AnalyticsMain
 * wires Kafka in and out, the tests a fixed tick sequence and collecting sinks.
 *
 *   ticks ─┬─ CandleJob ── 1s bars ─┬─ rolled up to 1m … 1d ── indicators ──▶ candles
 *          │                        ├─ PatternJob (bar patterns, halts) ─┐
 *          │                        ├─ AnomalyJob ───────────────────────┼─▶ market_events
 *          └─ PatternJob (price steps → flash crash) ────────────────────┘
 *                              1m bars ── CorrelationJob ──────────────────▶ correlations
 */
public final class AnalyticsJob {
    /**
     * Flink flushes a partly filled network buffer every 100 ms by default, per exchange, and a
     * tick crosses four on its way to a FlashCrash: ticks by symbol, price steps by symbol,
     * detections by cooldown key, and the counted detections. Under a light load every one of
     * them waits out the timeout, so the detection path flushes after this instead. Under a heavy
     * load the buffers fill first and this costs nothing; the per-task flusher wakes this often.
     */
    public static final long DETECTION_PATH_BUFFER_TIMEOUT_MS = 5;

    /** Everything the job writes. */
    public record Outputs(
            DataStream<Candle> candles,
            DataStream<Detection> detections,
            DataStream<Correlations> correlations,
            DataStream<Tick> lateTicks) {}

    /** Every parameter of every part, with defaults. */
    public static final class Parameters {
        public PatternParameters patterns = new PatternParameters();
        public AnomalyParameters anomalies = new AnomalyParameters();
        public CorrelationParameters correlations = new CorrelationParameters();
    }

    private final Parameters parameters;

    public AnalyticsJob(Parameters parameters) {
        this.parameters = parameters;
    }

    /** Ticks shuffled by symbol once, with their price steps on the side. */
    public record TicksBySymbol(KeyedStream<Tick, String> ticks, DataStream<PriceStep> steps) {}

    /**
     * The one shuffle of raw ticks: by symbol, into PriceStepper, whose output is already
     * partitioned by symbol, so the candle windows read it as a keyed stream (chained, no second
     * serialisation of every tick). Measured: one shuffle instead of two is most of the per-tick cost saved.
     */
    public static TicksBySymbol ticksBySymbol(DataStream<Tick> ticks, PatternParameters patterns) {
        SingleOutputStreamOperator<Tick> stepped = ticks.keyBy(tick -> tick.symbol)
                // A step at least every half crash window, so the window always holds a recent level.
                .process(new PriceStepper(patterns.priceStep, patterns.crashWindowMs / 2))
                .uid("price-steps")
                .name("price steps")
                .setBufferTimeout(DETECTION_PATH_BUFFER_TIMEOUT_MS);
        return new TicksBySymbol(
                DataStreamUtils.reinterpretAsKeyedStream(stepped, tick -> tick.symbol, Types.STRING),
                stepped.getSideOutput(PriceStepper.STEPS));
    }

    public Outputs attach(DataStream<Tick> ticks) {
        TicksBySymbol bySymbol = ticksBySymbol(ticks, parameters.patterns);
        CandleJob.Candles candles = new CandleJob().attach(bySymbol.ticks());
        DataStream<Detection> patterns =
                new PatternJob(parameters.patterns).attach(bySymbol.steps(), candles.secondBars());
        DataStream<Detection> anomalies = new AnomalyJob(parameters.anomalies).attach(candles.secondBars());
        DataStream<Detection> detections = patterns.union(anomalies)
                .map(new DetectionCounter())
                .uid("detections")
                .name("detections (counted)")
                .setBufferTimeout(DETECTION_PATH_BUFFER_TIMEOUT_MS);
        DataStream<Correlations> correlations =
                new CorrelationJob(parameters.correlations).attach(candles.minuteBars());
        return new Outputs(candles.candles(), detections, correlations, candles.lateTicks());
    }
}
