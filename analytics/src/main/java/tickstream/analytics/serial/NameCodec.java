package tickstream.analytics.serial;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Names (symbols, sectors) between tasks: written as their bytes, read back through a Utf8Cache,
 * so a record crossing an exchange costs no String (Flink's StringSerializer builds a new one
 * per field and record). An ASCII name of under 32 KB is a short length and its bytes; anything
 * else (null, non-ASCII, longer) a negative marker and then its own form.
 */
public final class NameCodec {
    private static final short NULL = -1;
    private static final short UTF8 = -2;

    private final Utf8Cache cache = new Utf8Cache();
    private byte[] scratch = new byte[64];

    public static void write(String name, DataOutputView out) throws IOException {
        if (name == null) {
            out.writeShort(NULL);
            return;
        }
        int length = name.length();
        if (length <= Short.MAX_VALUE && isAscii(name, length)) {
            out.writeShort(length);
            for (int i = 0; i < length; i++) out.writeByte(name.charAt(i));
            return;
        }
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        out.writeShort(UTF8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    public String read(DataInputView in) throws IOException {
        short length = in.readShort();
        if (length == NULL) return null;
        if (length == UTF8) {
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (length < 0) throw new IOException("not a name: length marker " + length);
        if (scratch.length < length) scratch = new byte[Math.max(length, scratch.length * 2)];
        in.readFully(scratch, 0, length);
        return cache.get(scratch, 0, length);
    }

    private static boolean isAscii(String name, int length) {
        for (int i = 0; i < length; i++) if (name.charAt(i) >= 0x80) return false;
        return true;
    }
}
