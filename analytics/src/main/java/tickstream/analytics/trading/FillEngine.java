package tickstream.analytics.trading;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import tickstream.trading.OrderStatus;

/**
 * The fill engine (docs/trading.md): accounts (Account, per user) and matchers (SymbolMatcher, per
 * symbol) in one operator, on one key, so a fill and the portfolio it changes are computed
 * together and leave in the same checkpoint's transaction: no loop through `fills`. Its work per
 * tick is a walk over one symbol's working orders; it is bounded by one core.
 * One output: the OrderUpdates for `fills` and the records of `portfolios` (TradingRecord), for
 * one transactional sink.
 */
public class FillEngine extends KeyedCoProcessFunction<Integer, TradingCommand, TradingTick, TradingRecord> {
    /** The one key both inputs are keyed by. */
    public static final int ENGINE_KEY = 0;

    private final long defaultStartingCash;
    private transient MapState<String, Account> accounts;
    private transient MapState<String, SymbolMatcher> matchers;
    private transient MapState<String, Long> lastPrices;

    public FillEngine(long defaultStartingCash) {
        this.defaultStartingCash = defaultStartingCash;
    }

    @Override
    public void open(OpenContext context) {
        accounts = getRuntimeContext().getMapState(new MapStateDescriptor<>("accounts", Types.STRING, TypeInformation.of(Account.class)));
        matchers = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("matchers", Types.STRING, TypeInformation.of(SymbolMatcher.class)));
        lastPrices = getRuntimeContext().getMapState(new MapStateDescriptor<>("last-prices", Types.STRING, Types.LONG));
    }

    @Override
    public void processElement1(TradingCommand command, Context context, Collector<TradingRecord> out) throws Exception {
        Account account = accounts.get(command.user);
        if (account == null) account = new Account();
        account.openIfNew(defaultStartingCash, command.timeMs);
        String lastUpdateId = "";
        switch (command.kind) {
            case TradingCommand.ORDER -> {
                // A copy: with object reuse the input object is refilled with the next record.
                WorkingOrder order = copy(command.order);
                MatchedUpdate acceptance = account.accept(order, order.createdAtMs);
                out.collect(TradingRecord.of(acceptance));
                lastUpdateId = acceptance.id;
                if (acceptance.status == OrderStatus.New) matcher(order.symbol).add(order);
                save(order.symbol, matchers.get(order.symbol));
            }
            case TradingCommand.CANCEL -> {
                Account.OpenOrder open = account.open.get(command.orderId);
                if (open == null) return; // too late: it is final, nothing is written
                SymbolMatcher matcher = matcher(open.symbol);
                for (MatchedUpdate update : matcher.cancel(command.orderId, command.timeMs, "cancelled by the user")) {
                    account.end(update.orderId);
                    out.collect(TradingRecord.of(update));
                    lastUpdateId = update.id;
                }
                save(open.symbol, matcher);
            }
            default -> {
                // A reset cancels through the matchers, whose update numbers the orders carry.
                for (Account.OpenOrder open : new ArrayList<>(account.open.values())) {
                    SymbolMatcher matcher = matcher(open.symbol);
                    for (MatchedUpdate update : matcher.cancel(open.id, command.timeMs, "portfolio reset")) {
                        account.end(update.orderId);
                        out.collect(TradingRecord.of(update));
                    }
                    save(open.symbol, matcher);
                }
                account.reset(command.startingCash == 0 ? defaultStartingCash : command.startingCash, command.timeMs);
            }
        }
        outputPortfolio(out, command.user, account, command.timeMs, lastUpdateId);
        accounts.put(command.user, account);
    }

    @Override
    public void processElement2(TradingTick tick, Context context, Collector<TradingRecord> out) throws Exception {
        lastPrices.put(tick.symbol, tick.price);
        SymbolMatcher matcher = matchers.get(tick.symbol);
        if (matcher == null || matcher.working.isEmpty()) return;
        List<MatchedUpdate> updates = matcher.onTick(tick.price, tick.size, tick.bid, tick.ask, tick.timeMs, tick.sequence);
        if (updates.isEmpty()) return;
        matchers.put(tick.symbol, matcher);
        Map<String, MatchedUpdate> lastOfUser = new LinkedHashMap<>();
        for (MatchedUpdate update : updates) {
            Account account = accounts.get(update.user);
            if (update.fillQuantity > 0) account.fill(update.orderId, update.fillQuantity, update.fillPrice);
            else account.end(update.orderId);
            accounts.put(update.user, account);
            out.collect(TradingRecord.of(update));
            lastOfUser.put(update.user, update);
        }
        for (Map.Entry<String, MatchedUpdate> entry : lastOfUser.entrySet()) {
            Account account = accounts.get(entry.getKey());
            outputPortfolio(out, entry.getKey(), account, tick.timeMs, entry.getValue().id);
            accounts.put(entry.getKey(), account);
        }
    }

    private SymbolMatcher matcher(String symbol) throws Exception {
        SymbolMatcher matcher = matchers.get(symbol);
        if (matcher == null) {
            matcher = new SymbolMatcher();
            matchers.put(symbol, matcher);
        }
        return matcher;
    }

    private void save(String symbol, SymbolMatcher matcher) throws Exception {
        if (matcher != null) matchers.put(symbol, matcher);
    }

    /**
     * The user's Portfolio after a change and, when the change started a new minute of the equity
     * curve (or followed a reset), the whole curve as its own record: a curve of 1,000 points is
     * 16 KB, which every fill's record carried before.
     */
    private void outputPortfolio(Collector<TradingRecord> out, String user, Account account, long timeMs, String lastUpdateId)
            throws Exception {
        PortfolioSnapshot snapshot = snapshot(user, account, timeMs, lastUpdateId);
        boolean newPoint = account.markEquity(timeMs, snapshot.equity);
        CurvePoint point = account.equityCurve.get(account.equityCurve.size() - 1);
        snapshot.equityCurve.add(new CurvePoint(point.timeMs, point.equity));
        out.collect(TradingRecord.of(snapshot));
        if (newPoint) out.collect(TradingRecord.of(PortfolioSnapshot.equityCurveOf(user, account)));
    }

    private PortfolioSnapshot snapshot(String user, Account account, long timeMs, String lastUpdateId) throws Exception {
        PortfolioSnapshot snapshot = new PortfolioSnapshot();
        snapshot.user = user;
        snapshot.cash = account.cash;
        snapshot.reservedCash = account.reservedCash;
        snapshot.startingCash = account.startingCash;
        snapshot.realizedPnl = account.realizedPnl();
        snapshot.updatedAtMs = timeMs;
        snapshot.resetAtMs = account.resetAtMs;
        snapshot.lastUpdateId = lastUpdateId;
        long equity = account.cash;
        for (Account.Holding holding : account.positions.values()) {
            Account.Holding copy = new Account.Holding();
            copy.symbol = holding.symbol;
            copy.quantity = holding.quantity;
            copy.cost = holding.cost;
            copy.realizedPnl = holding.realizedPnl;
            snapshot.positions.add(copy);
            Long last = lastPrices.get(holding.symbol);
            equity += last == null ? holding.cost : holding.quantity * last;
        }
        snapshot.equity = equity;
        return snapshot;
    }

    static WorkingOrder copy(WorkingOrder from) {
        WorkingOrder order = new WorkingOrder();
        order.id = from.id;
        order.user = from.user;
        order.symbol = from.symbol;
        order.side = from.side;
        order.type = from.type;
        order.quantity = from.quantity;
        order.price = from.price;
        order.tif = from.tif;
        order.createdAtMs = from.createdAtMs;
        order.reference = from.reference;
        return order;
    }
}
