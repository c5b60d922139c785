package tickstream.analytics.alerts;

import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/** TickBuckets' type for Flink (named on the class with @TypeInfo): its compact serializer, not the POJO one. */
public final class TickBucketsTypeInfo extends TypeInformation<TickBuckets> {
    private static final long serialVersionUID = 1L;

    public static final class Factory extends TypeInfoFactory<TickBuckets> {
        @Override
        public TypeInformation<TickBuckets> createTypeInfo(Type type, Map<String, TypeInformation<?>> parameters) {
            return new TickBucketsTypeInfo();
        }
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
    public Class<TickBuckets> getTypeClass() {
        return TickBuckets.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<TickBuckets> createSerializer(SerializerConfig config) {
        return new TickBucketsSerializer();
    }

    @Override
    public String toString() {
        return "TickBuckets (TickBucketsSerializer)";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TickBucketsTypeInfo;
    }

    @Override
    public int hashCode() {
        return TickBucketsTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object other) {
        return other instanceof TickBucketsTypeInfo;
    }
}
