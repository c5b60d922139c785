package tickstream.analytics.trading;

/** One step of one order written by the matcher: an OrderUpdate of `fills` (schemas/fbs/trading.fbs). */
public class MatchedUpdate {
    /** "<order id>-<n>". */
    public String id;
    public String orderId;
    public String user;
    public String symbol;
    public int side;
    /** tickstream.trading.OrderStatus after this step. */
    public int status;
    public long fillQuantity;
    public long fillPrice;
    public long filledQuantity;
    public long averageFillPrice;
    public long quantity;
    public String reason = "";
    public long timeMs;
    public long tickSequence;

    public MatchedUpdate() {}

    static MatchedUpdate of(WorkingOrder order, int status, long timeMs, long tickSequence) {
        MatchedUpdate update = new MatchedUpdate();
        order.updates++;
        update.id = order.id + "-" + order.updates;
        update.orderId = order.id;
        update.user = order.user;
        update.symbol = order.symbol;
        update.side = order.side;
        update.status = status;
        update.filledQuantity = order.filled;
        update.averageFillPrice = order.averageFillPrice();
        update.quantity = order.quantity;
        update.timeMs = timeMs;
        update.tickSequence = tickSequence;
        return update;
    }

    @Override
    public String toString() {
        return id + " status " + status + " fill " + fillQuantity + "@" + fillPrice + " filled " + filledQuantity + " avg "
                + averageFillPrice + (reason.isEmpty() ? "" : " (" + reason + ")");
    }
}
