package tickstream.analytics.serial;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The String for a run of UTF-8 bytes, decoded once: every tick carries its symbol and sector,
 * a few hundred distinct names between them, and decoding them per tick was a tenth of the
 * source's time (measured with JFR). A direct-mapped table by hash: a collision just decodes
 * again and takes the slot, so memory stays at `SLOTS` entries whatever the input.
 * Not thread-safe: one per deserializer or serializer instance.
 */
public final class Utf8Cache {
    private static final int SLOTS = 4096;
    private final byte[][] keys = new byte[SLOTS][];
    private final String[] values = new String[SLOTS];

    /** `buffer`'s remaining bytes as a String; its position is left unchanged. */
    public String get(ByteBuffer buffer) {
        if (buffer.hasArray()) return get(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(buffer.position(), bytes);
        return get(bytes, 0, bytes.length);
    }

    /** `length` bytes of `bytes` from `offset` as a String. */
    public String get(byte[] bytes, int offset, int length) {
        int hash = 1;
        for (int i = 0; i < length; i++) hash = 31 * hash + bytes[offset + i];
        int slot = (hash ^ (hash >>> 16)) & (SLOTS - 1);
        byte[] key = keys[slot];
        if (key != null && Arrays.equals(key, 0, key.length, bytes, offset, offset + length)) return values[slot];
        byte[] copy = Arrays.copyOfRange(bytes, offset, offset + length);
        String value = new String(copy, StandardCharsets.UTF_8);
        keys[slot] = copy;
        values[slot] = value;
        return value;
    }
}
