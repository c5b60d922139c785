package tickstream.analytics.kafka;

import java.nio.ByteBuffer;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import tickstream.analytics.trading.TradingCommand;
import tickstream.analytics.trading.WorkingOrder;
import tickstream.trading.Command;
import tickstream.trading.Order;
import tickstream.trading.OrderCancel;
import tickstream.trading.OrderCommand;
import tickstream.trading.PortfolioReset;

/**
 * Decodes `orders` records (OrderCommand of schemas/fbs/trading.fbs). The edges check orders
 * before they write them; a record that is still not a command is skipped and counted as
 * `bad_order_commands`.
 */
public final class OrderCommandDeserializer implements KafkaRecordDeserializationSchema<TradingCommand> {
    public static final String BAD_COMMANDS = "bad_order_commands";
    private transient Counter bad;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        bad = context.getMetricGroup().counter(BAD_COMMANDS);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<TradingCommand> out) {
        TradingCommand command = decode(record.value());
        if (command == null) {
            if (bad != null) bad.inc();
        } else {
            out.collect(command);
        }
    }

    public static TradingCommand decode(byte[] value) {
        if (value == null || value.length < 8) return null;
        try {
            OrderCommand root = OrderCommand.getRootAsOrderCommand(ByteBuffer.wrap(value));
            switch (root.commandType()) {
                case Command.Order -> {
                    Order flat = (Order) root.command(new Order());
                    if (flat == null || flat.id() == null || flat.user() == null || flat.symbol() == null || flat.quantity() < 1) return null;
                    WorkingOrder order = new WorkingOrder();
                    order.id = flat.id();
                    order.user = flat.user();
                    order.symbol = flat.symbol();
                    order.side = flat.side();
                    order.type = flat.type();
                    order.quantity = flat.quantity();
                    order.price = flat.price();
                    order.tif = flat.tif();
                    order.createdAtMs = flat.createdAtMs();
                    order.reference = flat.referencePrice();
                    return TradingCommand.order(order);
                }
                case Command.OrderCancel -> {
                    OrderCancel flat = (OrderCancel) root.command(new OrderCancel());
                    if (flat == null || flat.orderId() == null || flat.user() == null) return null;
                    return TradingCommand.cancel(flat.user(), flat.orderId(), flat.requestedAtMs());
                }
                case Command.PortfolioReset -> {
                    PortfolioReset flat = (PortfolioReset) root.command(new PortfolioReset());
                    if (flat == null || flat.user() == null) return null;
                    return TradingCommand.reset(flat.user(), flat.startingCash(), flat.requestedAtMs());
                }
                default -> {
                    return null;
                }
            }
        } catch (IndexOutOfBoundsException | IllegalArgumentException | ClassCastException error) {
            return null;
        }
    }

    @Override
    public TypeInformation<TradingCommand> getProducedType() {
        return TypeInformation.of(TradingCommand.class);
    }
}
