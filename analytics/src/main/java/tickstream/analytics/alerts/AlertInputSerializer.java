package tickstream.analytics.alerts;

import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import tickstream.analytics.model.Tick;
import tickstream.analytics.model.TickSerializer;
import tickstream.analytics.serial.CompactSerializer;
import tickstream.analytics.serial.CompactTypeInfo;
import tickstream.analytics.serial.NameCodec;

/**
 * Every tick crosses into the per-symbol alert evaluator wrapped in an AlertInput: one byte says
 * tick or event, then the read time and the one that is set.
 */
public final class AlertInputSerializer extends CompactSerializer<AlertInput> {
    private static final byte TICK = 1;
    private static final byte EVENT = 2;
    private static final byte NEITHER = 0;

    private final TickSerializer ticks = new TickSerializer();

    @Override
    public AlertInputSerializer duplicate() {
        return new AlertInputSerializer();
    }

    @Override
    public AlertInput createInstance() {
        return new AlertInput();
    }

    @Override
    public AlertInput copy(AlertInput from, AlertInput reuse) {
        reuse.readAtMs = from.readAtMs;
        reuse.tick = from.tick == null ? null : ticks.copy(from.tick);
        reuse.event = from.event == null ? null : copy(from.event);
        return reuse;
    }

    private static SeenEvent copy(SeenEvent from) {
        SeenEvent event = new SeenEvent(from.symbol, from.sector, from.name, from.detail, from.timeMs);
        event.lastPrice = from.lastPrice;
        return event;
    }

    @Override
    public void serialize(AlertInput input, DataOutputView target) throws IOException {
        target.writeByte(input.tick != null ? TICK : input.event != null ? EVENT : NEITHER);
        target.writeLong(input.readAtMs);
        if (input.tick != null) {
            ticks.serialize(input.tick, target);
        } else if (input.event != null) {
            SeenEvent event = input.event;
            NameCodec.write(event.symbol, target);
            NameCodec.write(event.sector, target);
            NameCodec.write(event.name, target);
            NameCodec.write(event.detail, target);
            target.writeLong(event.timeMs);
            target.writeLong(event.lastPrice);
        }
    }

    @Override
    public AlertInput deserialize(AlertInput reuse, DataInputView source) throws IOException {
        byte kind = source.readByte();
        reuse.readAtMs = source.readLong();
        reuse.tick = null;
        reuse.event = null;
        if (kind == TICK) {
            reuse.tick = ticks.deserialize(new Tick(), source);
        } else if (kind == EVENT) {
            SeenEvent event = new SeenEvent();
            event.symbol = names().read(source);
            event.sector = names().read(source);
            event.name = names().read(source);
            event.detail = names().read(source);
            event.timeMs = source.readLong();
            event.lastPrice = source.readLong();
            reuse.event = event;
        } else if (kind != NEITHER) {
            throw new IOException("not an alert input: kind " + kind);
        }
        return reuse;
    }

    @Override
    public TypeSerializerSnapshot<AlertInput> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Restores this serializer; it has no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<AlertInput> {
        public Snapshot() {
            super(AlertInputSerializer::new);
        }
    }

    /** Named on AlertInput (@TypeInfo). */
    public static final class Factory extends TypeInfoFactory<AlertInput> {
        @Override
        public TypeInformation<AlertInput> createTypeInfo(
                java.lang.reflect.Type type, java.util.Map<String, TypeInformation<?>> generics) {
            return new CompactTypeInfo<>(AlertInput.class, AlertInputSerializer::new);
        }
    }
}
