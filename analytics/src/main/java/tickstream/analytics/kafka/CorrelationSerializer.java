package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import tickstream.analytics.model.Correlations;
import tickstream.kafka.CorrelationMatrix;

/** Correlations as a `correlations` record, keyed by group. */
public final class CorrelationSerializer extends OneTopicSerializer<Correlations> {
    private transient FlatBufferBuilder builder;

    public CorrelationSerializer(String topic) {
        super(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Correlations matrix, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(
                topic, null, matrix.endTimeUs / 1000, matrix.group.getBytes(StandardCharsets.UTF_8), encode(matrix));
    }

    public byte[] encode(Correlations matrix) {
        if (builder == null) builder = new FlatBufferBuilder(1024);
        builder.clear();
        int group = builder.createString(matrix.group);
        int[] names = new int[matrix.symbols.length];
        for (int i = 0; i < names.length; i++) names[i] = builder.createString(matrix.symbols[i]);
        int symbols = CorrelationMatrix.createSymbolsVector(builder, names);
        int values = CorrelationMatrix.createValuesVector(builder, matrix.values);
        CorrelationMatrix.startCorrelationMatrix(builder);
        CorrelationMatrix.addGroup(builder, group);
        CorrelationMatrix.addTimeframe(builder, matrix.timeframe);
        CorrelationMatrix.addWindowBars(builder, matrix.windowBars);
        CorrelationMatrix.addEndTimeUs(builder, matrix.endTimeUs);
        CorrelationMatrix.addSymbols(builder, symbols);
        CorrelationMatrix.addValues(builder, values);
        builder.finish(CorrelationMatrix.endCorrelationMatrix(builder));
        return builder.sizedByteArray();
    }
}
