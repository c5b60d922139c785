package tickstream.analytics.trading;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tickstream.analytics.JobRun;
import tickstream.trading.OrderStatus;
import tickstream.trading.OrderType;
import tickstream.trading.Side;
import tickstream.trading.TimeInForce;

/**
 * FillJob on a MiniCluster: orders accepted or rejected per account, filled on the ticks that
 * reach the engine after them, portfolios after each change. The ticks wait until the engine has
 * applied every command ("a tick before the order fills nothing").
 */
class FillJobTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberSlotsPerTaskManager(2).build());

    static CountDownLatch commandsApplied;

    static final class GateOpeningEngine extends FillEngine {
        GateOpeningEngine() {
            super(1_000_000_000L);
        }

        @Override
        public void processElement1(TradingCommand command, Context context, org.apache.flink.util.Collector<TradingRecord> out)
                throws Exception {
            super.processElement1(command, context, out);
            commandsApplied.countDown();
        }
    }

    static final class AwaitCommands implements MapFunction<TradingTick, TradingTick> {
        private boolean open;

        @Override
        public TradingTick map(TradingTick tick) throws Exception {
            if (!open && !commandsApplied.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("no commands");
            open = true;
            return tick;
        }
    }

    private static WorkingOrder order(String id, String user, int side, int type, long quantity, long price) {
        WorkingOrder order = new WorkingOrder();
        order.id = id;
        order.user = user;
        order.symbol = "AAPL";
        order.side = side;
        order.type = type;
        order.quantity = quantity;
        order.price = price;
        order.tif = TimeInForce.Gtc;
        order.createdAtMs = 1_797_000_000_000L;
        order.reference = 1_900_000;
        return order;
    }

    @Test
    void fillsAcceptedOrdersOnTheTicksAfterThemAndRejectsAShortSale() throws Exception {
        List<TradingCommand> commands = List.of(
                TradingCommand.order(order("o1", "alice", Side.Buy, OrderType.Market, 100, 0)),
                TradingCommand.order(order("o2", "bob", Side.Sell, OrderType.Limit, 10, 1_950_000)),
                TradingCommand.order(order("o3", "alice", Side.Buy, OrderType.Limit, 50, 1_800_000)),
                TradingCommand.cancel("alice", "o3", 1_797_000_000_500L));
        commandsApplied = new CountDownLatch(commands.size());
        List<TradingTick> ticks = List.of(
                new TradingTick("AAPL", 1_900_000, 60, 1_899_900, 1_900_100, 1_797_000_001_000L, 1),
                new TradingTick("AAPL", 1_790_000, 500, 1_789_900, 1_790_100, 1_797_000_002_000L, 2));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        JobRun run = new JobRun(env);
        List<TradingRecord> records = run.collect(new FillJob(GateOpeningEngine::new)
                .attach(env.fromData(commands), env.fromData(ticks).map(new AwaitCommands())));
        run.run();
        List<MatchedUpdate> updates =
                records.stream().filter(r -> r.update != null).map(r -> r.update).toList();
        List<PortfolioSnapshot> portfolios =
                records.stream().filter(r -> r.portfolio != null).map(r -> r.portfolio).toList();
        // One stream for the one sink: each change's portfolio right after the updates that caused it.
        assertEquals(List.of("o1-1", "alice", "alice/equity-curve", "o2-1", "bob", "bob/equity-curve", "o3-1", "alice",
                        "o3-2", "alice", "o1-2", "alice", "o1-3", "alice"),
                records.stream().map(FillJobTest::describeKind).toList());

        assertEquals(List.of("o1-1 new", "o2-1 rejected", "o3-1 new", "o3-2 cancelled", "o1-2 partially_filled 60@1900100",
                        "o1-3 filled 40@1790100"),
                updates.stream().map(FillJobTest::describe).toList());
        // Each user's first change opens their curve: one EquityCurve record each, the rest Portfolios.
        List<PortfolioSnapshot> curves = portfolios.stream().filter(p -> p.equityCurveRecord).toList();
        assertEquals(List.of("alice", "bob"), curves.stream().map(p -> p.user).toList());
        assertEquals(1, curves.get(0).equityCurve.size());
        assertEquals(1_797_000_000_000L, curves.get(0).equityCurve.get(0).timeMs);
        assertEquals(1_797_000_000_000L, curves.get(0).resetAtMs);
        portfolios = portfolios.stream().filter(p -> !p.equityCurveRecord).toList();
        assertEquals(6, portfolios.size());
        PortfolioSnapshot last = portfolios.get(portfolios.size() - 1);
        assertEquals("alice", last.user);
        assertEquals(1_000_000_000L - 60 * 1_900_100L - 40 * 1_790_100L, last.cash);
        assertEquals(0, last.reservedCash);
        assertEquals(100, last.positions.get(0).quantity);
        assertEquals("o1-3", last.lastUpdateId);
        assertEquals(last.cash + 100 * 1_790_000L, last.equity);
        // Every change of alice's was in one minute: one point, the last change's.
        assertEquals(1, last.equityCurve.size());
        assertEquals(last.equity, last.equityCurve.get(0).equity);
        assertEquals(1_797_000_002_000L, last.equityCurve.get(0).timeMs);
    }

    private static String describeKind(TradingRecord record) {
        if (record.update != null) return record.update.id;
        return record.portfolio.user + (record.portfolio.equityCurveRecord ? "/equity-curve" : "");
    }

    private static String describe(MatchedUpdate update) {
        String status = switch (update.status) {
            case OrderStatus.New -> "new";
            case OrderStatus.PartiallyFilled -> "partially_filled";
            case OrderStatus.Filled -> "filled";
            case OrderStatus.Cancelled -> "cancelled";
            case OrderStatus.Rejected -> "rejected";
            default -> "expired";
        };
        return update.id + " " + status + (update.fillQuantity > 0 ? " " + update.fillQuantity + "@" + update.fillPrice : "");
    }
}
