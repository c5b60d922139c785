package tickstream.analytics.alerts;

import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.function.SerializableSupplier;
import tickstream.analytics.model.Tick;

/**
 * Alert rules evaluated on the stream, once per symbol (issue 20, docs/alerts.md). Sources and
 * the sink are passed in: AnalyticsMain wires `alerts`, `ticks`, `market_events` and
 * `alert_events`; the tests bounded inputs and a collecting sink.
 *
 *   alerts ──broadcast──┬──────────────────────────────┐
 *   ticks ──┐           ▼                              ▼
 *           ├─ by symbol: AlertEvaluator ─ sector events ─ by sector: AlertEvaluator
 *   events ─┘  (symbol events)  │        (+ events of a sector)        │
 *                               └────────────── triggers ──────────────┴──▶ alert_events
 */
public final class AlertJob {
    static final long ALERT_PATH_BUFFER_TIMEOUT_MS = 5;
    /**
     * The evaluators' outputs (triggers, and events on to the per-sector stage) are few: each is
     * flushed at once (Flink's 0: a flush per record) rather than after up to 5 ms.
     */
    static final long TRIGGER_BUFFER_TIMEOUT_MS = 0;

    private final SerializableSupplier<AlertEvaluator> evaluators;

    public AlertJob() {
        this(AlertEvaluator::new);
    }

    /** With evaluators of the caller's making: tests observe when the rules have been applied. */
    public AlertJob(SerializableSupplier<AlertEvaluator> evaluators) {
        this.evaluators = evaluators;
    }

    public DataStream<Trigger> attach(DataStream<Tick> ticks, DataStream<SeenEvent> events, DataStream<RuleChange> rules) {
        BroadcastStream<RuleChange> broadcastRules = rules.broadcast(AlertEvaluator.RULES, AlertEvaluator.UNPACKED_RULES);
        // Each wrapping runs beside its input (same parallelism, chained): a rebalance here would
        // reorder a symbol's ticks before the keyBy, and processing order is the semantics.
        DataStream<AlertInput> symbolInputs = ticks.map(AlertInput::of)
                .setParallelism(ticks.getParallelism())
                // Flink flushes a network buffer every 100 ms by default: most of the 250 ms a
                // trigger may take from tick to browser. Ticks for alerts wait at most this long.
                .setBufferTimeout(ALERT_PATH_BUFFER_TIMEOUT_MS)
                .name("ticks for alerts")
                .union(events.filter(SeenEvent::hasSymbol)
                        .setParallelism(events.getParallelism())
                        .name("events of a symbol")
                        .map(AlertInput::of)
                        .setParallelism(events.getParallelism())
                        .name("events for alerts"));
        SingleOutputStreamOperator<Trigger> bySymbol = symbolInputs
                .keyBy(AlertInput::symbolKey)
                .connect(broadcastRules)
                .process(evaluators.get().holding(AlertEvaluator.Holding.SYMBOL_RULES))
                .uid("alerts-by-symbol")
                .name("alerts by symbol")
                .setBufferTimeout(TRIGGER_BUFFER_TIMEOUT_MS);
        DataStream<AlertInput> sectorInputs = bySymbol.getSideOutput(AlertEvaluator.SECTOR_EVENTS)
                .union(events.filter(event -> !event.hasSymbol() && event.hasSector())
                        .setParallelism(events.getParallelism())
                        .name("events of a sector")
                        .map(AlertInput::of)
                        .setParallelism(events.getParallelism())
                        .name("sector events for alerts"));
        SingleOutputStreamOperator<Trigger> bySector = sectorInputs
                .keyBy(AlertInput::sectorKey)
                .connect(broadcastRules)
                .process(evaluators.get().holding(AlertEvaluator.Holding.SECTOR_RULES))
                .uid("alerts-by-sector")
                .name("alerts by sector")
                .setBufferTimeout(TRIGGER_BUFFER_TIMEOUT_MS);
        return bySymbol.union(bySector);
    }
}
