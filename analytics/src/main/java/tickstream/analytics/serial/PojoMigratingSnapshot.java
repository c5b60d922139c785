package tickstream.analytics.serial;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Version 1 of the snapshot of a state type's hand-written serializer, for a type whose older
 * checkpoints hold it as a POJO: the heap backend reads such a checkpoint with the POJO serializer
 * it was written with, and writes the state with the new serializer from the next checkpoint on
 * (compatible after migration). Subclasses name the serializer to restore; their class names are
 * written into checkpoints, so they stay as they are.
 */
public abstract class PojoMigratingSnapshot<T> implements TypeSerializerSnapshot<T> {
    @Override
    public final int getCurrentVersion() {
        return 1;
    }

    @Override
    public final void writeSnapshot(DataOutputView out) {}

    @Override
    public final void readSnapshot(int version, DataInputView in, ClassLoader classLoader) throws IOException {
        if (version != 1) throw new IOException("unknown " + getClass().getName() + " version " + version);
    }

    @Override
    public final TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(TypeSerializerSnapshot<T> old) {
        if (old.getClass() == getClass()) return TypeSerializerSchemaCompatibility.compatibleAsIs();
        if (old instanceof PojoSerializerSnapshot) return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
        return TypeSerializerSchemaCompatibility.incompatible();
    }
}
