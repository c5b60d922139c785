package tickstream.analytics.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import tickstream.analytics.alerts.Trigger;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Candle;
import tickstream.analytics.model.Detection;
import tickstream.analytics.model.Tick;
import tickstream.kafka.BarTimeframe;
import tickstream.kafka.CandleBar;
import tickstream.kafka.EventSource;
import tickstream.kafka.MarketEvent;
import tickstream.kafka.MarketEventKind;
import tickstream.analytics.trading.Account;
import tickstream.analytics.trading.CurvePoint;
import tickstream.analytics.trading.MatchedUpdate;
import tickstream.analytics.trading.PortfolioSnapshot;
import tickstream.analytics.trading.TradingRecord;
import tickstream.analytics.trading.TradingTick;
import tickstream.trading.EquityCurve;
import tickstream.trading.OrderUpdate;
import tickstream.trading.Portfolio;
import tickstream.user.AlertKind;
import tickstream.user.AlertTrigger;

/** The Kafka records, through the classes flatc generates from schemas/fbs. */
class SerializersTest {
    /** Bytes the TypeScript encoder made (schemas/src/golden.test.ts): one schema, two languages. */
    private static byte[] golden(String name) throws Exception {
        String json = Files.readString(Path.of("..", "schemas", "src", "fixtures", "golden.json"));
        Matcher hex = Pattern.compile("\"" + name + "\": \"([0-9a-f]+)\"").matcher(json);
        assertTrue(hex.find(), name + " is in golden.json");
        return HexFormat.of().parseHex(hex.group(1));
    }

    @Test
    void decodesATickTheTypeScriptProducerEncoded() throws Exception {
        TickDeserializer deserializer = new TickDeserializer();
        Tick tick = deserializer.decode(golden("tick"));
        assertEquals("AAPL", tick.symbol);
        assertEquals("Tech", tick.sector);
        assertEquals(1_892_345L, tick.price);
        assertEquals(100L, tick.size);
        assertEquals(1_795_000_000_000_000L, tick.timeUs);
        assertEquals(1L, tick.sequence);
    }

    @Test
    void decodesATickWithItsQuoteForTheFillEngine() throws Exception {
        byte[] value = golden("tick");
        tickstream.kafka.Tick flat = tickstream.kafka.Tick.getRootAsTick(ByteBuffer.wrap(value));
        TradingTickDeserializer deserializer = new TradingTickDeserializer();
        List<TradingTick> out = new java.util.ArrayList<>();
        org.apache.flink.util.Collector<TradingTick> collector = new org.apache.flink.util.Collector<>() {
            @Override
            public void collect(TradingTick tick) {
                out.add(tick);
            }

            @Override
            public void close() {}
        };
        // Twice: the second symbol comes from the name cache.
        for (int i = 0; i < 2; i++)
            deserializer.deserialize(new org.apache.kafka.clients.consumer.ConsumerRecord<>("ticks", 0, i, null, value), collector);
        deserializer.deserialize(new org.apache.kafka.clients.consumer.ConsumerRecord<>("ticks", 0, 2, null, new byte[] {1, 2, 3}), collector);
        assertEquals(2, out.size());
        for (TradingTick tick : out) {
            assertEquals("AAPL", tick.symbol);
            assertEquals(1_892_345L, tick.price);
            assertEquals(100L, tick.size);
            assertEquals(flat.bid(), tick.bid);
            assertEquals(flat.ask(), tick.ask);
            assertEquals(1_795_000_000_000L, tick.timeMs);
            assertEquals(1L, tick.sequence);
        }
    }

    @Test
    void skipsRecordsThatAreNotTicks() {
        TickDeserializer deserializer = new TickDeserializer();
        assertNull(deserializer.decode(null));
        assertNull(deserializer.decode(new byte[] {1, 2, 3}));
        assertNull(deserializer.decode(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 0, 0, 0, 0, 0, 0}));
        byte[] lying = new byte[64];
        ByteBuffer.wrap(lying).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, 8).putInt(8, -40);
        assertNull(deserializer.decode(lying));
    }

    @Test
    void writesACandleWithItsIndicatorsNaNIncluded() {
        Bar bar = new Bar();
        bar.symbol = "MSFT";
        bar.sector = "Tech";
        bar.timeframe = BarTimeframe.H1;
        bar.startUs = 1_800_000_000_000_000L;
        bar.open = 4_000_000;
        bar.high = 4_100_000;
        bar.low = 3_900_000;
        bar.close = 4_050_000;
        bar.volume = 1_000;
        bar.notional = 4_020_000.0 * 1_000;
        bar.trades = 17;
        Candle candle = new Candle();
        candle.bar = bar;
        candle.sma20 = 4_010_000.5;
        candle.sma50 = Double.NaN;
        candle.ema20 = 0;
        candle.ema50 = Double.NaN;
        candle.volatility20 = 0.002;
        candle.relativeVolume = 1.5;
        candle.priceVolumeCorrelation = -0.25;
        CandleBar read = CandleBar.getRootAsCandleBar(ByteBuffer.wrap(new CandleSerializer("candles").encode(candle)));
        assertEquals("MSFT", read.symbol());
        assertEquals(BarTimeframe.H1, read.timeframe());
        assertEquals(1_800_000_000_000_000L, read.startTimeUs());
        assertEquals(4_020_000L, read.vwap());
        assertEquals(17L, read.trades());
        assertEquals(4_010_000.5, read.sma20());
        assertTrue(Double.isNaN(read.sma50()));
        assertEquals(0.0, read.ema20());
        assertEquals(-0.25, read.priceVolumeCorrelation());
        var record = new CandleSerializer("candles").serialize(candle, null, null);
        assertEquals(BarTimeframe.H1, record.partition(), "partition = timeframe");
        assertEquals(1_800_000_000_000L, record.timestamp(), "timestamp = bar start");
    }

    @Test
    void namesTheTopicEachSinkWrites() {
        // KafkaSink's pooled transactional ids need them to find a restarted job's open transactions.
        assertEquals(List.of("c"), new CandleSerializer("c").getKafkaDatasetFacet().orElseThrow().getTopicIdentifier().getTopics());
        assertEquals(List.of("e"), new DetectionSerializer("e").getKafkaDatasetFacet().orElseThrow().getTopicIdentifier().getTopics());
        assertEquals(
                List.of("x"), new CorrelationSerializer("x").getKafkaDatasetFacet().orElseThrow().getTopicIdentifier().getTopics());
    }

    @Test
    void writesADetectionAsAMarketEventWithItsEvidence() {
        Detection detection = new Detection(MarketEventKind.FlashCrash, "TSLA", "Consumer", "flash-crash", 5_000_000)
                .measured(2.5, 2.0)
                .over(5_000, 3_000_000)
                .prices(2_500_000, 2_437_500)
                .saying("fell 2.50 %");
        MarketEvent read = MarketEvent.getRootAsMarketEvent(
                ByteBuffer.wrap(new DetectionSerializer("market_events").encode(detection)));
        assertEquals(MarketEventKind.FlashCrash, read.kind());
        assertEquals(EventSource.Analytics, read.source());
        assertEquals("TSLA", read.symbol());
        assertEquals(2.5, read.value());
        assertTrue(Double.isNaN(read.mean()));
        assertEquals(5_000L, read.windowMs());
        assertEquals(3_000_000L, read.startTimeUs());
        assertEquals(2_437_500L, read.price());
    }

    @Test
    void writesAPortfoliosWholeEquityCurveOldestFirst() {
        PortfolioSnapshot snapshot = new PortfolioSnapshot();
        snapshot.user = "alice";
        snapshot.cash = 5;
        snapshot.equityCurve.add(new CurvePoint(1_000, 10));
        snapshot.equityCurve.add(new CurvePoint(61_000, 20));
        snapshot.equityCurve.add(new CurvePoint(121_000, 30));
        Portfolio portfolio = Portfolio.getRootAsPortfolio(ByteBuffer.wrap(new PortfolioSerializer("portfolios").encode(snapshot)));
        assertEquals(3, portfolio.equityCurveLength());
        for (int i = 0; i < 3; i++) {
            assertEquals(1_000 + i * 60_000L, portfolio.equityCurve(i).timeMs());
            assertEquals(10 * (i + 1), portfolio.equityCurve(i).equity());
        }
    }

    @Test
    void writesAUsersEquityCurveUnderItsOwnKeyAndAPortfolioUnderTheUser() {
        PortfolioSerializer serializer = new PortfolioSerializer("portfolios");
        PortfolioSnapshot curve = new PortfolioSnapshot();
        curve.equityCurveRecord = true;
        curve.user = "alice";
        curve.resetAtMs = 500;
        curve.equityCurve.add(new CurvePoint(1_000, 10));
        curve.equityCurve.add(new CurvePoint(61_000, 20));
        ProducerRecord<byte[], byte[]> record = serializer.serialize(curve, null, null);
        assertEquals("alice/equity-curve", new String(record.key(), StandardCharsets.UTF_8));
        EquityCurve read = EquityCurve.getRootAsEquityCurve(ByteBuffer.wrap(record.value()));
        assertEquals("alice", read.user());
        assertEquals(500, read.resetAtMs());
        assertEquals(2, read.pointsLength());
        assertEquals(61_000, read.points(1).timeMs());
        assertEquals(20, read.points(1).equity());

        PortfolioSnapshot portfolio = new PortfolioSnapshot();
        portfolio.user = "alice";
        portfolio.lastUpdateId = "";
        portfolio.updatedAtMs = 61_000;
        ProducerRecord<byte[], byte[]> plain = serializer.serialize(portfolio, null, null);
        assertEquals("alice", new String(plain.key(), StandardCharsets.UTF_8));
        assertEquals("alice", Portfolio.getRootAsPortfolio(ByteBuffer.wrap(plain.value())).user());
    }

    @Test
    void writesATriggerKeyedByItsUserWithTheJobsTimesAsHeaders() {
        Trigger trigger = new Trigger();
        trigger.id = "a1-5-7";
        trigger.user = "alice";
        trigger.ruleId = "a1";
        trigger.symbol = "AAPL";
        trigger.kind = AlertKind.PriceAbove;
        trigger.price = 201;
        trigger.timeMs = 1_000;
        trigger.tickSequence = 7;
        trigger.readAtMs = 1_020;
        trigger.firedAtMs = 1_031;
        long before = System.currentTimeMillis();
        var record = new AlertTriggerSerializer("alert_events").serialize(trigger, null, null);
        long after = System.currentTimeMillis();
        assertEquals("alert_events", record.topic());
        assertEquals("alice", new String(record.key(), StandardCharsets.UTF_8));
        assertEquals(1_000L, record.timestamp());
        assertEquals("a1-5-7", AlertTrigger.getRootAsAlertTrigger(ByteBuffer.wrap(record.value())).id());
        assertEquals(1_020L, header(record, AlertTriggerSerializer.READ_HEADER));
        assertEquals(1_031L, header(record, AlertTriggerSerializer.FIRED_HEADER));
        long sent = header(record, AlertTriggerSerializer.SENT_HEADER);
        assertTrue(sent >= before && sent <= after, "sent-ms " + sent + " is when it was serialized");
    }

    @Test
    void writesAnOrderUpdateKeyedByItsUserWithWhenTheSinkGotItAsAHeader() {
        MatchedUpdate update = new MatchedUpdate();
        update.id = "o7-1";
        update.orderId = "o7";
        update.user = "alice";
        update.symbol = "AAPL";
        update.fillQuantity = 1;
        update.timeMs = 1_000;
        long before = System.currentTimeMillis();
        var record = new OrderUpdateSerializer("fills").serialize(update, null, null);
        long after = System.currentTimeMillis();
        assertEquals("fills", record.topic());
        assertEquals("alice", new String(record.key(), StandardCharsets.UTF_8));
        assertEquals(1_000L, record.timestamp());
        assertEquals("o7-1", OrderUpdate.getRootAsOrderUpdate(ByteBuffer.wrap(record.value())).id());
        long sent = header(record, OrderUpdateSerializer.SENT_HEADER);
        assertTrue(sent >= before && sent <= after, "sent-ms " + sent + " is when it was serialized");
    }

    /** The fill engine's one sink: each record to its own topic, both topics named for the pooled ids. */
    @Test
    void writesTheFillEnginesRecordsEachToItsTopic() {
        var serializer = new TradingRecordSerializer("fills", "portfolios");
        MatchedUpdate update = new MatchedUpdate();
        update.id = "o7-2";
        update.orderId = "o7";
        update.user = "alice";
        update.symbol = "AAPL";
        update.timeMs = 1_000;
        var fill = serializer.serialize(TradingRecord.of(update), null, null);
        assertEquals("fills", fill.topic());
        assertEquals("alice", new String(fill.key(), StandardCharsets.UTF_8));
        assertEquals("o7-2", OrderUpdate.getRootAsOrderUpdate(ByteBuffer.wrap(fill.value())).id());

        PortfolioSnapshot snapshot = new PortfolioSnapshot();
        snapshot.user = "alice";
        snapshot.lastUpdateId = "o7-2";
        snapshot.updatedAtMs = 1_000;
        var portfolio = serializer.serialize(TradingRecord.of(snapshot), null, null);
        assertEquals("portfolios", portfolio.topic());
        assertEquals("alice", new String(portfolio.key(), StandardCharsets.UTF_8));
        assertEquals("o7-2", Portfolio.getRootAsPortfolio(ByteBuffer.wrap(portfolio.value())).lastUpdateId());

        snapshot.equityCurveRecord = true;
        var curve = serializer.serialize(TradingRecord.of(snapshot), null, null);
        assertEquals("portfolios", curve.topic());
        assertEquals("alice/equity-curve", new String(curve.key(), StandardCharsets.UTF_8));

        assertEquals(List.of("fills", "portfolios"),
                serializer.getKafkaDatasetFacet().orElseThrow().getTopicIdentifier().getTopics());
    }

    private static long header(ProducerRecord<byte[], byte[]> record, String name) {
        return Long.parseLong(new String(record.headers().lastHeader(name).value(), StandardCharsets.US_ASCII));
    }

    /** Names and reasons are UTF-8 on the wire, whatever their characters (FlatStrings). */
    @Test
    void writesAnOrderUpdatesAndAPortfoliosStringsAsUtf8() {
        MatchedUpdate update = new MatchedUpdate();
        update.id = "o1a-2";
        update.orderId = "o1a";
        update.user = "zo\u00eb";
        update.symbol = "\u00c6BC";
        update.reason = "buying power: 1 \u00c6BC at up to 10 needs 10 \u20ac";
        update.fillQuantity = 3;
        OrderUpdate read = OrderUpdate.getRootAsOrderUpdate(
                ByteBuffer.wrap(new OrderUpdateSerializer("fills").encode(update)));
        assertEquals("o1a-2", read.id());
        assertEquals("o1a", read.orderId());
        assertEquals("zo\u00eb", read.user());
        assertEquals("\u00c6BC", read.symbol());
        assertEquals("buying power: 1 \u00c6BC at up to 10 needs 10 \u20ac", read.reason());
        assertEquals(3, read.fillQuantity());

        PortfolioSnapshot snapshot = new PortfolioSnapshot();
        snapshot.user = "zo\u00eb";
        snapshot.lastUpdateId = "o1a-2";
        Account.Holding holding = new Account.Holding();
        holding.symbol = "\u00c6BC";
        holding.quantity = 3;
        snapshot.positions.add(holding);
        Portfolio portfolio = Portfolio.getRootAsPortfolio(
                ByteBuffer.wrap(new PortfolioSerializer("portfolios").encode(snapshot)));
        assertEquals("zo\u00eb", portfolio.user());
        assertEquals("o1a-2", portfolio.lastUpdateId());
        assertEquals("\u00c6BC", portfolio.positions(0).symbol());
        assertEquals(3, portfolio.positions(0).quantity());
    }
}
