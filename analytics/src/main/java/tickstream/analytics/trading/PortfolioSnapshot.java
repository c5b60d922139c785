package tickstream.analytics.trading;

import java.util.ArrayList;
import java.util.List;

/** One `portfolios` record: a user's whole portfolio after a change. Money × 10,000. */
public class PortfolioSnapshot {
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
    /** The account's equity curve, its last point this change's (Account.markEquity). */
    public List<CurvePoint> equityCurve = new ArrayList<>();

    public PortfolioSnapshot() {}
}
