package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import tickstream.analytics.trading.Account;
import tickstream.analytics.trading.PortfolioSnapshot;
import tickstream.trading.EquityPoint;
import tickstream.trading.Portfolio;
import tickstream.trading.Position;

/**
 * A Portfolio (schemas/fbs/trading.fbs) on the compacted `portfolios`, keyed by its user. The
 * equity curve holds this change's point only (the edge and the dashboard keep the curve they
 * have seen; the job's own curve of 1,000 points is not built yet).
 */
public final class PortfolioSerializer extends OneTopicSerializer<PortfolioSnapshot> {
    private transient FlatBufferBuilder builder;

    public PortfolioSerializer(String topic) {
        super(topic);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(PortfolioSnapshot portfolio, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(
                topic, null, portfolio.updatedAtMs, portfolio.user.getBytes(StandardCharsets.UTF_8), encode(portfolio));
    }

    public byte[] encode(PortfolioSnapshot p) {
        if (builder == null) builder = new FlatBufferBuilder(512);
        builder.clear();
        int user = builder.createString(p.user);
        int lastUpdateId = builder.createString(p.lastUpdateId == null ? "" : p.lastUpdateId);
        int[] positions = new int[p.positions.size()];
        for (int i = 0; i < positions.length; i++) {
            Account.Holding holding = p.positions.get(i);
            positions[i] = Position.createPosition(
                    builder, builder.createString(holding.symbol), holding.quantity, holding.cost, holding.realizedPnl);
        }
        int positionsVector = Portfolio.createPositionsVector(builder, positions);
        Portfolio.startEquityCurveVector(builder, 1);
        EquityPoint.createEquityPoint(builder, p.updatedAtMs, p.equity);
        int curve = builder.endVector();
        Portfolio.startPortfolio(builder);
        Portfolio.addUser(builder, user);
        Portfolio.addCash(builder, p.cash);
        Portfolio.addReservedCash(builder, p.reservedCash);
        Portfolio.addStartingCash(builder, p.startingCash);
        Portfolio.addRealizedPnl(builder, p.realizedPnl);
        Portfolio.addPositions(builder, positionsVector);
        Portfolio.addEquityCurve(builder, curve);
        Portfolio.addUpdatedAtMs(builder, p.updatedAtMs);
        Portfolio.addResetAtMs(builder, p.resetAtMs);
        Portfolio.addLastUpdateId(builder, lastUpdateId);
        builder.finish(Portfolio.endPortfolio(builder));
        return builder.sizedByteArray();
    }
}
