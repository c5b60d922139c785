package tickstream.analytics.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The real operators (both stages of AlertJob, Flink's keyed and broadcast state) driven through
 * every case of schemas/fixtures/alert-rules.json in the fixture's order: each trigger must be the
 * expected one, at the expected event, and no other.
 */
class AlertEvaluatorConformanceTest {
    /** A trigger and the index of the fixture event whose processing emitted it. */
    record Fired(int event, Trigger trigger) {}

    @TestFactory
    Stream<DynamicTest> everyCaseOfTheFixture() throws Exception {
        return AlertFixture.cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private static void check(AlertFixture.Case fixture) throws Exception {
        List<Fired> fired = run(fixture);
        List<AlertFixture.Expected> expected = fixture.expected();
        assertEquals(expected.size(), fired.size(), "triggers: " + fired);
        long armedAt = fixture.rule().armedAtMs;
        for (int i = 0; i < expected.size(); i++) {
            AlertFixture.Expected want = expected.get(i);
            Fired got = fired.get(i);
            Trigger trigger = got.trigger();
            String where = "trigger " + i + ": " + trigger;
            assertEquals(want.event(), got.event(), where);
            long arming = armingAt(fixture, want.event(), armedAt);
            assertEquals(fixture.rule().id + "-" + arming + "-"
                            + (want.tickSequence() == 0 ? "e" + want.timeMs() : Long.toString(want.tickSequence())),
                    trigger.id, where);
            assertEquals(fixture.rule().user, trigger.user, where);
            assertEquals(fixture.rule().id, trigger.ruleId, where);
            assertEquals(want.symbol(), trigger.symbol, where);
            assertEquals(fixture.rule().kind, trigger.kind, where);
            assertEquals(want.value(), trigger.value, Math.abs(want.value()) * 1e-9, where);
            assertEquals(want.price(), trigger.price, Math.abs(want.price()) * 1e-9, where);
            assertEquals(want.timeMs(), trigger.timeMs, where);
            assertEquals(want.tickSequence(), trigger.tickSequence, where);
            assertEquals(fixture.rule().value, trigger.threshold, where);
            assertEquals(arming, trigger.ruleArmedAtMs, where);
        }
    }

    /** The rule's arming in force when event `index` is processed. */
    private static long armingAt(AlertFixture.Case fixture, int index, long armedAt) {
        for (JsonNode event : fixture.events().subList(0, index)) {
            if (event.get("type").asText().equals("rule") && event.has("armedAtMs")) armedAt = event.get("armedAtMs").asLong();
        }
        return armedAt;
    }

    /** Both stages as AlertJob connects them; the per-symbol stage's sector events feed the per-sector one. */
    static List<Fired> run(AlertFixture.Case fixture) throws Exception {
        try (KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> bySymbol = stage(true);
                KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> bySector = stage(false)) {
            List<Fired> fired = new ArrayList<>();
            int seenBySymbol = 0;
            int seenBySector = 0;
            for (int index = 0; index < fixture.events().size(); index++) {
                JsonNode event = fixture.events().get(index);
                long time = event.has("timeMs") ? event.get("timeMs").asLong() : 0;
                switch (event.get("type").asText()) {
                    case "rule", "delete" -> {
                        RuleChange change = change(fixture.rule(), event);
                        bySymbol.processBroadcastElement(change, time);
                        bySector.processBroadcastElement(change(fixture.rule(), event), time);
                    }
                    case "tick" -> bySymbol.processElement(AlertInput.of(AlertFixture.tick(event)), time);
                    case "market-event" -> {
                        SeenEvent seen = AlertFixture.event(event);
                        if (seen.hasSymbol()) bySymbol.processElement(AlertInput.of(seen), time);
                        else if (seen.hasSector()) bySector.processElement(AlertInput.of(seen), time);
                        var passed = bySymbol.getSideOutput(AlertEvaluator.SECTOR_EVENTS);
                        StreamRecord<AlertInput> next;
                        while (passed != null && (next = passed.poll()) != null) bySector.processElement(next.getValue(), time);
                    }
                    default -> throw new IllegalArgumentException("unknown event type " + event);
                }
                List<Trigger> symbolOut = bySymbol.extractOutputValues();
                for (Trigger trigger : symbolOut.subList(seenBySymbol, symbolOut.size())) fired.add(new Fired(index, trigger));
                seenBySymbol = symbolOut.size();
                List<Trigger> sectorOut = bySector.extractOutputValues();
                for (Trigger trigger : sectorOut.subList(seenBySector, sectorOut.size())) fired.add(new Fired(index, trigger));
                seenBySector = sectorOut.size();
            }
            return fired;
        }
    }

    private static RuleChange change(Rule fixtureRule, JsonNode event) {
        String key = fixtureRule.key;
        if (event.get("type").asText().equals("delete")) return new RuleChange(key, null);
        Rule rule = fixtureRule.copy();
        if (event.has("armedAtMs")) rule.armedAtMs = event.get("armedAtMs").asLong();
        return new RuleChange(key, rule);
    }

    private static KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> stage(boolean perSymbol)
            throws Exception {
        KeyedBroadcastOperatorTestHarness<String, AlertInput, RuleChange, Trigger> harness =
                ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
                        new AlertEvaluator().holding(
                                perSymbol ? AlertEvaluator.Holding.SYMBOL_RULES : AlertEvaluator.Holding.SECTOR_RULES),
                        perSymbol ? AlertInput::symbolKey : AlertInput::sectorKey,
                        Types.STRING,
                        AlertEvaluator.RULES, AlertEvaluator.UNPACKED_RULES);
        return harness;
    }
}
