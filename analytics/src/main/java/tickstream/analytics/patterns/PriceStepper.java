package tickstream.analytics.patterns;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import tickstream.analytics.model.Tick;

/**
 * Reduces a symbol's ticks to price steps (a renko-style filter): a step is emitted at the first
 * tick and whenever the price is `step` (relative) away from the last step's price. CEP then
 * matches sequences of a few steps instead of every tick: in a calm market a symbol makes a step
 * every minute or so, in a crash dozens a second. A fall measured between two steps is at most
 * the true fall (the true peak may lie up to one step above the peak step).
 *
 * Every tick passes through on the main output, steps go to STEPS: the ticks are shuffled by
 * symbol once, and the candle windows read them from here without a second shuffle
 * (AnalyticsJob.ticksBySymbol).
 */
public final class PriceStepper extends KeyedProcessFunction<String, Tick, Tick> {
    public static final OutputTag<PriceStep> STEPS = new OutputTag<>("price-steps", TypeInformation.of(PriceStep.class));

    private final double logStep;
    private transient ValueState<Long> lastStepPrice;

    public PriceStepper(double step) {
        this.logStep = Math.log1p(step);
    }

    @Override
    public void open(OpenContext context) {
        lastStepPrice = getRuntimeContext().getState(new ValueStateDescriptor<>("last-step-price", Long.class));
    }

    @Override
    public void processElement(Tick tick, Context context, Collector<Tick> out) throws Exception {
        out.collect(tick);
        if (tick.price <= 0) return;
        Long last = lastStepPrice.value();
        if (last == null || Math.abs(Math.log((double) tick.price / last)) >= logStep) {
            lastStepPrice.update(tick.price);
            context.output(STEPS, new PriceStep(tick.symbol, tick.sector, tick.timeUs, tick.price));
        }
    }
}
