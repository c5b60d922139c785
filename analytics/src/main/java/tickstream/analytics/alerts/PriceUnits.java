package tickstream.analytics.alerts;

/** Ticks carry prices × 10,000 (schemas/fbs/tick.fbs); rules and triggers use currency units. */
final class PriceUnits {
    static final long SCALE = 10_000;

    static double currency(long price) {
        return price / (double) SCALE;
    }

    private PriceUnits() {}
}
