package tickstream.analytics.serial;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * A hand-written serializer for a record that crosses every exchange of the job once per tick:
 * fields in a fixed order, names through a NameCodec, no reflection and no boxing (Flink's
 * PojoSerializer sets each field reflectively, boxing every long). Each instance keeps its own
 * name cache, so duplicate() gives a fresh one per task thread.
 * Only for records between tasks: none of these types is kept in state.
 */
public abstract class CompactSerializer<T> extends TypeSerializer<T> {
    // Transient: Flink ships serializers inside the job graph (Java serialization); the cache is per instance.
    private transient NameCodec names;

    protected final NameCodec names() {
        NameCodec codec = names;
        if (codec == null) names = codec = new NameCodec();
        return codec;
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public T copy(T from) {
        return copy(from, createInstance());
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public T deserialize(DataInputView source) throws IOException {
        return deserialize(createInstance(), source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public boolean equals(Object other) {
        return other != null && other.getClass() == getClass();
    }

    @Override
    public int hashCode() {
        return getClass().hashCode();
    }
}
