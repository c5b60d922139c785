package tickstream.analytics.trading;

import java.util.ArrayList;
import java.util.List;

/**
 * One `portfolios` record: a user's whole portfolio after a change, with its minute's point of the
 * equity curve; or, when {@link #equityCurveRecord}, the user's whole equity curve (key
 * `<user>/equity-curve`: user, resetAtMs and equityCurve only). One type, so both go through the
 * one transactional sink of `portfolios`. Money × 10,000.
 */
public class PortfolioSnapshot {
    /** True: this is the user's EquityCurve record, not a Portfolio. */
    public boolean equityCurveRecord;
    public String user;
    public long cash;
    public long reservedCash;
    public long startingCash;
    public long realizedPnl;
    /** "symbol quantity cost realizedPnl" per position, in the order they were opened. */
    public List<Account.Holding> positions = new ArrayList<>();
    public long updatedAtMs;
    public long resetAtMs;
    public String lastUpdateId = "";
    /** cash + Σ quantity × the last trade price the engine knows (the cost where it knows none). */
    public long equity;
    /** A Portfolio: this change's point only. An EquityCurve record: the account's whole curve (Account.markEquity). */
    public List<CurvePoint> equityCurve = new ArrayList<>();

    public PortfolioSnapshot() {}

    /** The account's whole equity curve as its own record (written when it gains a point). */
    public static PortfolioSnapshot equityCurveOf(String user, Account account) {
        PortfolioSnapshot curve = new PortfolioSnapshot();
        curve.equityCurveRecord = true;
        curve.user = user;
        curve.resetAtMs = account.resetAtMs;
        for (CurvePoint point : account.equityCurve) curve.equityCurve.add(new CurvePoint(point.timeMs, point.equity));
        return curve;
    }
}
