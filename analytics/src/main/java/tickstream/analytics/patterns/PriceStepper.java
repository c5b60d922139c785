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
 * tick, whenever the price is `step` (relative) away from the last step's price, and at the first
 * tick `refresh` after the last step. CEP then matches sequences of a few steps instead of every
 * tick: in a calm market a symbol makes a step every `refresh`, in a crash dozens a second. A fall
 * measured between two steps is at most the true fall (the true peak may lie up to one step above
 * the peak step). The refresh keeps a recent level inside the crash window: without it, a calm
 * symbol's last step could be minutes old, and an 8 % jump within one second (measured: the model's
 * own jumps) matched no step within the 5 s window.
 *
 * Every tick passes through on the main output, steps go to STEPS: the ticks are shuffled by
 * symbol once, and the candle windows read them from here without a second shuffle
 * (AnalyticsJob.ticksBySymbol).
 */
public final class PriceStepper extends KeyedProcessFunction<String, Tick, Tick> {
    public static final OutputTag<PriceStep> STEPS = new OutputTag<>("price-steps", TypeInformation.of(PriceStep.class));

    private final double logStep;
    private final long refreshUs;
    private transient ValueState<LastStep> lastStep;

    /** The last step of a symbol. */
    public static class LastStep {
        public long price;
        public long timeUs;

        public LastStep() {}
    }

    public PriceStepper(double step, long refreshMs) {
        this.logStep = Math.log1p(step);
        this.refreshUs = refreshMs * 1000;
    }

    @Override
    public void open(OpenContext context) {
        lastStep = getRuntimeContext().getState(new ValueStateDescriptor<>("last-step", LastStep.class));
    }

    @Override
    public void processElement(Tick tick, Context context, Collector<Tick> out) throws Exception {
        out.collect(tick);
        if (tick.price <= 0) return;
        LastStep last = lastStep.value();
        if (last == null
                || Math.abs(Math.log((double) tick.price / last.price)) >= logStep
                || tick.timeUs - last.timeUs >= refreshUs) {
            if (last == null) last = new LastStep();
            last.price = tick.price;
            last.timeUs = tick.timeUs;
            lastStep.update(last);
            context.output(STEPS, new PriceStep(tick.symbol, tick.sector, tick.timeUs, tick.price));
        }
    }
}
