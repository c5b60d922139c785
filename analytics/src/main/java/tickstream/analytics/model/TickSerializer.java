package tickstream.analytics.model;

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

/**
 * Every tick crosses two exchanges of the analytics job (into the price stepper, into the alert
 * evaluator): symbol and sector as cached names, then price, size, time and sequence.
 */
public final class TickSerializer extends CompactSerializer<Tick> {
    @Override
    public TickSerializer duplicate() {
        return new TickSerializer();
    }

    @Override
    public Tick createInstance() {
        return new Tick();
    }

    @Override
    public Tick copy(Tick from, Tick reuse) {
        reuse.symbol = from.symbol;
        reuse.sector = from.sector;
        reuse.price = from.price;
        reuse.size = from.size;
        reuse.timeUs = from.timeUs;
        reuse.sequence = from.sequence;
        return reuse;
    }

    @Override
    public void serialize(Tick tick, DataOutputView target) throws IOException {
        NameCodec.write(tick.symbol, target);
        NameCodec.write(tick.sector, target);
        target.writeLong(tick.price);
        target.writeLong(tick.size);
        target.writeLong(tick.timeUs);
        target.writeLong(tick.sequence);
    }

    @Override
    public Tick deserialize(Tick reuse, DataInputView source) throws IOException {
        reuse.symbol = names().read(source);
        reuse.sector = names().read(source);
        reuse.price = source.readLong();
        reuse.size = source.readLong();
        reuse.timeUs = source.readLong();
        reuse.sequence = source.readLong();
        return reuse;
    }

    @Override
    public TypeSerializerSnapshot<Tick> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores this serializer; it has no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Tick> {
        public Snapshot() {
            super(TickSerializer::new);
        }
    }

    /** Named on Tick (@TypeInfo): wherever Flink meets a Tick, this serializer carries it. */
    public static final class Factory extends TypeInfoFactory<Tick> {
        @Override
        public TypeInformation<Tick> createTypeInfo(java.lang.reflect.Type type, java.util.Map<String, TypeInformation<?>> generics) {
            return new CompactTypeInfo<>(Tick.class, TickSerializer::new);
        }
    }
}
