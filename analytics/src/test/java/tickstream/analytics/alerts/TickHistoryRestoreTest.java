package tickstream.analytics.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import tickstream.analytics.model.Tick;
import tickstream.user.AlertKind;

/**
 * A checkpoint of the job from before the tick history was bucketed (TickHistory kept every tick,
 * commit 639d4ef) still restores, and its ticks still answer: the resource was written by
 * `writesTheCheckpoint` run on that code (`-Dtickstream.writeCheckpoint=true`), through the real
 * operator and Flink's heap state backend, as the job checkpoints it.
 */
class TickHistoryRestoreTest {
    static final long T0 = 1_797_000_000_000L;
    static final Path CHECKPOINT = Path.of("src/test/resources/alerts/evaluator-before-tick-buckets.snapshot");

    private static KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness(OperatorSubtaskState restored)
            throws Exception {
        List<MapStateDescriptor<?, ?>> broadcast = List.of(AlertEvaluator.RULES, AlertEvaluator.UNPACKED_RULES);
        KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness =
                new KeyedBroadcastOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(new AlertEvaluator(), broadcast), AlertInput::symbolKey, Types.STRING, 1, 1, 0);
        harness.setup();
        if (restored != null) harness.initializeState(restored);
        harness.open();
        return harness;
    }

    /** AAPL's tick `i`: one a second from T0, price 100 + i/10, size 10 + i. */
    private static Tick tick(int i, long price) {
        return new Tick("AAPL", "Technology", price, 10 + i, (T0 + i * 1_000L) * 1000, i + 1);
    }

    private static long price(int i) {
        return 1_000_000 + i * 1_000L;
    }

    @Test
    @EnabledIfSystemProperty(named = "tickstream.writeCheckpoint", matches = "true")
    void writesTheCheckpoint() throws Exception {
        try (var harness = harness(null)) {
            // 91 ticks over 90 s: the old history dropped ticks 0-29 (it keeps 60 s and the last tick before).
            for (int i = 0; i <= 90; i++) harness.processElement(AlertInput.of(tick(i, price(i))), 0);
            Files.createDirectories(CHECKPOINT.getParent());
            OperatorSnapshotUtil.writeStateHandle(harness.snapshot(1, 1), CHECKPOINT.toString());
        }
    }

    @Test
    void theOldHistoryAnswersAfterTheRestore() throws Exception {
        assertTheOldHistoryAnswers(OperatorSnapshotUtil.readStateHandle(CHECKPOINT.toString()));
    }

    /**
     * After such a restore the first tick moves the old ticks into buckets, and the next
     * checkpoint writes them with TickBucketsSerializer (the POJO form read, then migrated): that
     * checkpoint restores to the same answers, through the real operator and heap backend.
     */
    @Test
    void theMigratedHistoryIsCheckpointedCompactlyAndRestoresAgain() throws Exception {
        OperatorSubtaskState rewritten;
        try (var harness = harness(OperatorSnapshotUtil.readStateHandle(CHECKPOINT.toString()))) {
            harness.processElement(AlertInput.of(tick(91, price(91))), 0);
            rewritten = harness.snapshot(2, 2);
        }
        try (var harness = harness(rewritten)) {
            // Reference at T0+92s − 60s: tick 32; +5 % of its price exactly.
            Rule change = TestRules.rule("alice", "change", "AAPL", AlertKind.ChangePct, 5, T0);
            change.windowMs = 60_000;
            // (T0+30.5s, T0+92s]: ticks 31-92.
            long volume = 0;
            for (int i = 31; i <= 92; i++) volume += 10 + i;
            Rule volumeAbove = TestRules.rule("alice", "volume", "AAPL", AlertKind.VolumeAbove, volume, T0);
            volumeAbove.windowMs = 61_500;
            Rule tooMuch = TestRules.rule("alice", "too-much", "AAPL", AlertKind.VolumeAbove, volume + 10 + 30, T0);
            tooMuch.windowMs = 61_500;
            for (Rule rule : List.of(change, volumeAbove, tooMuch)) harness.processBroadcastElement(new RuleChange(rule.key, rule), 0);

            harness.processElement(AlertInput.of(tick(92, price(32) * 105 / 100)), 0);
            List<Trigger> fired = harness.extractOutputValues();
            assertEquals(List.of("change", "volume"), fired.stream().map(trigger -> trigger.ruleId).sorted().toList());
        }
    }

    private static void assertTheOldHistoryAnswers(OperatorSubtaskState restored) throws Exception {
        try (var harness = harness(restored)) {
            // Reference at T0+91s − 60s: tick 31, exactly +5 % away (tick 30 would give 5.097 %).
            Rule change = TestRules.rule("alice", "change", "AAPL", AlertKind.ChangePct, 5, T0);
            change.windowMs = 60_000;
            // (T0+29.5s, T0+91s]: ticks 30-91, the oldest of them answered by the old history's last dropped tick.
            long volume = 0;
            for (int i = 30; i <= 91; i++) volume += 10 + i;
            Rule volumeAbove = TestRules.rule("alice", "volume", "AAPL", AlertKind.VolumeAbove, volume, T0);
            volumeAbove.windowMs = 61_500;
            // The volume of ticks 29-91: fires only if tick 29, at or before the window's start, were counted.
            Rule tooMuch = TestRules.rule("alice", "too-much", "AAPL", AlertKind.VolumeAbove, volume + 10 + 29, T0);
            tooMuch.windowMs = 61_500;
            for (Rule rule : List.of(change, volumeAbove, tooMuch)) harness.processBroadcastElement(new RuleChange(rule.key, rule), 0);

            harness.processElement(AlertInput.of(tick(91, 1_082_550)), 0);
            List<Trigger> fired = harness.extractOutputValues();
            assertEquals(List.of("change", "volume"), fired.stream().map(trigger -> trigger.ruleId).sorted().toList());
            for (Trigger trigger : fired) {
                if (trigger.ruleId.equals("change")) assertEquals(5.0, trigger.value, 1e-9);
                else assertEquals(volume, trigger.value, 0);
            }
        }
    }
}
