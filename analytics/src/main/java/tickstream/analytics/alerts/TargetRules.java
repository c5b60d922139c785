package tickstream.analytics.alerts;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import tickstream.user.AlertKind;

/**
 * The rules of one target (a symbol, or "sector:<name>") arranged for the tick path, so a tick
 * touches only the rules that could fire on it: price-above and price-below rules sorted by their
 * integer threshold (a tick's candidates are a prefix or a suffix found by binary search, not a
 * scan), the other tick kinds in one array, event rules apart. Also what the symbol's history
 * must keep for these rules, worked out once instead of on every tick. Immutable: RuleIndex
 * builds a new one when a rule of the target changes.
 */
final class TargetRules {
    static final TargetRules NONE = new TargetRules(List.of());

    /** price-above, by threshold ascending: a tick at price p may fire those with threshold ≤ p. */
    final Rule[] above;
    final long[] aboveThresholds;
    /** price-below, by threshold ascending: a tick at price p may fire those with threshold ≥ p. */
    final Rule[] below;
    final long[] belowThresholds;
    /** change-pct, volume-above, relative-volume and indicator-cross: each is evaluated on every tick. */
    final Rule[] windowed;
    /** Of `windowed`, the indicator-cross rules (their side before the tick is read before it is added). */
    final int indicatorCount;
    final Rule[] events;
    /** The longest tick history a change-pct or windowed volume-above rule reads (0: the default). */
    final long horizonMs;
    /** relative-volume bucket lengths and indicator-cross bar lengths other than the default, which always exists. */
    final long[] extraBucketLengths;
    final long[] extraBarLengths;

    TargetRules(Collection<Rule> rules) {
        List<Rule> aboveList = new ArrayList<>();
        List<Rule> belowList = new ArrayList<>();
        List<Rule> windowedList = new ArrayList<>();
        List<Rule> eventList = new ArrayList<>();
        List<Long> buckets = new ArrayList<>();
        List<Long> bars = new ArrayList<>();
        long horizon = 0;
        for (Rule rule : rules) {
            switch (rule.kind) {
                case AlertKind.PriceAbove -> aboveList.add(rule);
                case AlertKind.PriceBelow -> belowList.add(rule);
                case AlertKind.Event -> eventList.add(rule);
                default -> windowedList.add(rule);
            }
            horizon = Math.max(horizon, rule.historyNeededMs());
            long length = rule.effectiveWindowMs();
            if (length != SymbolHistory.DEFAULT_LENGTH_MS) {
                if (rule.kind == AlertKind.RelativeVolume && !buckets.contains(length)) buckets.add(length);
                if (rule.kind == AlertKind.IndicatorCross && !bars.contains(length)) bars.add(length);
            }
        }
        Comparator<Rule> byThreshold = Comparator.comparingLong(Rule::priceThreshold).thenComparing(rule -> rule.key);
        aboveList.sort(byThreshold);
        belowList.sort(byThreshold);
        // Indicator-cross first, so their sides before the tick sit at the same indexes.
        windowedList.sort(Comparator.comparing((Rule rule) -> rule.kind != AlertKind.IndicatorCross).thenComparing(rule -> rule.key));
        above = aboveList.toArray(new Rule[0]);
        aboveThresholds = aboveList.stream().mapToLong(Rule::priceThreshold).toArray();
        below = belowList.toArray(new Rule[0]);
        belowThresholds = belowList.stream().mapToLong(Rule::priceThreshold).toArray();
        windowed = windowedList.toArray(new Rule[0]);
        indicatorCount = (int) windowedList.stream().filter(rule -> rule.kind == AlertKind.IndicatorCross).count();
        events = eventList.toArray(new Rule[0]);
        horizonMs = horizon;
        extraBucketLengths = buckets.stream().mapToLong(Long::longValue).toArray();
        extraBarLengths = bars.stream().mapToLong(Long::longValue).toArray();
    }

    boolean isEmpty() {
        return above.length == 0 && below.length == 0 && windowed.length == 0 && events.length == 0;
    }

    int size() {
        return above.length + below.length + windowed.length + events.length;
    }

    /** How many price-above rules a tick at `price` meets: `above[0 .. n)`, those with threshold ≤ price. */
    int aboveMetBy(long price) {
        return firstGreaterThan(aboveThresholds, price);
    }

    /** The first price-below rule a tick at `price` meets: `below[i ..]`, those with threshold ≥ price. */
    int firstBelowMetBy(long price) {
        return firstGreaterThan(belowThresholds, price - 1);
    }

    /** The index of the first value > `price` in ascending `values` (values.length when none). */
    private static int firstGreaterThan(long[] values, long price) {
        int low = 0;
        int high = values.length;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (values[middle] <= price) low = middle + 1;
            else high = middle;
        }
        return low;
    }
}
