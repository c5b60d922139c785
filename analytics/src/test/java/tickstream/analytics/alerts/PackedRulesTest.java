package tickstream.analytics.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import tickstream.analytics.model.Tick;
import tickstream.user.AlertKind;

/** The evaluator's broadcast state form of a user's rules, and the move from the one-rule-per-key form. */
class PackedRulesTest {
    static final long T0 = 1_797_000_000_000L;

    private static Rule rule(String user, String id, String symbol, int kind, double value) {
        return TestRules.rule(user, id, symbol, kind, value, T0);
    }

    @Test
    void everyFieldSurvivesPacking() {
        Rule full = rule("alice", "a1", "sector:Technology", AlertKind.ChangePct, -2.5);
        full.windowMs = 300_000;
        full.repeat = true;
        full.cooldownMs = 60_000;
        full.expiresAtMs = T0 + 86_400_000;
        Rule plain = rule("alice", "ä2", "AAPL", AlertKind.PriceAbove, 200.0001);
        List<Rule> unpacked = PackedRules.unpack(PackedRules.pack(List.of(full, plain)));
        assertEquals(List.of(full.toString(), plain.toString()), unpacked.stream().map(Rule::toString).toList());
        Rule back = unpacked.get(0);
        assertEquals(List.of(full.key, full.id, full.user, full.symbol), List.of(back.key, back.id, back.user, back.symbol));
        assertEquals(List.of(full.windowMs, full.cooldownMs, full.expiresAtMs, full.armedAtMs),
                List.of(back.windowMs, back.cooldownMs, back.expiresAtMs, back.armedAtMs));
        assertEquals(List.of(), PackedRules.unpack(PackedRules.pack(List.of())));
        byte[] cut = PackedRules.pack(List.of(plain));
        assertThrows(RuntimeException.class, () -> PackedRules.unpack(Arrays.copyOf(cut, cut.length - 3)));
    }

    /** A checkpoint of the earlier job kept Rule POJOs under "alert-rules": they fire, and the next change packs them. */
    @Test
    void rulesRestoredOneByOneAreEvaluatedAndPackedByTheNextChange() throws Exception {
        try (KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new AlertEvaluator().holding(AlertEvaluator.Holding.SYMBOL_RULES), AlertInput::symbolKey,
                        Types.STRING, AlertEvaluator.RULES, AlertEvaluator.UNPACKED_RULES)) {
            Rule old = rule("alice", "a1", "AAPL", AlertKind.PriceAbove, 100);
            harness.getBroadcastState(AlertEvaluator.UNPACKED_RULES).put(old.key, old);
            harness.processElement(AlertInput.of(new Tick("AAPL", "Technology", 150_0000, 10, T0 * 1000, 1)), 0);
            assertEquals(List.of("a1"), harness.extractOutputValues().stream().map(t -> t.ruleId).toList());

            Rule added = rule("bob", "b1", "MSFT", AlertKind.PriceBelow, 300);
            harness.processBroadcastElement(new RuleChange(added.key, added), 0);
            assertFalse(harness.getBroadcastState(AlertEvaluator.UNPACKED_RULES).iterator().hasNext());
            assertEquals(List.of("alice/a1"), keys(harness.getBroadcastState(AlertEvaluator.RULES).get("alice")));
            assertEquals(List.of("bob/b1"), keys(harness.getBroadcastState(AlertEvaluator.RULES).get("bob")));

            harness.processBroadcastElement(new RuleChange(old.key, null), 0);
            assertEquals(null, harness.getBroadcastState(AlertEvaluator.RULES).get("alice"));
        }
    }

    private static List<String> keys(byte[] packed) {
        return PackedRules.unpack(packed).stream().map(rule -> rule.key).toList();
    }
}
