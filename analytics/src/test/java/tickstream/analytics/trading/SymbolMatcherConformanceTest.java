package tickstream.analytics.trading;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tickstream.trading.OrderStatus;
import tickstream.trading.OrderType;
import tickstream.trading.Side;
import tickstream.trading.TimeInForce;

/**
 * Every "matching" case of schemas/fixtures/trading-fills.json through SymbolMatcher, in the
 * fixture's order: exactly the expected updates, at the expected events, with ids
 * "<order id>-<n>" following the accounts' acceptance (n = 1).
 */
class SymbolMatcherConformanceTest {
    static final Path FILE = Path.of(System.getProperty("basedir", "."), "..", "schemas", "fixtures", "trading-fills.json");

    record Emitted(int event, MatchedUpdate update) {}

    @TestFactory
    Stream<DynamicTest> everyMatchingCaseOfTheFixture() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Files.readString(FILE));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode fixture : root.get("matching")) {
            tests.add(DynamicTest.dynamicTest(fixture.get("name").asText(), () -> check(fixture)));
        }
        return tests.stream();
    }

    private static void check(JsonNode fixture) {
        SymbolMatcher matcher = new SymbolMatcher();
        List<Emitted> emitted = new ArrayList<>();
        JsonNode events = fixture.get("events");
        for (int index = 0; index < events.size(); index++) {
            JsonNode event = events.get(index);
            List<MatchedUpdate> updates = switch (event.get("type").asText()) {
                case "order" -> {
                    matcher.add(order(event.get("order")));
                    yield List.of();
                }
                case "cancel" -> matcher.cancel(event.get("orderId").asText(), 0, "cancelled by the user");
                case "tick" -> matcher.onTick(event.get("price").asLong(), event.get("size").asLong(),
                        event.get("bid").asLong(), event.get("ask").asLong(), event.get("timeMs").asLong(),
                        event.get("sequence").asLong());
                default -> throw new IllegalArgumentException("unknown event " + event);
            };
            for (MatchedUpdate update : updates) emitted.add(new Emitted(index, update));
        }
        JsonNode expect = fixture.get("expect");
        assertEquals(expect.size(), emitted.size(), "updates: " + emitted);
        Map<String, Integer> steps = new HashMap<>();
        for (int i = 0; i < expect.size(); i++) {
            JsonNode want = expect.get(i);
            Emitted got = emitted.get(i);
            MatchedUpdate update = got.update();
            String where = "update " + i + ": " + update;
            String orderId = want.get("orderId").asText();
            int step = steps.merge(orderId, 2, (last, ignored) -> last + 1);
            assertEquals(want.get("event").asInt(), got.event(), where);
            assertEquals(orderId + "-" + step, update.id, where);
            assertEquals(status(want.get("status").asText()), update.status, where);
            assertEquals(want.get("fillQuantity").asLong(), update.fillQuantity, where);
            assertEquals(want.get("fillPrice").asLong(), update.fillPrice, where);
            assertEquals(want.get("filledQuantity").asLong(), update.filledQuantity, where);
            assertEquals(want.get("averageFillPrice").asLong(), update.averageFillPrice, where);
            assertEquals(want.has("reason") ? want.get("reason").asText() : "", update.reason, where);
            JsonNode tick = events.get(got.event());
            if (tick.get("type").asText().equals("tick")) {
                assertEquals(tick.get("timeMs").asLong(), update.timeMs, where);
                assertEquals(tick.get("sequence").asLong(), update.tickSequence, where);
            }
        }
    }

    static WorkingOrder order(JsonNode json) {
        WorkingOrder order = new WorkingOrder();
        order.id = json.get("id").asText();
        order.user = json.get("user").asText();
        order.symbol = json.get("symbol").asText();
        order.side = json.get("side").asText().equals("buy") ? Side.Buy : Side.Sell;
        order.type = switch (json.get("type").asText()) {
            case "market" -> OrderType.Market;
            case "limit" -> OrderType.Limit;
            case "stop" -> OrderType.Stop;
            default -> throw new IllegalArgumentException("unknown order type " + json);
        };
        order.quantity = json.get("quantity").asLong();
        order.price = json.get("price").asLong();
        order.tif = json.get("tif").asText().equals("gtc") ? TimeInForce.Gtc : TimeInForce.Day;
        order.createdAtMs = json.get("createdAtMs").asLong();
        return order;
    }

    static int status(String name) {
        return switch (name) {
            case "new" -> OrderStatus.New;
            case "partially_filled" -> OrderStatus.PartiallyFilled;
            case "filled" -> OrderStatus.Filled;
            case "cancelled" -> OrderStatus.Cancelled;
            case "rejected" -> OrderStatus.Rejected;
            case "expired" -> OrderStatus.Expired;
            default -> throw new IllegalArgumentException("unknown status " + name);
        };
    }
}
