package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import tickstream.analytics.trading.Account;
import tickstream.analytics.trading.CurvePoint;
import tickstream.analytics.trading.PortfolioSnapshot;
import tickstream.trading.EquityPoint;
import tickstream.trading.Portfolio;
import tickstream.trading.Position;

/**
 * A Portfolio (schemas/fbs/trading.fbs) on the compacted `portfolios`, keyed by its user, with the
 * account's equity curve (a point a minute, at most 1,000: Account.markEquity).
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
        int user = FlatStrings.create(builder, p.user);
        int lastUpdateId = FlatStrings.create(builder, p.lastUpdateId == null ? "" : p.lastUpdateId);
        int[] positions = new int[p.positions.size()];
        for (int i = 0; i < positions.length; i++) {
            Account.Holding holding = p.positions.get(i);
            positions[i] = Position.createPosition(
                    builder, FlatStrings.create(builder, holding.symbol), holding.quantity, holding.cost, holding.realizedPnl);
        }
        int positionsVector = Portfolio.createPositionsVector(builder, positions);
        // Structs go into a vector back to front.
        Portfolio.startEquityCurveVector(builder, p.equityCurve.size());
        for (int i = p.equityCurve.size() - 1; i >= 0; i--) {
            CurvePoint point = p.equityCurve.get(i);
            EquityPoint.createEquityPoint(builder, point.timeMs, point.equity);
        }
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
