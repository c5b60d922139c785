package tickstream.analytics.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tickstream.analytics.JobRun;
import tickstream.analytics.model.Tick;
import tickstream.user.AlertKind;

/**
 * AlertJob as AnalyticsMain runs it (both stages, the broadcast of rules, the sector side output)
 * on a MiniCluster at parallelism 2. Rules must reach the evaluators before the ticks ("only ticks
 * after the rule exists fire it"): the ticks wait at a gate that every evaluator opens once it
 * has applied every rule change.
 */
class AlertJobTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberSlotsPerTaskManager(2).build());

    static final long T0 = 1_797_000_000_000L;
    static CountDownLatch rulesPassed;

    /** The real evaluator, counting the rule changes it has applied. */
    static final class GateOpeningEvaluator extends AlertEvaluator {
        @Override
        public void processBroadcastElement(RuleChange change, Context context, org.apache.flink.util.Collector<Trigger> out)
                throws Exception {
            super.processBroadcastElement(change, context, out);
            rulesPassed.countDown();
        }
    }

    static final class AwaitGate<T> implements MapFunction<T, T> {
        private boolean open;

        @Override
        public T map(T value) throws Exception {
            if (!open) {
                if (!rulesPassed.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("the rules never arrived");
                open = true;
            }
            return value;
        }
    }

    private static Rule rule(String user, String id, String symbol, int kind, double value) {
        return TestRules.rule(user, id, symbol, kind, value, T0);
    }

    private static Tick tick(String symbol, String sector, double price, long atMs, long sequence) {
        return new Tick(symbol, sector, Math.round(price * 10_000), 100, (T0 + atMs) * 1000, sequence);
    }

    @Test
    void triggersOncePerRuleAndNeverForADeletedOne() throws Exception {
        List<RuleChange> changes = List.of(
                new RuleChange("alice/a1", rule("alice", "a1", "AAPL", AlertKind.PriceAbove, 200)),
                new RuleChange("bob/b1", rule("bob", "b1", "MSFT", AlertKind.PriceBelow, 300)),
                new RuleChange("alice/a2", rule("alice", "a2", "MSFT", AlertKind.PriceAbove, 100)),
                new RuleChange("alice/a2", null),
                new RuleChange("carol/c1", rule("carol", "c1", "sector:Technology", AlertKind.Event, 0)));
        // Every change reaches both subtasks of both stages.
        rulesPassed = new CountDownLatch(changes.size() * 2 * 2);
        List<Tick> ticks = List.of(
                tick("AAPL", "Technology", 199.99, 1_000, 1),
                tick("MSFT", "Technology", 310, 1_000, 1),
                tick("AAPL", "Technology", 200.00, 2_000, 2),
                tick("AAPL", "Technology", 201.00, 3_000, 3),
                tick("MSFT", "Technology", 299.5, 3_000, 2));
        List<SeenEvent> events = List.of(new SeenEvent("NVDA", "Technology", "halt", "volatility pause", T0 + 4_000));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        DataStream<RuleChange> rules = env.fromData(changes).setParallelism(1);
        DataStream<Tick> tickStream = env.fromData(ticks).setParallelism(1).map(new AwaitGate<Tick>()).setParallelism(1);
        DataStream<SeenEvent> eventStream = env.fromData(events).setParallelism(1).map(new AwaitGate<SeenEvent>()).setParallelism(1);
        JobRun run = new JobRun(env);
        long started = System.currentTimeMillis();
        List<Trigger> triggers = run.collect(new AlertJob(GateOpeningEvaluator::new).attach(tickStream, eventStream, rules));
        run.run();
        long ended = System.currentTimeMillis();

        triggers.sort(Comparator.comparing(t -> t.id));
        assertEquals(List.of("a1-" + T0 + "-2", "b1-" + T0 + "-2", "c1-" + T0 + "-e" + (T0 + 4_000)),
                triggers.stream().map(t -> t.id).toList(), triggers.toString());
        Trigger aapl = triggers.get(0);
        assertEquals("alice", aapl.user);
        assertEquals(200.0, aapl.price);
        assertEquals(T0 + 2_000, aapl.timeMs);
        assertEquals("AAPL 200 ≥ 200", aapl.detail);
        Trigger bob = triggers.get(1);
        assertEquals("bob", bob.user);
        assertEquals(299.5, bob.value);
        Trigger sector = triggers.get(2);
        assertEquals("carol", sector.user);
        assertEquals("NVDA", sector.symbol);
        assertEquals("NVDA halt: volatility pause", sector.detail);
        // Each carries when the job read its tick or event and when it fired (the sector stage's
        // trigger keeps the read time of the event that reached the per-symbol stage first).
        for (Trigger trigger : triggers) {
            assertTrue(trigger.readAtMs >= started && trigger.readAtMs <= trigger.firedAtMs && trigger.firedAtMs <= ended,
                    trigger.id + " read " + trigger.readAtMs + " fired " + trigger.firedAtMs);
        }
    }
}
