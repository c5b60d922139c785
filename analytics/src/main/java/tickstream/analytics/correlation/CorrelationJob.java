package tickstream.analytics.correlation;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Correlations;

/**
 * Cross-symbol return correlations: every bar goes to its sector's group ("sector:<name>") and
 * to "all"; each group's matrix is recomputed at the end of every bar period over the last
 * `windowBars` returns (CorrelationMatrices). "all" stops growing at `maxAllSymbols`.
 */
public final class CorrelationJob {
    public static final String ALL = "all";
    private final CorrelationParameters parameters;

    public CorrelationJob(CorrelationParameters parameters) {
        this.parameters = parameters;
    }

    /** `bars`: the bars of parameters.timeframe. */
    public DataStream<Correlations> attach(DataStream<Bar> bars) {
        return bars.flatMap((Bar bar, Collector<GroupBar> out) -> {
                    out.collect(new GroupBar("sector:" + bar.sector, bar));
                    out.collect(new GroupBar(ALL, bar));
                })
                .returns(TypeInformation.of(GroupBar.class))
                .name("by group")
                .keyBy(groupBar -> groupBar.group)
                .process(new CorrelationMatrices(parameters))
                .uid("correlations")
                .name("correlation matrices");
    }
}
