package tickstream.analytics.patterns;

import java.util.Iterator;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Detection;
import tickstream.kafka.MarketEventKind;

/**
 * Halts: a symbol that stops trading while the market trades on. Not a CEP pattern: it is the
 * absence of events, with a deadline that depends on the symbol and on the market's pace, which
 * is what event-time timers are for.
 *
 * The test is a likelihood: the symbol takes a share of the market's trades (an EWMA of its
 * trades over the market's, second by second), so a silence during which the market made M
 * trades "should" have held share × M of its own. When that expectation reaches 16.1 and none
 * came (Poisson: e^−16.1 ≈ 1e-7), it is halted. A feed that stalls as a whole (the producer or
 * Kafka falling behind) makes no market trades either, so it never looks like 500 halts.
 *
 * The market's trades per second come in as broadcast state. Everything happens in timers, which
 * fire only once both inputs' watermarks pass them: a bar is held until the timer at its end, so
 * bars, silence checks and market seconds are taken in event-time order even when the bars' input
 * runs ahead of the market's (measured in the MiniCluster test: a bar after a silence arrived
 * before the market's count of the silence, and cancelled the check that would have found it).
 */
public final class HaltDetector extends KeyedBroadcastProcessFunction<String, Bar, MarketSecond, Detection> {
    public static final MapStateDescriptor<Long, Long> MARKET_SECONDS =
            new MapStateDescriptor<>("market-seconds", Long.class, Long.class);
    /** Market seconds kept: longer than any silence checked, so a sum over one never misses a second. */
    private static final long KEEP_SECONDS_MS = 600_000;

    private final PatternParameters p;
    /** Per-second keep factor of the share's EWMA. */
    private final double keep;
    private transient ValueState<HaltState> state;

    public HaltDetector(PatternParameters parameters) {
        this.p = parameters;
        this.keep = Math.exp(-1000.0 / parameters.baselineTauMs);
    }

    @Override
    public void open(OpenContext context) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>("halt", HaltState.class));
    }

    @Override
    public void processBroadcastElement(MarketSecond second, Context context, Collector<Detection> out) throws Exception {
        BroadcastState<Long, Long> market = context.getBroadcastState(MARKET_SECONDS);
        market.put(second.startMs, second.trades);
        Iterator<Map.Entry<Long, Long>> entries = market.iterator();
        while (entries.hasNext()) {
            if (entries.next().getKey() < second.startMs - KEEP_SECONDS_MS) entries.remove();
        }
    }

    @Override
    public void processElement(Bar bar, ReadOnlyContext context, Collector<Detection> out) throws Exception {
        HaltState h = state.value();
        if (h == null) h = new HaltState();
        long startMs = bar.startUs / 1000;
        long endMs = startMs + 1000;
        if (h.firstSeenMs == Long.MIN_VALUE) {
            h.firstSeenMs = startMs;
            h.accountedUntilMs = startMs;
            h.lastBarEndMs = startMs;
        }
        h.sector = bar.sector;
        h.addPending(endMs, bar.trades, bar.close);
        // Taken in once the market's count of its second is in too (the bar's timestamp).
        context.timerService().registerEventTimeTimer(endMs - 1);
        state.update(h);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext context, Collector<Detection> out) throws Exception {
        HaltState h = state.value();
        if (h == null) return;
        ReadOnlyBroadcastState<Long, Long> market = context.getBroadcastState(MARKET_SECONDS);
        if (timestamp == h.checkAtMs) {
            checkSilence(timestamp, h, market, context, out);
        } else {
            for (int i = h.earliestPending(timestamp + 1); i >= 0; i = h.earliestPending(timestamp + 1)) {
                takeIn(h.pendingEnds[i], h.pendingTrades[i], h.pendingCloses[i], h, market, context, out);
                h.removePending(i);
            }
        }
        state.update(h);
    }

    /** A bar, in event-time order: resumes a halt, folds its trades into the share, re-arms the silence check. */
    private void takeIn(
            long endMs,
            long trades,
            long close,
            HaltState h,
            ReadOnlyBroadcastState<Long, Long> market,
            OnTimerContext context,
            Collector<Detection> out)
            throws Exception {
        long startMs = endMs - 1000;
        String symbol = context.getCurrentKey();
        if (h.halted) {
            h.halted = false;
            double silent = (startMs - h.lastBarEndMs) / 1e3;
            out.collect(new Detection(MarketEventKind.ResumeDetected, symbol, h.sector, "resume", startMs * 1000)
                    .measured(silent, p.haltMinSilenceMs / 1e3)
                    .over(startMs - h.lastBarEndMs, h.lastBarEndMs * 1000)
                    .prices(h.lastPrice, close)
                    .saying(String.format("trades again after %.1f s without a trade", silent)));
        }
        account(endMs, trades, h, market);
        h.lastBarEndMs = Math.max(h.lastBarEndMs, endMs);
        h.lastPrice = close;
        if (h.checkAtMs != Long.MIN_VALUE) context.timerService().deleteEventTimeTimer(h.checkAtMs);
        h.checkAtMs = h.lastBarEndMs + p.haltMinSilenceMs;
        context.timerService().registerEventTimeTimer(h.checkAtMs);
    }

    /** Sets the symbol's trades against the market's over the seconds since the last accounting. */
    private void account(long untilMs, long trades, HaltState h, ReadOnlyBroadcastState<Long, Long> market)
            throws Exception {
        if (untilMs <= h.accountedUntilMs) return;
        long seconds = (untilMs - h.accountedUntilMs) / 1000;
        double decay = Math.pow(keep, seconds);
        h.symbolTrades = h.symbolTrades * decay + trades;
        h.marketTrades = h.marketTrades * decay + marketTrades(market, h.accountedUntilMs, untilMs);
        h.accountedUntilMs = untilMs;
    }

    private void checkSilence(
            long nowMs, HaltState h, ReadOnlyBroadcastState<Long, Long> market, OnTimerContext context, Collector<Detection> out)
            throws Exception {
        h.checkAtMs = Long.MIN_VALUE;
        // Silent beyond the market seconds kept: the symbol is gone (or the input ended); its next
        // bar, if any, arms the check again.
        if (h.halted || nowMs - h.lastBarEndMs >= KEEP_SECONDS_MS) return;
        if (nowMs - h.firstSeenMs < p.warmUpMs) {
            h.checkAtMs = h.firstSeenMs + p.warmUpMs;
            context.timerService().registerEventTimeTimer(h.checkAtMs);
            return;
        }
        double share = h.share();
        double marketDuring = marketTrades(market, h.lastBarEndMs, nowMs);
        double expected = share * marketDuring;
        if (expected >= p.haltExpectedTrades) {
            h.halted = true;
            h.expectedAtHalt = expected;
            double silent = (nowMs - h.lastBarEndMs) / 1e3;
            out.collect(new Detection(MarketEventKind.HaltDetected, context.getCurrentKey(), h.sector, "halt", nowMs * 1000)
                    .measured(expected, p.haltExpectedTrades)
                    .over(nowMs - h.lastBarEndMs, h.lastBarEndMs * 1000)
                    .prices(h.lastPrice, h.lastPrice)
                    .saying(String.format(
                            "no trade for %.1f s where the market's pace made %.1f expected (%.2f %% of its trades)",
                            silent, expected, 100 * share)));
            return;
        }
        // Not yet: look again when the expectation could have reached the threshold at the current pace.
        double perSecond = share * marketDuring / Math.max(1, (nowMs - h.lastBarEndMs) / 1000.0);
        long waitMs = perSecond > 0 ? (long) Math.ceil((p.haltExpectedTrades - expected) / perSecond * 1000) : 5_000;
        h.checkAtMs = nowMs + Math.max(1_000, Math.min(waitMs, 60_000));
        context.timerService().registerEventTimeTimer(h.checkAtMs);
    }

    private static long marketTrades(ReadOnlyBroadcastState<Long, Long> market, long fromMs, long untilMs)
            throws Exception {
        long sum = 0;
        for (long second = fromMs - Math.floorMod(fromMs, 1000); second < untilMs; second += 1000) {
            Long trades = market.get(second);
            if (trades != null) sum += trades;
        }
        return sum;
    }
}
