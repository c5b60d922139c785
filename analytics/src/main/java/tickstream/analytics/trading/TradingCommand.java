package tickstream.analytics.trading;

/** One record of `orders` (OrderCommand of schemas/fbs/trading.fbs): an order, a cancel or a reset. A Flink POJO. */
public class TradingCommand {
    public static final int ORDER = 0;
    public static final int CANCEL = 1;
    public static final int RESET = 2;

    public int kind;
    public String user;
    /** ORDER. */
    public WorkingOrder order;
    /** CANCEL: the order to cancel. */
    public String orderId;
    /** RESET: the new starting cash × 10,000 (0: the job's --starting-cash). */
    public long startingCash;
    /** CANCEL and RESET: when it was requested. */
    public long timeMs;

    public TradingCommand() {}

    public static TradingCommand order(WorkingOrder order) {
        TradingCommand command = new TradingCommand();
        command.kind = ORDER;
        command.user = order.user;
        command.order = order;
        command.timeMs = order.createdAtMs;
        return command;
    }

    public static TradingCommand cancel(String user, String orderId, long timeMs) {
        TradingCommand command = new TradingCommand();
        command.kind = CANCEL;
        command.user = user;
        command.orderId = orderId;
        command.timeMs = timeMs;
        return command;
    }

    public static TradingCommand reset(String user, long startingCash, long timeMs) {
        TradingCommand command = new TradingCommand();
        command.kind = RESET;
        command.user = user;
        command.startingCash = startingCash;
        command.timeMs = timeMs;
        return command;
    }
}
