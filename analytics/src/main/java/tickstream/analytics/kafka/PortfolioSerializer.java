package tickstream.analytics.kafka;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import tickstream.analytics.trading.Account;
import tickstream.analytics.trading.CurvePoint;
import tickstream.analytics.trading.PortfolioSnapshot;
import tickstream.trading.EquityCurve;
import tickstream.trading.EquityPoint;
import tickstream.trading.Portfolio;
import tickstream.trading.Position;

/**
 * A Portfolio (schemas/fbs/trading.fbs) on the compacted `portfolios`, keyed by its user, with its
 * change's point of the equity curve; or the user's EquityCurve (a point a minute, at most 1,000:
 * Account.markEquity), keyed `<user>/equity-curve`.
 */
public final class PortfolioSerializer extends OneTopicSerializer<PortfolioSnapshot> {
    private transient FlatBufferBuilder builder;

    public PortfolioSerializer(String topic) {
        super(topic);
    }

    /** The key suffix of a user's EquityCurve record (user names hold no `/`). */
    public static final String EQUITY_CURVE_KEY_SUFFIX = "/equity-curve";

    @Override
    public ProducerRecord<byte[], byte[]> serialize(PortfolioSnapshot portfolio, KafkaSinkContext context, Long timestamp) {
        if (portfolio.equityCurveRecord) {
            byte[] key = (portfolio.user + EQUITY_CURVE_KEY_SUFFIX).getBytes(StandardCharsets.UTF_8);
            // Timestamped with its newest point: when the curve last gained one.
            long newest = portfolio.equityCurve.isEmpty()
                    ? portfolio.resetAtMs
                    : portfolio.equityCurve.get(portfolio.equityCurve.size() - 1).timeMs;
            return new ProducerRecord<>(topic, null, newest, key, encodeEquityCurve(portfolio));
        }
        return new ProducerRecord<>(
                topic, null, portfolio.updatedAtMs, portfolio.user.getBytes(StandardCharsets.UTF_8), encode(portfolio));
    }

    public byte[] encodeEquityCurve(PortfolioSnapshot p) {
        if (builder == null) builder = new FlatBufferBuilder(512);
        builder.clear();
        int user = FlatStrings.create(builder, p.user);
        int points = curve(p);
        EquityCurve.startEquityCurve(builder);
        EquityCurve.addUser(builder, user);
        EquityCurve.addResetAtMs(builder, p.resetAtMs);
        EquityCurve.addPoints(builder, points);
        builder.finish(EquityCurve.endEquityCurve(builder));
        return builder.sizedByteArray();
    }

    /** The snapshot's curve points as a vector of EquityPoint structs. */
    private int curve(PortfolioSnapshot p) {
        // Structs go into a vector back to front.
        EquityCurve.startPointsVector(builder, p.equityCurve.size());
        for (int i = p.equityCurve.size() - 1; i >= 0; i--) {
            CurvePoint point = p.equityCurve.get(i);
            EquityPoint.createEquityPoint(builder, point.timeMs, point.equity);
        }
        return builder.endVector();
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
        int curve = curve(p);
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
