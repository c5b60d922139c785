package tickstream.analytics.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The String for a run of UTF-8 bytes, decoded once: every tick carries its symbol and sector,
 * a few hundred distinct names between them, and decoding them per tick was a tenth of the
 * source's time (measured with JFR). A direct-mapped table by hash: a collision just decodes
 * again and takes the slot, so memory stays at `SLOTS` entries whatever the input.
 */
final class Utf8Cache {
    private static final int SLOTS = 4096;
    private final byte[][] keys = new byte[SLOTS][];
    private final String[] values = new String[SLOTS];

    /** `buffer`'s remaining bytes as a String; its position is left unchanged. */
    String get(ByteBuffer buffer) {
        int start = buffer.position();
        int length = buffer.remaining();
        int hash = 1;
        for (int i = 0; i < length; i++) hash = 31 * hash + buffer.get(start + i);
        int slot = (hash ^ (hash >>> 16)) & (SLOTS - 1);
        byte[] key = keys[slot];
        if (key != null && key.length == length && matches(key, buffer, start)) return values[slot];
        byte[] bytes = new byte[length];
        buffer.get(start, bytes);
        String value = new String(bytes, StandardCharsets.UTF_8);
        keys[slot] = bytes;
        values[slot] = value;
        return value;
    }

    private static boolean matches(byte[] key, ByteBuffer buffer, int start) {
        if (buffer.hasArray()) {
            int offset = buffer.arrayOffset() + start;
            return Arrays.equals(key, 0, key.length, buffer.array(), offset, offset + key.length);
        }
        for (int i = 0; i < key.length; i++) if (key[i] != buffer.get(start + i)) return false;
        return true;
    }
}
