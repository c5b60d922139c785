package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Candle;
import tickstream.kafka.CandleBar;

/**
 * A Candle as a `candles` record: key = symbol, **partition = timeframe**, timestamp = bar start,
 * so "the last N bars of timeframe T" is a ListOffsets by time on partition T and a read to its end.
 */
public final class CandleSerializer extends OneTopicSerializer<Candle> {
    private transient FlatBufferBuilder builder;

    public CandleSerializer(String topic) {
        super(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Candle candle, KafkaSinkContext context, Long timestamp) {
        Bar bar = candle.bar;
        return new ProducerRecord<>(
                topic, bar.timeframe, bar.startUs / 1000, bar.symbol.getBytes(StandardCharsets.UTF_8), encode(candle));
    }

    public byte[] encode(Candle candle) {
        if (builder == null) builder = new FlatBufferBuilder(256);
        builder.clear();
        Bar bar = candle.bar;
        int symbol = builder.createString(bar.symbol);
        int sector = builder.createString(bar.sector);
        CandleBar.startCandleBar(builder);
        CandleBar.addSymbol(builder, symbol);
        CandleBar.addSector(builder, sector);
        CandleBar.addTimeframe(builder, bar.timeframe);
        CandleBar.addStartTimeUs(builder, bar.startUs);
        CandleBar.addOpen(builder, bar.open);
        CandleBar.addHigh(builder, bar.high);
        CandleBar.addLow(builder, bar.low);
        CandleBar.addClose(builder, bar.close);
        CandleBar.addVolume(builder, bar.volume);
        CandleBar.addVwap(builder, bar.vwap());
        CandleBar.addTrades(builder, bar.trades);
        // NaN (not enough bars) differs from the schema's default 0, so it is always written;
        // an omitted indicator reads back as the 0 it was.
        CandleBar.addSma20(builder, candle.sma20);
        CandleBar.addSma50(builder, candle.sma50);
        CandleBar.addEma20(builder, candle.ema20);
        CandleBar.addEma50(builder, candle.ema50);
        CandleBar.addVolatility20(builder, candle.volatility20);
        CandleBar.addRelativeVolume(builder, candle.relativeVolume);
        CandleBar.addPriceVolumeCorrelation(builder, candle.priceVolumeCorrelation);
        builder.finish(CandleBar.endCandleBar(builder));
        return builder.sizedByteArray();
    }
}
