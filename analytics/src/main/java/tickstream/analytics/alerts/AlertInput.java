package tickstream.analytics.alerts;

import org.apache.flink.api.common.typeinfo.TypeInfo;
import tickstream.analytics.model.Tick;

/** What the evaluator is keyed over: a tick or a market event, one of the two set (AlertInputSerializer between tasks). */
@TypeInfo(AlertInputSerializer.Factory.class)
public class AlertInput {
    public Tick tick;
    public SeenEvent event;
    /**
     * When the job read it (wall clock, ms): stamped where the source hands it on, so a trigger can
     * say how long its tick waited in Kafka and how long inside the job (docs/alerts.md, Records).
     */
    public long readAtMs;

    public AlertInput() {}

    public static AlertInput of(Tick tick) {
        AlertInput input = new AlertInput();
        input.tick = tick;
        input.readAtMs = System.currentTimeMillis();
        return input;
    }

    public static AlertInput of(SeenEvent event) {
        AlertInput input = new AlertInput();
        input.event = event;
        input.readAtMs = System.currentTimeMillis();
        return input;
    }

    /** The symbol of the per-symbol stage, or "sector:<name>" of the per-sector stage. */
    public static String symbolKey(AlertInput input) {
        return input.tick != null ? input.tick.symbol : input.event.symbol;
    }

    public static String sectorKey(AlertInput input) {
        return RuleIndex.SECTOR_PREFIX + input.event.sector;
    }
}
