package tickstream.analytics.alerts;

import tickstream.user.AlertKind;

/**
 * One alert rule as the evaluator reads it from `alerts` (AlertRule of schemas/fbs/user.fbs);
 * its semantics are docs/alerts.md. `key` is the record key, "<user>/<id>". A Flink POJO.
 */
public class Rule {
    public String key;
    public String id;
    public String user;
    /** A symbol, or "sector:<name>" for an event rule over a sector. */
    public String symbol;
    /** A tickstream.user.AlertKind. */
    public int kind;
    public double value;
    public long windowMs;
    public boolean repeat;
    public long cooldownMs;
    public long expiresAtMs;
    public long armedAtMs;

    public Rule() {}

    /** A copy to keep: with object reuse (AnalyticsMain) Flink refills an input record's objects with the next record. */
    public Rule copy() {
        Rule rule = new Rule();
        rule.key = key;
        rule.id = id;
        rule.user = user;
        rule.symbol = symbol;
        rule.kind = kind;
        rule.value = value;
        rule.windowMs = windowMs;
        rule.repeat = repeat;
        rule.cooldownMs = cooldownMs;
        rule.expiresAtMs = expiresAtMs;
        rule.armedAtMs = armedAtMs;
        return rule;
    }

    /** The threshold of a price rule as the integer a tick's price is compared with (docs/alerts.md, Prices). */
    public long priceThreshold() {
        return Math.round(value * PriceUnits.SCALE);
    }

    /** The window, or bucket / bar length, with the kind's default where the rule has none. */
    public long effectiveWindowMs() {
        if (windowMs > 0) return windowMs;
        return kind == AlertKind.RelativeVolume || kind == AlertKind.IndicatorCross ? 60_000 : 0;
    }

    /** change-pct and volume-above over a window read the symbol's tick history that far back. */
    public long historyNeededMs() {
        return kind == AlertKind.ChangePct || (kind == AlertKind.VolumeAbove && windowMs > 0) ? windowMs : 0;
    }

    public String kindName() {
        return AlertKind.name(kind);
    }

    @Override
    public String toString() {
        return key + " " + kindName() + " " + symbol + " " + value + (repeat ? " repeat " + cooldownMs : "");
    }
}
