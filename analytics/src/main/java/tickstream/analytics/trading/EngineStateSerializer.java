package tickstream.analytics.trading;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * The fill engine's state (an Account per user, a SymbolMatcher per symbol) in checkpoints:
 * fields in a fixed order, no reflection, and a copy by hand. As POJOs their maps and lists went
 * through Kryo, and the heap backend copies and writes the whole engine state at every checkpoint
 * (one key: the state of every user is one entry), ten times a second: measured, that was most of
 * the JVM's CPU per fill (docs/trading.md, Measured). Stateless: duplicate() may return this.
 */
abstract class EngineStateSerializer<T> extends TypeSerializer<T> {
    private static final long serialVersionUID = 1L;

    @Override
    public final boolean isImmutableType() {
        return false;
    }

    @Override
    public final TypeSerializer<T> duplicate() {
        return this;
    }

    @Override
    public final T copy(T from, T reuse) {
        return copy(from);
    }

    @Override
    public final int getLength() {
        return -1;
    }

    @Override
    public final T deserialize(T reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public final void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public final boolean equals(Object other) {
        return other != null && other.getClass() == getClass();
    }

    @Override
    public final int hashCode() {
        return getClass().hashCode();
    }
}
