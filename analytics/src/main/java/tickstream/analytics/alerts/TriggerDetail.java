package tickstream.analytics.alerts;

import java.math.BigDecimal;
import tickstream.user.AlertKind;

/** The sentence a person reads in a trigger, e.g. "AAPL 200.02 ≥ 200". */
final class TriggerDetail {
    static String of(Rule rule, String symbol, double observed, double price, SeenEvent event) {
        return switch (rule.kind) {
            case AlertKind.PriceAbove -> symbol + " " + number(observed) + " ≥ " + number(rule.value);
            case AlertKind.PriceBelow -> symbol + " " + number(observed) + " ≤ " + number(rule.value);
            case AlertKind.ChangePct -> symbol + " " + (observed >= 0 ? "+" : "") + String.format("%.2f", observed)
                    + " % in " + duration(rule.windowMs) + " (threshold " + number(rule.value) + " %), at " + number(price);
            case AlertKind.VolumeAbove -> symbol + " volume " + (long) observed + " ≥ " + number(rule.value)
                    + (rule.windowMs > 0 ? " in " + duration(rule.windowMs) : " today");
            case AlertKind.RelativeVolume -> symbol + " volume " + String.format("%.2f", observed) + "× its average of 20 × "
                    + duration(rule.effectiveWindowMs()) + " (threshold " + number(rule.value) + "×)";
            case AlertKind.IndicatorCross -> symbol + " " + number(price) + " crossed SMA " + (int) rule.value + " of "
                    + duration(rule.effectiveWindowMs()) + " bars (" + number(observed) + ")";
            default -> (event.symbol.isEmpty() ? event.sector : event.symbol) + " " + event.name
                    + (event.detail.isEmpty() ? "" : ": " + event.detail);
        };
    }

    static String number(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    static String duration(long ms) {
        if (ms % 86_400_000 == 0) return ms / 86_400_000 + "d";
        if (ms % 3_600_000 == 0) return ms / 3_600_000 + "h";
        if (ms % 60_000 == 0) return ms / 60_000 + "m";
        if (ms % 1_000 == 0) return ms / 1_000 + "s";
        return ms + "ms";
    }

    private TriggerDetail() {}
}
