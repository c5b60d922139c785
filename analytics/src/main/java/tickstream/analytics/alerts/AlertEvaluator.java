package tickstream.analytics.alerts;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import tickstream.analytics.model.Tick;

/**
 * Evaluates the alert rules (broadcast state, from `alerts`) on the ticks and market events of one
 * key: a symbol in the per-symbol stage, "sector:<name>" in the per-sector stage, which sees only
 * the events the per-symbol stage passes on (with the symbol's last price) and events of a sector.
 * Semantics: docs/alerts.md and schemas/fixtures/alert-rules.json.
 */
public class AlertEvaluator extends KeyedBroadcastProcessFunction<String, AlertInput, RuleChange, Trigger> {
    /** The rules, each user's packed in one array (PackedRules), keyed by user. */
    public static final MapStateDescriptor<String, byte[]> RULES = new MapStateDescriptor<>(
            "alert-rules-by-user", Types.STRING, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    /**
     * Before packing, one Rule per record key: a checkpoint of an earlier job holds its rules here.
     * Read after such a restore, and moved into RULES by the first rule change.
     */
    public static final MapStateDescriptor<String, Rule> UNPACKED_RULES =
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
    private transient int[] sides;
    /** When the job read the input being processed: its triggers carry it. */
    private transient long readAtMs;
    /**
     * Keys of the rules with firing memory in this subtask's keyed state (a superset: a repeating
     * rule's stays until the rule goes). A rule deleted that is not here never fired on this
     * subtask, so its deletion needs no sweep of every key's state (most rules never fire; a mass
     * deletion swept 10,000 times). After a start or restore, what the keyed state already holds is
     * learned by one sweep, on the first rule change (only there can the keyed state be iterated).
     */
    private transient Set<String> remembered;
    private transient boolean rememberedLearned;
    /** Sweeps of the firing memory over every key, for the tests. */
    transient int firingSweeps;

    @Override
    public void open(OpenContext context) {
        history = getRuntimeContext().getState(new ValueStateDescriptor<>("alert-history", SymbolHistory.class));
        firings = getRuntimeContext().getMapState(FIRINGS);
        fired = getRuntimeContext().getMetricGroup().counter("alert_triggers");
        // The rules this subtask holds: how a benchmark knows a batch of rules (or tombstones) is in.
        getRuntimeContext().getMetricGroup().gauge("alert_rules", (Gauge<Integer>) () -> index == null ? 0 : index.size());
        sides = new int[0];
        remembered = new HashSet<>();
        rememberedLearned = false;
    }

    @Override
    public void processElement(AlertInput input, ReadOnlyContext context, Collector<Trigger> out) throws Exception {
        if (index == null) index = restoredIndex(context.getBroadcastState(RULES), context.getBroadcastState(UNPACKED_RULES));
        TargetRules rules = index.rulesOf(context.getCurrentKey());
        readAtMs = input.readAtMs;
        if (input.tick != null) onTick(input.tick, rules, out);
        else onEvent(input.event, context.getCurrentKey(), rules, context, out);
    }

    /** Which rules an evaluator holds: every one, or those of its stage's targets only. */
    public enum Holding {
        ALL,
        /** Rules on a symbol: the per-symbol stage. */
        SYMBOL_RULES,
        /** Rules on "sector:<name>": the per-sector stage. */
        SECTOR_RULES;

        boolean holds(Rule rule) {
            boolean sector = rule.symbol.startsWith(RuleIndex.SECTOR_PREFIX);
            return this == ALL || (this == SECTOR_RULES) == sector;
        }
    }

    private Holding holding = Holding.ALL;

    /**
     * Keep only the rules this stage evaluates: each stage's broadcast state is copied and written
     * at every checkpoint (every 500 ms), so the per-sector stage need not carry 10,000 symbol rules.
     */
    public AlertEvaluator holding(Holding holding) {
        this.holding = holding;
        return this;
    }

    @Override
    public void processBroadcastElement(RuleChange change, Context context, Collector<Trigger> out) throws Exception {
        BroadcastState<String, byte[]> packed = context.getBroadcastState(RULES);
        BroadcastState<String, Rule> unpacked = context.getBroadcastState(UNPACKED_RULES);
        if (index == null) index = restoredIndex(packed, unpacked);
        if (!rememberedLearned) {
            context.applyToKeyedState(FIRINGS, (key, state) -> {
                for (String rule : state.keys()) remembered.add(rule);
            });
            rememberedLearned = true;
        }
        if (unpacked.immutableEntries().iterator().hasNext()) {
            // Restored from a checkpoint that kept rules one by one: pack them now, once.
            Set<String> users = new HashSet<>();
            for (Map.Entry<String, Rule> entry : unpacked.immutableEntries()) {
                if (holding.holds(entry.getValue())) users.add(entry.getValue().user);
            }
            unpacked.clear();
            for (String user : users) repack(packed, user);
        }
        if (change.isDeletion() || !holding.holds(change.rule)) {
            // A deletion, or an edit that moved the rule to the other stage's targets.
            Rule removed = index.remove(change.key);
            if (removed == null) return;
            repack(packed, removed.user);
            // A deleted rule's firing memory goes with it, under whichever key it was kept.
            if (remembered.remove(change.key)) {
                firingSweeps++;
                context.applyToKeyedState(FIRINGS, (key, state) -> state.remove(change.key));
            }
        } else {
            // Kept beyond this call: a copy, since object reuse refills `change` with the next record.
            Rule rule = change.rule.copy();
            rule.key = change.key;
            Rule previous = index.remove(rule.key);
            index.put(rule);
            if (previous != null && !previous.user.equals(rule.user)) repack(packed, previous.user);
            repack(packed, rule.user);
        }
    }

    /** The broadcast state's entry of `user`: their rules packed, or none. */
    private void repack(BroadcastState<String, byte[]> packed, String user) throws Exception {
        Collection<Rule> rules = index.rulesOfUser(user);
        if (rules.isEmpty()) packed.remove(user);
        else packed.put(user, PackedRules.pack(rules));
    }

    /** The index of the broadcast rules, built from the state after a restore (open() cannot read it). */
    private RuleIndex restoredIndex(ReadOnlyBroadcastState<String, byte[]> packed, ReadOnlyBroadcastState<String, Rule> unpacked)
            throws Exception {
        List<Rule> rules = new ArrayList<>();
        for (Map.Entry<String, byte[]> entry : packed.immutableEntries()) rules.addAll(PackedRules.unpack(entry.getValue()));
        for (Map.Entry<String, Rule> entry : unpacked.immutableEntries()) {
            Rule rule = entry.getValue().copy();
            rule.key = entry.getKey();
            if (holding.holds(rule)) rules.add(rule);
        }
        return new RuleIndex(rules);
    }

    /**
     * The hot path: 20,000 ticks a second for 1,000 symbols. A tick touches only the rules that
     * could fire on it (price rules by binary search over their sorted thresholds) and reads a
     * rule's firing memory (keyed state) only once its condition holds.
     */
    private void onTick(Tick tick, TargetRules rules, Collector<Trigger> out) throws Exception {
        SymbolHistory symbol = history.value();
        if (symbol == null) symbol = new SymbolHistory();
        long timeMs = tick.timeUs / 1000;
        for (long length : rules.extraBucketLengths) symbol.ensureSeries(length, 0, timeMs, tick.price);
        for (long length : rules.extraBarLengths) symbol.ensureSeries(0, length, timeMs, tick.price);
        Rule[] windowed = rules.windowed;
        int[] sidesBefore = sidesBefore(rules.indicatorCount);
        for (int i = 0; i < rules.indicatorCount; i++) sidesBefore[i] = RuleConditions.sideBefore(windowed[i], symbol);
        symbol.add(tick.sector, timeMs, tick.price, tick.size, rules.horizonMs);
        history.update(symbol);
        if (rules.isEmpty()) return;

        long price = tick.price;
        for (int i = 0, met = rules.aboveMetBy(price); i < met; i++) {
            Rule rule = rules.above[i];
            if (inForce(rule, timeMs) && notFiredYet(rule, timeMs))
                fire(rule, tick, PriceUnits.currency(price), timeMs, out);
        }
        for (int i = rules.firstBelowMetBy(price); i < rules.below.length; i++) {
            Rule rule = rules.below[i];
            if (inForce(rule, timeMs) && notFiredYet(rule, timeMs))
                fire(rule, tick, PriceUnits.currency(price), timeMs, out);
        }
        for (int i = 0; i < windowed.length; i++) {
            Rule rule = windowed[i];
            if (!inForce(rule, timeMs)) continue;
            double observed = RuleConditions.observed(rule, symbol, price, timeMs, i < rules.indicatorCount ? sidesBefore[i] : BarCloses.UNKNOWN);
            if (!Double.isNaN(observed) && notFiredYet(rule, timeMs)) fire(rule, tick, observed, timeMs, out);
        }
    }

    private void fire(Rule rule, Tick tick, double observed, long timeMs, Collector<Trigger> out) throws Exception {
        double price = PriceUnits.currency(tick.price);
        Trigger trigger = trigger(rule, tick.symbol, observed, price, timeMs, tick.sequence,
                rule.id + "-" + rule.armedAtMs + "-" + tick.sequence);
        trigger.detail = TriggerDetail.of(rule, tick.symbol, observed, price, null);
        remember(rule, timeMs);
        out.collect(trigger);
    }

    /** Scratch for indicator-cross sides, kept between ticks: no allocation per tick. */
    private int[] sidesBefore(int count) {
        if (sides.length < count) sides = new int[count];
        return sides;
    }

    private void onEvent(SeenEvent event, String key, TargetRules rules, ReadOnlyContext context, Collector<Trigger> out)
            throws Exception {
        boolean perSymbol = !key.startsWith(RuleIndex.SECTOR_PREFIX);
        SeenEvent seen = event;
        if (perSymbol) {
            SymbolHistory symbol = history.value();
            seen = new SeenEvent(event.symbol, event.sector, event.name, event.detail, event.timeMs);
            seen.lastPrice = symbol == null ? 0 : symbol.lastPrice;
            // "Whose sector is that sector or whose symbol is a member of it": the event's, else the symbol's own.
            if (!seen.hasSector() && symbol != null) seen.sector = symbol.sector;
            if (seen.hasSector()) {
                AlertInput sectorInput = AlertInput.of(seen);
                sectorInput.readAtMs = readAtMs;
                context.output(SECTOR_EVENTS, sectorInput);
            }
        }
        for (Rule rule : rules.events) {
            if (!inForce(rule, seen.timeMs) || !notFiredYet(rule, seen.timeMs)) continue;
            double price = PriceUnits.currency(seen.lastPrice);
            Trigger trigger = trigger(rule, seen.symbol, 0, price, seen.timeMs, 0,
                    rule.id + "-" + rule.armedAtMs + "-e" + seen.timeMs);
            trigger.detail = TriggerDetail.of(rule, seen.symbol, 0, price, seen);
            remember(rule, seen.timeMs);
            out.collect(trigger);
        }
    }

    /** Expiry and the replay grace (docs/alerts.md, 6): the rule's own fields, no state read. */
    private static boolean inForce(Rule rule, long timeMs) {
        if (rule.expiresAtMs != 0 && timeMs >= rule.expiresAtMs) return false;
        return timeMs >= rule.armedAtMs - REPLAY_GRACE_MS;
    }

    /** The one-shot and the cool-down (docs/alerts.md, 5): the rule's firing memory, keyed state. */
    private boolean notFiredYet(Rule rule, long timeMs) throws Exception {
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
        remembered.add(rule.key);
        fired.inc();
    }

    private Trigger trigger(Rule rule, String symbol, double observed, double price, long timeMs, long sequence, String id) {
        Trigger trigger = new Trigger();
        trigger.readAtMs = readAtMs;
        trigger.firedAtMs = System.currentTimeMillis();
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
}
