package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Strings into a FlatBuffer through the JDK's UTF-8 encoder. FlatBufferBuilder.createString(String)
 * measures and encodes char by char (flatbuffers' Utf8Safe): a quarter of the fill engine task's
 * samples (JFR during `orders.js 1000 20 1 --fills`, 2026-12-07), five strings per order update.
 * String.getBytes copies an ASCII string's bytes as they are.
 */
final class FlatStrings {
    private FlatStrings() {}

    static int create(FlatBufferBuilder builder, String value) {
        return builder.createString(ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
    }
}
