package tickstream.analytics.trading;

/**
 * One record the fill engine writes: an OrderUpdate for `fills` or a record of `portfolios`,
 * exactly one of the two set. The engine emits both kinds on one stream, in the order it made
 * them, so that one exactly-once Kafka sink writes them: one transaction per checkpoint for
 * both topics (one flush, one InitProducerId, one EndTxn on the engine's thread instead of two
 * of each), and a fill commits atomically with the portfolio it changed.
 */
public final class TradingRecord {
    /** Set for a `fills` record, else null. */
    public MatchedUpdate update;
    /** Set for a `portfolios` record, else null. */
    public PortfolioSnapshot portfolio;

    public TradingRecord() {}

    public static TradingRecord of(MatchedUpdate update) {
        TradingRecord record = new TradingRecord();
        record.update = update;
        return record;
    }

    public static TradingRecord of(PortfolioSnapshot portfolio) {
        TradingRecord record = new TradingRecord();
        record.portfolio = portfolio;
        return record;
    }

    @Override
    public String toString() {
        return update != null ? "fills " + update : "portfolios " + portfolio.user;
    }
}
