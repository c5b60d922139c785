package tickstream.analytics.trading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import tickstream.trading.OrderType;
import tickstream.trading.Side;
import tickstream.trading.TimeInForce;

/**
 * The fill engine's state through the serializers Flink picks for it (TypeInformation.of, as
 * FillEngine's state descriptors do): a round trip and a copy give back every field, and a copy
 * shares nothing with its original (the heap backend's copy-on-write relies on it).
 */
class EngineStateSerializersTest {
    private static final long T0 = 1_797_000_000_000L;

    private static <T> TypeSerializer<T> serializer(Class<T> type) {
        return TypeInformation.of(type).createSerializer(new SerializerConfigImpl());
    }

    private static <T> T roundTrip(TypeSerializer<T> serializer, T value) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        return serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    private static WorkingOrder order(String id, String symbol, int side, int type, long quantity, long price) {
        WorkingOrder order = new WorkingOrder();
        order.id = id;
        order.user = "alice";
        order.symbol = symbol;
        order.side = side;
        order.type = type;
        order.quantity = quantity;
        order.price = price;
        order.tif = TimeInForce.Gtc;
        order.createdAtMs = T0;
        order.reference = 1_900_000;
        return order;
    }

    /** An account with two positions (one partly sold), an open order partly filled, a reservation and two curve points. */
    static Account account() {
        Account account = new Account();
        account.openIfNew(1_000_000_000L, T0);
        account.accept(order("o1", "AAPL", Side.Buy, OrderType.Market, 100, 0), T0);
        account.fill("o1", 100, 1_900_100);
        account.accept(order("o2", "MSFT", Side.Buy, OrderType.Limit, 50, 3_000_000), T0);
        account.fill("o2", 20, 2_999_000);
        account.accept(order("o3", "AAPL", Side.Sell, OrderType.Market, 30, 0), T0);
        account.fill("o3", 30, 2_000_000);
        account.markEquity(T0, 1_000_000_000L);
        account.markEquity(T0 + 60_000, 1_000_300_000L);
        return account;
    }

    static String describe(Account a) {
        StringBuilder text = new StringBuilder();
        text.append(a.opened).append(' ').append(a.cash).append(' ').append(a.reservedCash).append(' ')
                .append(a.startingCash).append(' ').append(a.resetAtMs).append(" positions");
        a.positions.forEach((key, h) -> text.append(' ').append(key).append('=').append(h.symbol).append('/')
                .append(h.quantity).append('/').append(h.cost).append('/').append(h.realizedPnl));
        text.append(" open");
        a.open.forEach((key, o) -> text.append(' ').append(key).append('=').append(o.id).append('/').append(o.user)
                .append('/').append(o.symbol).append('/').append(o.side).append('/').append(o.quantity).append('/')
                .append(o.remaining).append('/').append(o.reservePrice).append('/').append(o.reserved).append('/')
                .append(o.filled).append('/').append(o.filledValue).append('/').append(o.updates));
        text.append(" curve");
        for (CurvePoint point : a.equityCurve) text.append(' ').append(point.timeMs).append('=').append(point.equity);
        return text.toString();
    }

    static String describe(SymbolMatcher m) {
        List<String> orders = new ArrayList<>();
        for (WorkingOrder o : m.working) {
            orders.add(o.id + "/" + o.user + "/" + o.symbol + "/" + o.side + "/" + o.type + "/" + o.quantity + "/" + o.price
                    + "/" + o.tif + "/" + o.createdAtMs + "/" + o.reference + "/" + o.filled + "/" + o.filledValue + "/"
                    + o.triggered + "/" + o.updates);
        }
        return String.join(" ", orders);
    }

    @Test
    void anAccountComesBackWithEveryField() throws IOException {
        TypeSerializer<Account> serializer = serializer(Account.class);
        assertInstanceOf(AccountSerializer.class, serializer);
        Account account = account();
        String expected = describe(account);
        assertEquals(2, account.positions.size());
        assertEquals(1, account.open.size());
        assertEquals(expected, describe(roundTrip(serializer, account)));
        assertEquals(expected, describe(serializer.copy(account)));
    }

    @Test
    void aCopyOfAnAccountSharesNothing() {
        Account account = account();
        String before = describe(account);
        Account copy = serializer(Account.class).copy(account);
        copy.fill("o2", 30, 2_999_000);
        copy.positions.get("AAPL").realizedPnl = 1;
        copy.markEquity(T0 + 60_001, 7);
        copy.accept(order("o4", "IBM", Side.Buy, OrderType.Market, 1, 0), T0);
        assertNotEquals(before, describe(copy));
        assertEquals(before, describe(account));
    }

    static SymbolMatcher matcher() {
        SymbolMatcher matcher = new SymbolMatcher();
        matcher.add(order("m1", "AAPL", Side.Buy, OrderType.Market, 100, 0));
        WorkingOrder stop = order("s1", "AAPL", Side.Sell, OrderType.Stop, 40, 1_800_000);
        stop.tif = TimeInForce.Day;
        matcher.add(stop);
        matcher.add(order("l1", "AAPL", Side.Sell, OrderType.Limit, 10, 2_500_000));
        // m1 takes 60 of the tick, s1 triggers (179.00 ≤ 180.00).
        matcher.onTick(1_790_000, 60, 1_789_900, 1_790_100, T0 + 1_000, 7);
        return matcher;
    }

    @Test
    void aMatcherComesBackWithEveryOrderInItsOrder() throws IOException {
        TypeSerializer<SymbolMatcher> serializer = serializer(SymbolMatcher.class);
        assertInstanceOf(SymbolMatcherSerializer.class, serializer);
        SymbolMatcher matcher = matcher();
        assertEquals(true, matcher.working.get(1).triggered);
        assertEquals(60, matcher.working.get(0).filled);
        String expected = describe(matcher);
        assertEquals(expected, describe(roundTrip(serializer, matcher)));
        assertEquals(expected, describe(serializer.copy(matcher)));
        // The copy works on its own: the next tick fills it, not the original.
        SymbolMatcher copy = serializer.copy(matcher);
        copy.onTick(1_790_000, 500, 1_789_900, 1_790_100, T0 + 2_000, 8);
        assertEquals(expected, describe(matcher));
        assertNotEquals(expected, describe(copy));
    }

    @Test
    void aCorruptCountIsAnErrorNotACrash() {
        DataOutputSerializer out = new DataOutputSerializer(16);
        IOException error = assertThrows(IOException.class, () -> {
            out.writeInt(-3);
            serializer(SymbolMatcher.class).deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        });
        assertEquals("corrupt fill engine state: -3 working orders", error.getMessage());
    }
}
