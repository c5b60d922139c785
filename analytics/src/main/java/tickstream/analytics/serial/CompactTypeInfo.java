package tickstream.analytics.serial;

import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.util.function.SerializableSupplier;

/**
 * The type information of a record with its own hand-written serializer (a CompactSerializer between tasks,
 * or TickBucketsSerializer for the alert history's state): an opaque type, not a key.
 */
public final class CompactTypeInfo<T> extends TypeInformation<T> {
    private final Class<T> type;
    private final SerializableSupplier<TypeSerializer<T>> serializers;

    public CompactTypeInfo(Class<T> type, SerializableSupplier<TypeSerializer<T>> serializers) {
        this.type = type;
        this.serializers = serializers;
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return type;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return serializers.get();
    }

    @Override
    public String toString() {
        return "CompactTypeInfo<" + type.getSimpleName() + ">";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CompactTypeInfo<?> info && info.type == type;
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof CompactTypeInfo;
    }
}
