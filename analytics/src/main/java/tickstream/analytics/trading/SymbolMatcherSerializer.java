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

/** A SymbolMatcher (its working orders, in arrival order) in the fill engine's checkpoints (EngineStateSerializer). */
public final class SymbolMatcherSerializer extends EngineStateSerializer<SymbolMatcher> {
    private static final long serialVersionUID = 1L;

    @Override
    public SymbolMatcher createInstance() {
        return new SymbolMatcher();
    }

    /** Copy-on-write of the heap backend while a checkpoint is written: nothing shared with `from`. */
    @Override
    public SymbolMatcher copy(SymbolMatcher from) {
        SymbolMatcher to = new SymbolMatcher();
        for (WorkingOrder order : from.working) {
            WorkingOrder copy = FillEngine.copy(order);
            copy.filled = order.filled;
            copy.filledValue = order.filledValue;
            copy.triggered = order.triggered;
            copy.updates = order.updates;
            to.working.add(copy);
        }
        return to;
    }

    @Override
    public void serialize(SymbolMatcher matcher, DataOutputView out) throws IOException {
        out.writeInt(matcher.working.size());
        for (WorkingOrder order : matcher.working) {
            StringValue.writeString(order.id, out);
            StringValue.writeString(order.user, out);
            StringValue.writeString(order.symbol, out);
            out.writeInt(order.side);
            out.writeInt(order.type);
            out.writeLong(order.quantity);
            out.writeLong(order.price);
            out.writeInt(order.tif);
            out.writeLong(order.createdAtMs);
            out.writeLong(order.reference);
            out.writeLong(order.filled);
            out.writeLong(order.filledValue);
            out.writeBoolean(order.triggered);
            out.writeInt(order.updates);
        }
    }

    @Override
    public SymbolMatcher deserialize(DataInputView in) throws IOException {
        SymbolMatcher matcher = new SymbolMatcher();
        for (int i = 0, n = AccountSerializer.count(in, "working orders"); i < n; i++) {
            WorkingOrder order = new WorkingOrder();
            order.id = StringValue.readString(in);
            order.user = StringValue.readString(in);
            order.symbol = StringValue.readString(in);
            order.side = in.readInt();
            order.type = in.readInt();
            order.quantity = in.readLong();
            order.price = in.readLong();
            order.tif = in.readInt();
            order.createdAtMs = in.readLong();
            order.reference = in.readLong();
            order.filled = in.readLong();
            order.filledValue = in.readLong();
            order.triggered = in.readBoolean();
            order.updates = in.readInt();
            matcher.working.add(order);
        }
        return matcher;
    }

    @Override
    public TypeSerializerSnapshot<SymbolMatcher> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores this serializer; it has no configuration. */
    public static final class Snapshot extends PojoMigratingSnapshot<SymbolMatcher> {
        @Override
        public TypeSerializer<SymbolMatcher> restoreSerializer() {
            return new SymbolMatcherSerializer();
        }
    }

    /** Named on SymbolMatcher (@TypeInfo). */
    public static final class Factory extends TypeInfoFactory<SymbolMatcher> {
        @Override
        public TypeInformation<SymbolMatcher> createTypeInfo(Type type, Map<String, TypeInformation<?>> generics) {
            return new CompactTypeInfo<>(SymbolMatcher.class, SymbolMatcherSerializer::new);
        }
    }
}
