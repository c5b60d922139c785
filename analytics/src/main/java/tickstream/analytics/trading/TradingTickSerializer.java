package tickstream.analytics.trading;

import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import tickstream.analytics.serial.CompactSerializer;
import tickstream.analytics.serial.CompactTypeInfo;
import tickstream.analytics.serial.NameCodec;

/** Every tick crosses into the fill engine once: the symbol as a cached name, then six longs. */
public final class TradingTickSerializer extends CompactSerializer<TradingTick> {
    @Override
    public TradingTickSerializer duplicate() {
        return new TradingTickSerializer();
    }

    @Override
    public TradingTick createInstance() {
        return new TradingTick();
    }

    @Override
    public TradingTick copy(TradingTick from, TradingTick reuse) {
        reuse.symbol = from.symbol;
        reuse.price = from.price;
        reuse.size = from.size;
        reuse.bid = from.bid;
        reuse.ask = from.ask;
        reuse.timeMs = from.timeMs;
        reuse.sequence = from.sequence;
        return reuse;
    }

    @Override
    public void serialize(TradingTick tick, DataOutputView target) throws IOException {
        NameCodec.write(tick.symbol, target);
        target.writeLong(tick.price);
        target.writeLong(tick.size);
        target.writeLong(tick.bid);
        target.writeLong(tick.ask);
        target.writeLong(tick.timeMs);
        target.writeLong(tick.sequence);
    }

    @Override
    public TradingTick deserialize(TradingTick reuse, DataInputView source) throws IOException {
        reuse.symbol = names().read(source);
        reuse.price = source.readLong();
        reuse.size = source.readLong();
        reuse.bid = source.readLong();
        reuse.ask = source.readLong();
        reuse.timeMs = source.readLong();
        reuse.sequence = source.readLong();
        return reuse;
    }

    @Override
    public TypeSerializerSnapshot<TradingTick> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores this serializer; it has no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<TradingTick> {
        public Snapshot() {
            super(TradingTickSerializer::new);
        }
    }

    /** Named on TradingTick (@TypeInfo). */
    public static final class Factory extends TypeInfoFactory<TradingTick> {
        @Override
        public TypeInformation<TradingTick> createTypeInfo(
                java.lang.reflect.Type type, java.util.Map<String, TypeInformation<?>> generics) {
            return new CompactTypeInfo<>(TradingTick.class, TradingTickSerializer::new);
        }
    }
}
