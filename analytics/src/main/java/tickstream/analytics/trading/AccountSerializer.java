package tickstream.analytics.trading;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;
import tickstream.analytics.serial.CompactTypeInfo;
import tickstream.analytics.serial.PojoMigratingSnapshot;

/**
 * An Account in the fill engine's checkpoints (EngineStateSerializer). The maps are written as
 * their values: a position is keyed by its symbol and an open order by its id (Account keeps them so).
 */
public final class AccountSerializer extends EngineStateSerializer<Account> {
    private static final long serialVersionUID = 1L;

    @Override
    public Account createInstance() {
        return new Account();
    }

    /** Copy-on-write of the heap backend while a checkpoint is written: nothing shared with `from`. */
    @Override
    public Account copy(Account from) {
        Account to = new Account();
        to.opened = from.opened;
        to.cash = from.cash;
        to.reservedCash = from.reservedCash;
        to.startingCash = from.startingCash;
        to.resetAtMs = from.resetAtMs;
        for (Account.Holding holding : from.positions.values()) to.positions.put(holding.symbol, copy(holding));
        for (Account.OpenOrder order : from.open.values()) to.open.put(order.id, copy(order));
        for (CurvePoint point : from.equityCurve) to.equityCurve.add(new CurvePoint(point.timeMs, point.equity));
        return to;
    }

    private static Account.Holding copy(Account.Holding from) {
        Account.Holding to = new Account.Holding();
        to.symbol = from.symbol;
        to.quantity = from.quantity;
        to.cost = from.cost;
        to.realizedPnl = from.realizedPnl;
        return to;
    }

    private static Account.OpenOrder copy(Account.OpenOrder from) {
        Account.OpenOrder to = new Account.OpenOrder();
        to.id = from.id;
        to.user = from.user;
        to.symbol = from.symbol;
        to.side = from.side;
        to.quantity = from.quantity;
        to.remaining = from.remaining;
        to.reservePrice = from.reservePrice;
        to.reserved = from.reserved;
        to.filled = from.filled;
        to.filledValue = from.filledValue;
        to.updates = from.updates;
        return to;
    }

    @Override
    public void serialize(Account account, DataOutputView out) throws IOException {
        out.writeBoolean(account.opened);
        out.writeLong(account.cash);
        out.writeLong(account.reservedCash);
        out.writeLong(account.startingCash);
        out.writeLong(account.resetAtMs);
        out.writeInt(account.positions.size());
        for (Account.Holding holding : account.positions.values()) {
            StringValue.writeString(holding.symbol, out);
            out.writeLong(holding.quantity);
            out.writeLong(holding.cost);
            out.writeLong(holding.realizedPnl);
        }
        out.writeInt(account.open.size());
        for (Account.OpenOrder order : account.open.values()) {
            StringValue.writeString(order.id, out);
            StringValue.writeString(order.user, out);
            StringValue.writeString(order.symbol, out);
            out.writeInt(order.side);
            out.writeLong(order.quantity);
            out.writeLong(order.remaining);
            out.writeLong(order.reservePrice);
            out.writeLong(order.reserved);
            out.writeLong(order.filled);
            out.writeLong(order.filledValue);
            out.writeInt(order.updates);
        }
        out.writeInt(account.equityCurve.size());
        for (CurvePoint point : account.equityCurve) {
            out.writeLong(point.timeMs);
            out.writeLong(point.equity);
        }
    }

    @Override
    public Account deserialize(DataInputView in) throws IOException {
        Account account = new Account();
        account.opened = in.readBoolean();
        account.cash = in.readLong();
        account.reservedCash = in.readLong();
        account.startingCash = in.readLong();
        account.resetAtMs = in.readLong();
        for (int i = 0, n = count(in, "positions"); i < n; i++) {
            Account.Holding holding = new Account.Holding();
            holding.symbol = StringValue.readString(in);
            holding.quantity = in.readLong();
            holding.cost = in.readLong();
            holding.realizedPnl = in.readLong();
            account.positions.put(holding.symbol, holding);
        }
        for (int i = 0, n = count(in, "open orders"); i < n; i++) {
            Account.OpenOrder order = new Account.OpenOrder();
            order.id = StringValue.readString(in);
            order.user = StringValue.readString(in);
            order.symbol = StringValue.readString(in);
            order.side = in.readInt();
            order.quantity = in.readLong();
            order.remaining = in.readLong();
            order.reservePrice = in.readLong();
            order.reserved = in.readLong();
            order.filled = in.readLong();
            order.filledValue = in.readLong();
            order.updates = in.readInt();
            account.open.put(order.id, order);
        }
        for (int i = 0, n = count(in, "equity points"); i < n; i++) {
            long timeMs = in.readLong();
            account.equityCurve.add(new CurvePoint(timeMs, in.readLong()));
        }
        return account;
    }

    static int count(DataInputView in, String what) throws IOException {
        int count = in.readInt();
        if (count < 0) throw new IOException("corrupt fill engine state: " + count + " " + what);
        return count;
    }

    @Override
    public TypeSerializerSnapshot<Account> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores this serializer; it has no configuration. */
    public static final class Snapshot extends PojoMigratingSnapshot<Account> {
        @Override
        public TypeSerializer<Account> restoreSerializer() {
            return new AccountSerializer();
        }
    }

    /** Named on Account (@TypeInfo). */
    public static final class Factory extends TypeInfoFactory<Account> {
        @Override
        public TypeInformation<Account> createTypeInfo(Type type, Map<String, TypeInformation<?>> generics) {
            return new CompactTypeInfo<>(Account.class, AccountSerializer::new);
        }
    }
}
