package tickstream.analytics.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;
import tickstream.analytics.model.Tick;
import tickstream.user.AlertKind;

/**
 * A deleted rule's firing memory goes with it (a rule written again under its key and arming fires
 * again), but only a rule that fired costs a sweep of every key's state: deleting one that never
 * fired touches no keyed state. Across a restore too: the firing memory the checkpoint brought
 * back is known before the first deletion.
 */
class RuleDeletionTest {
    static final long T0 = 1_797_000_000_000L;

    private static Rule rule(String id, double value) {
        return TestRules.rule("alice", id, "AAPL", AlertKind.PriceAbove, value, T0);
    }

    private static KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness(
            AlertEvaluator evaluator, OperatorSubtaskState restored) throws Exception {
        List<MapStateDescriptor<?, ?>> broadcast = List.of(AlertEvaluator.RULES, AlertEvaluator.UNPACKED_RULES);
        KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness =
                new KeyedBroadcastOperatorTestHarness<>(
                        new CoBroadcastWithKeyedOperator<>(evaluator, broadcast), AlertInput::symbolKey, Types.STRING, 1, 1, 0);
        harness.setup();
        if (restored != null) harness.initializeState(restored);
        harness.open();
        return harness;
    }

    private static void put(KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness, Rule rule)
            throws Exception {
        harness.processBroadcastElement(new RuleChange(rule.key, rule.copy()), 0);
    }

    private static void delete(KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness, String key)
            throws Exception {
        harness.processBroadcastElement(new RuleChange(key, null), 0);
    }

    /** The ids of the rules the tick fires. */
    private static List<String> tick(KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness, long sequence)
            throws Exception {
        int before = harness.extractOutputValues().size();
        harness.processElement(AlertInput.of(new Tick("AAPL", "Technology", 200_0000, 10, (T0 + sequence) * 1000, sequence)), 0);
        List<Trigger> all = harness.extractOutputValues();
        return all.subList(before, all.size()).stream().map(trigger -> trigger.ruleId).toList();
    }

    @Test
    void onlyADeletedRuleThatFiredSweepsTheFiringMemory() throws Exception {
        AlertEvaluator evaluator = new AlertEvaluator();
        try (var harness = harness(evaluator, null)) {
            Rule fires = rule("fires", 150);
            Rule never = rule("never", 300);
            put(harness, fires);
            put(harness, never);
            assertEquals(List.of("fires"), tick(harness, 1));

            delete(harness, never.key);
            assertEquals(0, evaluator.firingSweeps, "a rule that never fired leaves the keyed state alone");
            delete(harness, fires.key);
            assertEquals(1, evaluator.firingSweeps);
            // Its memory went with it: the same rule and arming written again is a new rule.
            put(harness, fires);
            assertEquals(List.of("fires"), tick(harness, 2));
            assertEquals(List.of(), tick(harness, 3));
        }
    }

    @Test
    void firingMemoryBroughtBackByARestoreIsClearedWithItsRule() throws Exception {
        Rule fires = rule("fires", 150);
        Rule never = rule("never", 300);
        OperatorSubtaskState checkpoint;
        try (var harness = harness(new AlertEvaluator(), null)) {
            put(harness, fires);
            put(harness, never);
            assertEquals(List.of("fires"), tick(harness, 1));
            checkpoint = harness.snapshot(1, 1);
        }
        AlertEvaluator evaluator = new AlertEvaluator();
        try (var harness = harness(evaluator, checkpoint)) {
            assertEquals(List.of(), tick(harness, 2), "the one-shot rule fired before the checkpoint");
            delete(harness, never.key);
            assertEquals(0, evaluator.firingSweeps);
            delete(harness, fires.key);
            assertEquals(1, evaluator.firingSweeps, "the restored firing memory is known");
            put(harness, fires);
            assertEquals(List.of("fires"), tick(harness, 3));
        }
    }
}
