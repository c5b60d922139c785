package tickstream.analytics.alerts;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import tickstream.analytics.serial.CompactTypeInfo;
import tickstream.analytics.serial.PojoMigratingSnapshot;

/**
 * TickBuckets in checkpoints: only the buckets held, oldest first, each as differences from the
 * one before it in variable-length integers. Flink's POJO serializer wrote all four arrays whole,
 * 32 bytes a slot whether held or not; the alert history was most of every checkpoint (measured,
 * docs/analytics.md "State and checkpoints"). A bucket is ~8 bytes here: its first tick ~100 ms
 * after the previous bucket's, its last tick within its width, its price and running volume a
 * small step from the previous ones.
 *
 * Stateful (a scratch buffer, so a bucket is not a call per byte): duplicate() gives each thread its own.
 */
public final class TickBucketsSerializer extends TypeSerializer<TickBuckets> {
    private static final long serialVersionUID = 1L;
    /** The most a bucket takes: four varints of at most 10 bytes. */
    private static final int MAX_BUCKET_BYTES = 40;

    private transient byte[] scratch;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<TickBuckets> duplicate() {
        return new TickBucketsSerializer();
    }

    @Override
    public TickBuckets createInstance() {
        return new TickBuckets();
    }

    /** Copy-on-write of the heap backend during a checkpoint: the arrays as they are, ring and all. */
    @Override
    public TickBuckets copy(TickBuckets from) {
        TickBuckets to = new TickBuckets(from.widthMs);
        to.firstTimes = from.firstTimes.clone();
        to.lastTimes = from.lastTimes.clone();
        to.lastPrices = from.lastPrices.clone();
        to.cumulatives = from.cumulatives.clone();
        to.oldest = from.oldest;
        to.count = from.count;
        to.newestStartMs = from.newestStartMs;
        to.before = from.before;
        to.beforeTimeMs = from.beforeTimeMs;
        to.beforePrice = from.beforePrice;
        to.beforeCumulative = from.beforeCumulative;
        return to;
    }

    @Override
    public TickBuckets copy(TickBuckets from, TickBuckets reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(TickBuckets buckets, DataOutputView out) throws IOException {
        int capacity = buckets.firstTimes.length;
        int count = buckets.count;
        byte[] bytes = scratch(8 * 10 + count * MAX_BUCKET_BYTES);
        int at = 0;
        at = putVarLong(bytes, at, buckets.widthMs);
        at = putVarLong(bytes, at, capacity);
        at = putVarLong(bytes, at, count);
        at = putVarLong(bytes, at, zigzag(buckets.newestStartMs));
        at = putVarLong(bytes, at, buckets.before);
        at = putVarLong(bytes, at, zigzag(buckets.beforeTimeMs));
        at = putVarLong(bytes, at, zigzag(buckets.beforePrice));
        at = putVarLong(bytes, at, zigzag(buckets.beforeCumulative));
        long firstTime = 0;
        long price = 0;
        long cumulative = 0;
        for (int i = 0, slot = buckets.oldest; i < count; i++, slot = slot + 1 == capacity ? 0 : slot + 1) {
            at = putVarLong(bytes, at, zigzag(buckets.firstTimes[slot] - firstTime));
            at = putVarLong(bytes, at, zigzag(buckets.lastTimes[slot] - buckets.firstTimes[slot]));
            at = putVarLong(bytes, at, zigzag(buckets.lastPrices[slot] - price));
            at = putVarLong(bytes, at, zigzag(buckets.cumulatives[slot] - cumulative));
            firstTime = buckets.firstTimes[slot];
            price = buckets.lastPrices[slot];
            cumulative = buckets.cumulatives[slot];
        }
        out.writeInt(at);
        out.write(bytes, 0, at);
    }

    @Override
    public TickBuckets deserialize(DataInputView in) throws IOException {
        int length = in.readInt();
        byte[] bytes = scratch(length);
        in.readFully(bytes, 0, length);
        Reader reader = new Reader(bytes, length);
        TickBuckets buckets = new TickBuckets(reader.next());
        int capacity = (int) reader.next();
        int count = (int) reader.next();
        if (capacity < count || capacity > TickBuckets.MAX_BUCKETS || count < 0) {
            throw new IOException("corrupt tick buckets: " + count + " held in room for " + capacity);
        }
        buckets.newestStartMs = unzigzag(reader.next());
        buckets.before = (int) reader.next();
        buckets.beforeTimeMs = unzigzag(reader.next());
        buckets.beforePrice = unzigzag(reader.next());
        buckets.beforeCumulative = unzigzag(reader.next());
        // Oldest at slot 0: the same buckets in the same order (the ring's rotation is not kept).
        buckets.firstTimes = new long[capacity];
        buckets.lastTimes = new long[capacity];
        buckets.lastPrices = new long[capacity];
        buckets.cumulatives = new long[capacity];
        long firstTime = 0;
        long price = 0;
        long cumulative = 0;
        for (int i = 0; i < count; i++) {
            firstTime += unzigzag(reader.next());
            buckets.firstTimes[i] = firstTime;
            buckets.lastTimes[i] = firstTime + unzigzag(reader.next());
            price += unzigzag(reader.next());
            buckets.lastPrices[i] = price;
            cumulative += unzigzag(reader.next());
            buckets.cumulatives[i] = cumulative;
        }
        buckets.oldest = 0;
        buckets.count = count;
        if (reader.at != length) throw new IOException("corrupt tick buckets: " + (length - reader.at) + " bytes left over");
        return buckets;
    }

    @Override
    public TickBuckets deserialize(TickBuckets reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        int length = in.readInt();
        out.writeInt(length);
        out.write(in, length);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TickBucketsSerializer;
    }

    @Override
    public int hashCode() {
        return TickBucketsSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<TickBuckets> snapshotConfiguration() {
        return new Snapshot();
    }

    private byte[] scratch(int size) {
        if (scratch == null || scratch.length < size) scratch = new byte[Math.max(size, 4096)];
        return scratch;
    }

    private static long zigzag(long value) {
        return (value << 1) ^ (value >> 63);
    }

    private static long unzigzag(long value) {
        return (value >>> 1) ^ -(value & 1);
    }

    private static int putVarLong(byte[] bytes, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            bytes[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        bytes[at++] = (byte) value;
        return at;
    }

    private static final class Reader {
        private final byte[] bytes;
        private final int length;
        int at;

        Reader(byte[] bytes, int length) {
            this.bytes = bytes;
            this.length = length;
        }

        long next() throws IOException {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (at >= length) throw new IOException("corrupt tick buckets: a number runs past the end");
                byte b = bytes[at++];
                value |= (long) (b & 0x7F) << shift;
                if (b >= 0) return value;
            }
            throw new IOException("corrupt tick buckets: a number longer than 64 bits");
        }
    }

    /** Version 1; a checkpoint from before this serializer holds TickBuckets as a POJO. */
    public static final class Snapshot extends PojoMigratingSnapshot<TickBuckets> {
        @Override
        public TypeSerializer<TickBuckets> restoreSerializer() {
            return new TickBucketsSerializer();
        }
    }

    /** Named on TickBuckets (@TypeInfo): its state is written by this serializer, not the POJO one. */
    public static final class Factory extends TypeInfoFactory<TickBuckets> {
        @Override
        public TypeInformation<TickBuckets> createTypeInfo(Type type, Map<String, TypeInformation<?>> generics) {
            return new CompactTypeInfo<>(TickBuckets.class, TickBucketsSerializer::new);
        }
    }
}
