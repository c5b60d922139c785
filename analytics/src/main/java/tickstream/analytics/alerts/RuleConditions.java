package tickstream.analytics.alerts;

import tickstream.user.AlertKind;

/**
 * Whether a rule's condition holds on a tick, per kind, exactly as docs/alerts.md states it:
 * each answers the trigger's observed value, or NaN when the condition does not hold (or cannot
 * be evaluated yet). The history already includes the tick.
 */
final class RuleConditions {
    /**
     * @param sideBefore indicator-cross only: sign(previous price − SMA) at the previous tick, or
     *     BarCloses.UNKNOWN.
     */
    static double observed(Rule rule, SymbolHistory history, long price, long timeMs, int sideBefore) {
        switch (rule.kind) {
            case AlertKind.PriceAbove:
                return price >= rule.priceThreshold() ? PriceUnits.currency(price) : Double.NaN;
            case AlertKind.PriceBelow:
                return price <= rule.priceThreshold() ? PriceUnits.currency(price) : Double.NaN;
            case AlertKind.ChangePct: {
                long reference = history.ticks.priceAtOrBefore(timeMs - rule.windowMs);
                if (reference <= 0) return Double.NaN;
                double scaledChange = (price - reference) * 100.0;
                boolean holds = rule.value > 0 ? scaledChange >= rule.value * reference : scaledChange <= rule.value * reference;
                return holds ? (price - reference) / (double) reference * 100 : Double.NaN;
            }
            case AlertKind.VolumeAbove: {
                long volume = rule.windowMs > 0 ? history.ticks.volumeAfter(timeMs - rule.windowMs) : history.dayVolume;
                return volume >= 0 && volume >= rule.value ? volume : Double.NaN;
            }
            case AlertKind.RelativeVolume: {
                VolumeBuckets buckets = history.buckets.get(rule.effectiveWindowMs());
                return buckets != null && buckets.atLeast(rule.value) ? buckets.ratio() : Double.NaN;
            }
            case AlertKind.IndicatorCross: {
                BarCloses bars = history.bars.get(rule.effectiveWindowMs());
                int period = (int) rule.value;
                if (bars == null || sideBefore == BarCloses.UNKNOWN) return Double.NaN;
                int side = bars.side(price, period);
                if (side == BarCloses.UNKNOWN) return Double.NaN;
                boolean crossed = (sideBefore < 0 && side >= 0) || (sideBefore > 0 && side <= 0);
                return crossed ? bars.sma(period) / PriceUnits.SCALE : Double.NaN;
            }
            default:
                // Event rules fire on market events, never on ticks.
                return Double.NaN;
        }
    }

    /** indicator-cross's side of the symbol's previous tick, read before this tick changes the bars. */
    static int sideBefore(Rule rule, SymbolHistory history) {
        if (rule.kind != AlertKind.IndicatorCross || !history.seen) return BarCloses.UNKNOWN;
        BarCloses bars = history.bars.get(rule.effectiveWindowMs());
        return bars == null ? BarCloses.UNKNOWN : bars.side(history.lastPrice, (int) rule.value);
    }

    private RuleConditions() {}
}
