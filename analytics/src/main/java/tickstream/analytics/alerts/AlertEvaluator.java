package tickstream.analytics.alerts;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import tickstream.analytics.model.Tick;
import tickstream.user.AlertKind;

/**
 * Evaluates the alert rules (broadcast state, from `alerts`) on the ticks and market events of one
 * key: a symbol in the per-symbol stage, "sector:<name>" in the per-sector stage, which sees only
 * the events the per-symbol stage passes on (with the symbol's last price) and events of a sector.
 * Semantics: docs/alerts.md and schemas/fixtures/alert-rules.json.
 */
public class AlertEvaluator extends KeyedBroadcastProcessFunction<String, AlertInput, RuleChange, Trigger> {
    public static final MapStateDescriptor<String, Rule> RULES =
            new MapStateDescriptor<>("alert-rules", Types.STRING, TypeInformation.of(Rule.class));
    static final MapStateDescriptor<String, Firing> FIRINGS =
            new MapStateDescriptor<>("alert-firings", Types.STRING, TypeInformation.of(Firing.class));
    /** Events of a sector, on their way to the per-sector stage. */
    public static final OutputTag<AlertInput> SECTOR_EVENTS = new OutputTag<>("sector-events", TypeInformation.of(AlertInput.class));
    /**
     * A tick this much older than a rule's arming never fires it: a backlog read again after a fresh
     * start or a recovery is history for the rule, not news. Within it, processing order decides
     * (the producer's exchange clock and the edge's may differ by this much).
     */
    static final long REPLAY_GRACE_MS = 5_000;

    private transient ValueState<SymbolHistory> history;
    private transient MapState<String, Firing> firings;
    private transient RuleIndex index;
    private transient Counter fired;

    @Override
    public void open(OpenContext context) {
        history = getRuntimeContext().getState(new ValueStateDescriptor<>("alert-history", SymbolHistory.class));
        firings = getRuntimeContext().getMapState(FIRINGS);
        fired = getRuntimeContext().getMetricGroup().counter("alert_triggers");
    }

    @Override
    public void processElement(AlertInput input, ReadOnlyContext context, Collector<Trigger> out) throws Exception {
        Collection<Rule> rules = index(context.getBroadcastState(RULES)).rulesOf(context.getCurrentKey());
        if (input.tick != null) onTick(input.tick, rules, out);
        else onEvent(input.event, context.getCurrentKey(), rules, context, out);
    }

    @Override
    public void processBroadcastElement(RuleChange change, Context context, Collector<Trigger> out) throws Exception {
        BroadcastState<String, Rule> rules = context.getBroadcastState(RULES);
        RuleIndex current = index(rules);
        if (change.isDeletion()) {
            rules.remove(change.key);
            current.remove(change.key);
            // A deleted rule's firing memory goes with it, under whichever key it was kept.
            context.applyToKeyedState(FIRINGS, (key, state) -> state.remove(change.key));
        } else {
            // Kept beyond this call: a copy, since object reuse refills `change` with the next record.
            Rule rule = change.rule.copy();
            rule.key = change.key;
            rules.put(change.key, rule);
            current.put(rule);
        }
    }

    private void onTick(Tick tick, Collection<Rule> rules, Collector<Trigger> out) throws Exception {
        SymbolHistory symbol = history.value();
        if (symbol == null) symbol = new SymbolHistory();
        long timeMs = tick.timeUs / 1000;
        long horizonMs = 0;
        List<Rule> candidates = rules.isEmpty() ? List.of() : new ArrayList<>(rules);
        int[] sidesBefore = new int[candidates.size()];
        for (int i = 0; i < candidates.size(); i++) {
            Rule rule = candidates.get(i);
            horizonMs = Math.max(horizonMs, rule.historyNeededMs());
            if (rule.kind == AlertKind.RelativeVolume) symbol.ensureSeries(rule.effectiveWindowMs(), 0, timeMs, tick.price);
            if (rule.kind == AlertKind.IndicatorCross) symbol.ensureSeries(0, rule.effectiveWindowMs(), timeMs, tick.price);
            sidesBefore[i] = RuleConditions.sideBefore(rule, symbol);
        }
        symbol.add(tick.sector, timeMs, tick.price, tick.size, horizonMs);
        history.update(symbol);
        for (int i = 0; i < candidates.size(); i++) {
            Rule rule = candidates.get(i);
            if (rule.kind == AlertKind.Event || !mayFire(rule, timeMs)) continue;
            double observed = RuleConditions.observed(rule, symbol, tick.price, timeMs, sidesBefore[i]);
            if (Double.isNaN(observed)) continue;
            double price = PriceUnits.currency(tick.price);
            Trigger trigger = trigger(rule, tick.symbol, observed, price, timeMs, tick.sequence,
                    rule.id + "-" + rule.armedAtMs + "-" + tick.sequence);
            trigger.detail = TriggerDetail.of(rule, tick.symbol, observed, price, null);
            remember(rule, timeMs);
            out.collect(trigger);
        }
    }

    private void onEvent(SeenEvent event, String key, Collection<Rule> rules, ReadOnlyContext context, Collector<Trigger> out)
            throws Exception {
        boolean perSymbol = !key.startsWith(RuleIndex.SECTOR_PREFIX);
        SeenEvent seen = event;
        if (perSymbol) {
            SymbolHistory symbol = history.value();
            seen = new SeenEvent(event.symbol, event.sector, event.name, event.detail, event.timeMs);
            seen.lastPrice = symbol == null ? 0 : symbol.lastPrice;
            // "Whose sector is that sector or whose symbol is a member of it": the event's, else the symbol's own.
            if (!seen.hasSector() && symbol != null) seen.sector = symbol.sector;
            if (seen.hasSector()) context.output(SECTOR_EVENTS, AlertInput.of(seen));
        }
        for (Rule rule : rules) {
            if (rule.kind != AlertKind.Event || !mayFire(rule, seen.timeMs)) continue;
            double price = PriceUnits.currency(seen.lastPrice);
            Trigger trigger = trigger(rule, seen.symbol, 0, price, seen.timeMs, 0,
                    rule.id + "-" + rule.armedAtMs + "-e" + seen.timeMs);
            trigger.detail = TriggerDetail.of(rule, seen.symbol, 0, price, seen);
            remember(rule, seen.timeMs);
            out.collect(trigger);
        }
    }

    /** Expiry, the replay grace, the one-shot and the cool-down (docs/alerts.md, 5 and 6). */
    private boolean mayFire(Rule rule, long timeMs) throws Exception {
        if (rule.expiresAtMs != 0 && timeMs >= rule.expiresAtMs) return false;
        if (timeMs < rule.armedAtMs - REPLAY_GRACE_MS) return false;
        Firing firing = firings.get(rule.key);
        if (firing == null || firing.armedAtMs != rule.armedAtMs) return true;
        if (!rule.repeat) return !firing.fired;
        return !firing.fired || timeMs >= firing.lastFiredMs + rule.cooldownMs;
    }

    private void remember(Rule rule, long timeMs) throws Exception {
        Firing firing = new Firing(rule.armedAtMs);
        firing.fired = true;
        firing.lastFiredMs = timeMs;
        firings.put(rule.key, firing);
        fired.inc();
    }

    private static Trigger trigger(Rule rule, String symbol, double observed, double price, long timeMs, long sequence, String id) {
        Trigger trigger = new Trigger();
        trigger.id = id;
        trigger.user = rule.user;
        trigger.ruleId = rule.id;
        trigger.symbol = symbol;
        trigger.kind = rule.kind;
        trigger.value = observed;
        trigger.price = price;
        trigger.timeMs = timeMs;
        trigger.threshold = rule.value;
        trigger.tickSequence = sequence;
        trigger.ruleArmedAtMs = rule.armedAtMs;
        return trigger;
    }

    /** The index of the broadcast rules, built from the state after a restore (open() cannot read it). */
    private RuleIndex index(ReadOnlyBroadcastState<String, Rule> rules) throws Exception {
        if (index == null) index = new RuleIndex(rules.immutableEntries());
        return index;
    }
}
