package tickstream.analytics;

import org.apache.flink.streaming.api.datastream.DataStream;
import tickstream.analytics.candles.CandleJob;
import tickstream.analytics.model.Candle;
import tickstream.analytics.model.Tick;

/**
 * The whole job graph over a stream of ticks that already carries event time and watermarks:
 * each concern is its own job class, composed here. Sources and sinks are not: AnalyticsMain
 * wires Kafka in and out, the tests a fixed tick sequence and collecting sinks.
 */
public final class AnalyticsJob {
    /** Everything the job writes. */
    public record Outputs(DataStream<Candle> candles, DataStream<Tick> lateTicks) {}

    private final CandleJob candleJob = new CandleJob();

    public Outputs attach(DataStream<Tick> ticks) {
        CandleJob.Candles candles = candleJob.attach(ticks);
        return new Outputs(candles.candles(), candles.lateTicks());
    }
}
