package tickstream.analytics.trading;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import tickstream.trading.OrderType;
import tickstream.trading.Side;
import tickstream.trading.TimeInForce;

/**
 * The fill engine's state across checkpoints, through the real operator and Flink's heap backend
 * (as the trading job checkpoints it): a checkpoint written before the engine's state had its own
 * serializers (Account and SymbolMatcher as POJOs with Kryo collections, commit 721db9f; the
 * resource was written by `writesTheCheckpoint` run on that code with
 * `-Dtickstream.writeCheckpoint=true`) still restores: the working orders fill, the accounts
 * hold their cash, reservations and positions. The next checkpoint, written with the new
 * serializers, restores to the same again.
 */
class FillEngineRestoreTest {
    static final Path CHECKPOINT = Path.of("src/test/resources/trading/fill-engine-before-state-serializers.snapshot");
    static final long T0 = 1_797_000_000_000L;
    static final long CASH = 1_000_000_000L;

    private static KeyedTwoInputStreamOperatorTestHarness<Integer, TradingCommand, TradingTick, TradingRecord> harness(
            OperatorSubtaskState restored) throws Exception {
        var harness = new KeyedTwoInputStreamOperatorTestHarness<Integer, TradingCommand, TradingTick, TradingRecord>(
                new KeyedCoProcessOperator<>(new FillEngine(CASH)),
                command -> FillEngine.ENGINE_KEY,
                tick -> FillEngine.ENGINE_KEY,
                Types.INT,
                1,
                1,
                0);
        harness.setup();
        if (restored != null) harness.initializeState(restored);
        harness.open();
        return harness;
    }

    static WorkingOrder order(String id, String user, int side, int type, long quantity, long price) {
        WorkingOrder order = new WorkingOrder();
        order.id = id;
        order.user = user;
        order.symbol = "AAPL";
        order.side = side;
        order.type = type;
        order.quantity = quantity;
        order.price = price;
        order.tif = TimeInForce.Gtc;
        order.createdAtMs = T0;
        order.reference = 1_900_000;
        return order;
    }

    private static TradingTick tick(long price, long size, long sequence) {
        return new TradingTick("AAPL", price, size, price - 100, price + 100, T0 + sequence * 1_000, sequence);
    }

    /**
     * alice: a market buy of 100, 60 filled at 190.01; a limit buy of 50 at 180 working. bob: a
     * market buy of 30, filled at 190.01, then a limit sell of 20 at 200 working.
     */
    @Test
    @EnabledIfSystemProperty(named = "tickstream.writeCheckpoint", matches = "true")
    void writesTheCheckpoint() throws Exception {
        try (var harness = harness(null)) {
            harness.processElement1(new StreamRecord<>(TradingCommand.order(order("b1", "bob", Side.Buy, OrderType.Market, 30, 0))));
            harness.processElement2(new StreamRecord<>(tick(1_900_000, 30, 1)));
            harness.processElement1(new StreamRecord<>(TradingCommand.order(order("o1", "alice", Side.Buy, OrderType.Market, 100, 0))));
            harness.processElement1(new StreamRecord<>(TradingCommand.order(order("o3", "alice", Side.Buy, OrderType.Limit, 50, 1_800_000))));
            harness.processElement1(new StreamRecord<>(TradingCommand.order(order("b2", "bob", Side.Sell, OrderType.Limit, 20, 2_000_000))));
            harness.processElement2(new StreamRecord<>(tick(1_900_000, 60, 2)));
            Files.createDirectories(CHECKPOINT.getParent());
            OperatorSnapshotUtil.writeStateHandle(harness.snapshot(1, 1), CHECKPOINT.toString());
        }
    }

    @Test
    void anOldCheckpointRestoresAndItsNextCheckpointToo() throws Exception {
        OperatorSubtaskState rewritten;
        try (var harness = harness(OperatorSnapshotUtil.readStateHandle(CHECKPOINT.toString()))) {
            // 179.00: alice's market order takes its last 40 at the ask (179.01), her limit at 180 the next 50.
            harness.processElement2(new StreamRecord<>(tick(1_790_000, 90, 3)));
            assertEquals(List.of("o1-3 filled 40@1790100", "o3-2 filled 50@1790100"), describe(harness.extractOutputValues()));
            PortfolioSnapshot alice = lastPortfolio(harness, "alice");
            assertEquals(CASH - 60 * 1_900_100L - 40 * 1_790_100L - 50 * 1_790_100L, alice.cash);
            assertEquals(0, alice.reservedCash);
            assertEquals(150, alice.positions.get(0).quantity);
            rewritten = harness.snapshot(2, 2);
        }
        try (var harness = harness(rewritten)) {
            // bob's limit sell, from the first checkpoint, still works: 200.00 reached.
            harness.processElement2(new StreamRecord<>(tick(2_000_000, 100, 4)));
            assertEquals(List.of("b2-2 filled 20@2000000"), describe(harness.extractOutputValues()));
            PortfolioSnapshot bob = lastPortfolio(harness, "bob");
            assertEquals(CASH - 30 * 1_900_100L + 20 * 2_000_000L, bob.cash);
            assertEquals(10, bob.positions.get(0).quantity);
            assertEquals(20 * 2_000_000L - 20 * 1_900_100L, bob.realizedPnl);
            // alice's account restored with its 150 shares: a sale of 151 is refused, one of 150 accepted.
            harness.processElement1(new StreamRecord<>(TradingCommand.order(order("o4", "alice", Side.Sell, OrderType.Market, 151, 0))));
            harness.processElement1(new StreamRecord<>(TradingCommand.order(order("o5", "alice", Side.Sell, OrderType.Market, 150, 0))));
            assertEquals(List.of("b2-2 filled 20@2000000", "o4-1 rejected", "o5-1 new"), describe(harness.extractOutputValues()));
        }
    }

    private static PortfolioSnapshot lastPortfolio(
            KeyedTwoInputStreamOperatorTestHarness<Integer, TradingCommand, TradingTick, TradingRecord> harness, String user) {
        PortfolioSnapshot last = null;
        for (TradingRecord record : harness.extractOutputValues()) {
            PortfolioSnapshot portfolio = record.portfolio;
            if (portfolio != null && portfolio.user.equals(user) && !portfolio.equityCurveRecord) last = portfolio;
        }
        if (last == null) throw new AssertionError("no portfolio of " + user);
        return last;
    }

    /** The updates among the engine's records (its portfolios left out). */
    private static List<String> describe(List<TradingRecord> records) {
        List<String> described = new ArrayList<>();
        for (TradingRecord record : records) {
            MatchedUpdate update = record.update;
            if (update == null) continue;
            String status = switch (update.status) {
                case tickstream.trading.OrderStatus.New -> "new";
                case tickstream.trading.OrderStatus.Filled -> "filled";
                case tickstream.trading.OrderStatus.PartiallyFilled -> "partially_filled";
                case tickstream.trading.OrderStatus.Rejected -> "rejected";
                default -> "other " + update.status;
            };
            described.add(update.id + " " + status + (update.fillQuantity > 0 ? " " + update.fillQuantity + "@" + update.fillPrice : ""));
        }
        return described;
    }
}
