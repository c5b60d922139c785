package tickstream.analytics.alerts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import tickstream.analytics.model.Tick;
import tickstream.user.AlertKind;

/**
 * The per-target arrangement of rules (TargetRules, RuleIndex) at its boundaries: which price
 * rules a tick's binary search hands over (a threshold equal to the price included, one unit
 * away excluded), what the history must keep, and that a change of a target's rules is seen on
 * its next read. Then the same boundaries through the real operator with many rules on one symbol.
 */
class TargetRulesTest {
    static final long T0 = 1_797_000_000_000L;

    private static Rule rule(String id, String symbol, int kind, double value, long windowMs) {
        Rule rule = TestRules.rule("alice", id, symbol, kind, value, T0);
        rule.windowMs = windowMs;
        return rule;
    }

    private static List<String> ids(Rule[] rules, int from, int to) {
        return Arrays.stream(rules, from, to).map(rule -> rule.id).toList();
    }

    @Test
    void aPriceTickMeetsExactlyThePriceRulesItReaches() {
        TargetRules rules = new TargetRules(List.of(
                rule("a300", "AAPL", AlertKind.PriceAbove, 300, 0),
                rule("a200", "AAPL", AlertKind.PriceAbove, 200, 0),
                rule("a200b", "AAPL", AlertKind.PriceAbove, 200, 0),
                rule("a100", "AAPL", AlertKind.PriceAbove, 100, 0),
                rule("b300", "AAPL", AlertKind.PriceBelow, 300, 0),
                rule("b100", "AAPL", AlertKind.PriceBelow, 100, 0),
                rule("b200", "AAPL", AlertKind.PriceBelow, 200, 0)));
        // price-above: threshold ≤ price, a prefix.
        assertEquals(List.of(), ids(rules.above, 0, rules.aboveMetBy(99_9999)));
        assertEquals(List.of("a100"), ids(rules.above, 0, rules.aboveMetBy(100_0000)));
        assertEquals(List.of("a100"), ids(rules.above, 0, rules.aboveMetBy(199_9999)));
        assertEquals(List.of("a100", "a200", "a200b"), ids(rules.above, 0, rules.aboveMetBy(200_0000)));
        assertEquals(List.of("a100", "a200", "a200b", "a300"), ids(rules.above, 0, rules.aboveMetBy(Long.MAX_VALUE)));
        // price-below: threshold ≥ price, a suffix.
        int n = rules.below.length;
        assertEquals(List.of("b100", "b200", "b300"), ids(rules.below, rules.firstBelowMetBy(1), n));
        assertEquals(List.of("b100", "b200", "b300"), ids(rules.below, rules.firstBelowMetBy(100_0000), n));
        assertEquals(List.of("b200", "b300"), ids(rules.below, rules.firstBelowMetBy(100_0001), n));
        assertEquals(List.of("b300"), ids(rules.below, rules.firstBelowMetBy(300_0000), n));
        assertEquals(List.of(), ids(rules.below, rules.firstBelowMetBy(300_0001), n));
    }

    @Test
    void noRulesMeetNothing() {
        TargetRules none = TargetRules.NONE;
        assertTrue(none.isEmpty());
        assertEquals(0, none.aboveMetBy(Long.MAX_VALUE));
        assertEquals(0, none.firstBelowMetBy(1));
        assertEquals(0, none.horizonMs);
    }

    @Test
    void theHistoryKeptIsWhatTheRulesRead() {
        TargetRules rules = new TargetRules(List.of(
                rule("c", "AAPL", AlertKind.ChangePct, 5, 300_000),
                rule("v", "AAPL", AlertKind.VolumeAbove, 1_000, 30_000),
                rule("day", "AAPL", AlertKind.VolumeAbove, 1_000, 0),
                rule("rv", "AAPL", AlertKind.RelativeVolume, 3, 0),
                rule("rv5", "AAPL", AlertKind.RelativeVolume, 3, 300_000),
                rule("rv5b", "AAPL", AlertKind.RelativeVolume, 4, 300_000),
                rule("x1m", "AAPL", AlertKind.IndicatorCross, 50, 60_000),
                rule("x5s", "AAPL", AlertKind.IndicatorCross, 20, 5_000),
                rule("e", "AAPL", AlertKind.Event, 0, 0)));
        assertEquals(300_000, rules.horizonMs);
        assertArrayEquals(new long[] {300_000}, rules.extraBucketLengths);
        assertArrayEquals(new long[] {5_000}, rules.extraBarLengths);
        // Indicator-cross rules first: their sides before a tick are read by the same index.
        assertEquals(2, rules.indicatorCount);
        assertEquals(List.of("x1m", "x5s"), ids(rules.windowed, 0, 2));
        assertEquals(8, rules.windowed.length);
        assertEquals(List.of("e"), ids(rules.events, 0, 1));
        assertEquals(9, rules.size());
    }

    @Test
    void theIndexSeesEveryChangeOnTheNextRead() {
        RuleIndex index = new RuleIndex(List.of());
        index.put(rule("a1", "AAPL", AlertKind.PriceAbove, 200, 0));
        TargetRules first = index.rulesOf("AAPL");
        assertSame(first, index.rulesOf("AAPL"), "unchanged: the same arrangement");
        assertSame(TargetRules.NONE, index.rulesOf("MSFT"));
        // The same key with another target moves the rule.
        index.put(rule("a1", "MSFT", AlertKind.PriceAbove, 300, 0));
        assertTrue(index.rulesOf("AAPL").isEmpty());
        assertEquals(List.of("a1"), ids(index.rulesOf("MSFT").above, 0, 1));
        index.put(rule("a2", "MSFT", AlertKind.PriceBelow, 100, 0));
        assertEquals(2, index.rulesOf("MSFT").size());
        index.remove("alice/a1");
        index.remove("alice/unknown");
        assertEquals(0, index.rulesOf("MSFT").above.length);
        assertEquals(1, index.size());
        RuleIndex restored = new RuleIndex(List.of(rule("a2", "MSFT", AlertKind.PriceBelow, 100, 0)));
        assertEquals(List.of("a2"), ids(restored.rulesOf("MSFT").below, 0, 1));
    }

    /** Many one-shot price rules on one symbol, through the real per-symbol operator. */
    @Test
    void theOperatorFiresEachPriceRuleOnTheFirstTickThatReachesIt() throws Exception {
        try (KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new AlertEvaluator(), AlertInput::symbolKey, Types.STRING, AlertEvaluator.RULES, AlertEvaluator.UNPACKED_RULES)) {
            List<Rule> rules = List.of(
                    rule("a100", "AAPL", AlertKind.PriceAbove, 100, 0),
                    rule("a150", "AAPL", AlertKind.PriceAbove, 150, 0),
                    rule("a150b", "AAPL", AlertKind.PriceAbove, 150, 0),
                    rule("a200", "AAPL", AlertKind.PriceAbove, 200, 0),
                    rule("b120", "AAPL", AlertKind.PriceBelow, 120, 0),
                    rule("b90", "AAPL", AlertKind.PriceBelow, 90, 0),
                    rule("m100", "MSFT", AlertKind.PriceAbove, 100, 0));
            for (Rule rule : rules) harness.processBroadcastElement(new RuleChange(rule.key, rule), 0);
            long[] prices = {149_9999, 150_0000, 150_0000, 120_0001, 120_0000, 90_0000, 200_0000};
            List<String> fired = new ArrayList<>();
            for (int i = 0; i < prices.length; i++) {
                harness.processElement(AlertInput.of(new Tick("AAPL", "Technology", prices[i], 10, (T0 + i) * 1000, i + 1)), 0);
                for (Trigger trigger : harness.extractOutputValues().subList(fired.size(), harness.extractOutputValues().size()))
                    fired.add(trigger.ruleId + "@" + trigger.tickSequence);
            }
            assertEquals(List.of("a100@1", "a150@2", "a150b@2", "b120@5", "b90@6", "a200@7"), fired);
        }
    }

    /** Each stage holds only its rules; an edit moving a rule to a sector leaves the per-symbol stage without it. */
    @Test
    void anEditToASectorTargetTakesTheRuleOutOfThePerSymbolStage() throws Exception {
        try (KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new AlertEvaluator().holding(AlertEvaluator.Holding.SYMBOL_RULES),
                        AlertInput::symbolKey, Types.STRING, AlertEvaluator.RULES, AlertEvaluator.UNPACKED_RULES)) {
            Rule onAapl = rule("a1", "AAPL", AlertKind.PriceAbove, 100, 0);
            harness.processBroadcastElement(new RuleChange(onAapl.key, onAapl), 0);
            harness.processBroadcastElement(new RuleChange("alice/s1", rule("s1", "sector:Technology", AlertKind.Event, 0, 0)), 0);
            Rule moved = rule("a1", "sector:Technology", AlertKind.Event, 0, 0);
            harness.processBroadcastElement(new RuleChange(moved.key, moved), 0);
            harness.processElement(AlertInput.of(new Tick("AAPL", "Technology", 200_0000, 10, T0 * 1000, 1)), 0);
            assertEquals(List.of(), harness.extractOutputValues());
            Rule back = rule("a1", "AAPL", AlertKind.PriceAbove, 100, 0);
            harness.processBroadcastElement(new RuleChange(back.key, back), 0);
            harness.processElement(AlertInput.of(new Tick("AAPL", "Technology", 200_0000, 10, T0 * 1000 + 1000, 2)), 0);
            assertEquals(List.of("a1"), harness.extractOutputValues().stream().map(t -> t.ruleId).toList());
        }
    }
}
