package tickstream.analytics.trading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every "accounts" case of schemas/fixtures/trading-fills.json through Account, in the fixture's
 * order: the acceptance updates (new, or rejected with the reason's start), the cancellations a
 * reset writes, the portfolio after the given events, and on every snapshot the conservation of
 * docs/trading.md (cash + Σ cost − realized P&L = the starting cash).
 */
class AccountConformanceTest {
    record Emitted(int event, MatchedUpdate update) {}

    @TestFactory
    Stream<DynamicTest> everyAccountCaseOfTheFixture() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Files.readString(SymbolMatcherConformanceTest.FILE));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode fixture : root.get("accounts")) {
            tests.add(DynamicTest.dynamicTest(fixture.get("name").asText(), () -> check(fixture)));
        }
        return tests.stream();
    }

    private static void check(JsonNode fixture) {
        long jobStartingCash = fixture.get("startingCash").asLong();
        Account account = new Account();
        List<Emitted> emitted = new ArrayList<>();
        JsonNode events = fixture.get("events");
        JsonNode portfolios = fixture.get("portfolios");
        for (int index = 0; index < events.size(); index++) {
            JsonNode event = events.get(index);
            switch (event.get("type").asText()) {
                case "order" -> {
                    WorkingOrder order = SymbolMatcherConformanceTest.order(event.get("order"));
                    order.reference = event.get("order").get("referencePrice").asLong();
                    account.openIfNew(jobStartingCash, order.createdAtMs);
                    emitted.add(new Emitted(index, account.accept(order, order.createdAtMs)));
                }
                case "fill" -> account.fill(event.get("orderId").asText(), event.get("quantity").asLong(), event.get("price").asLong());
                case "end" -> account.end(event.get("orderId").asText());
                case "reset" -> {
                    long cash = event.get("startingCash").asLong();
                    for (MatchedUpdate update : account.reset(cash == 0 ? jobStartingCash : cash, 0)) {
                        emitted.add(new Emitted(index, update));
                    }
                }
                default -> throw new IllegalArgumentException("unknown event " + event);
            }
            for (JsonNode want : portfolios) {
                if (want.get("after").asInt() == index) checkPortfolio(want, account, "after event " + index);
            }
        }
        JsonNode expect = fixture.get("expect");
        assertEquals(expect.size(), emitted.size(), "updates: " + emitted);
        for (int i = 0; i < expect.size(); i++) {
            JsonNode want = expect.get(i);
            MatchedUpdate update = emitted.get(i).update();
            String where = "update " + i + ": " + update;
            assertEquals(want.get("event").asInt(), emitted.get(i).event(), where);
            assertEquals(want.get("orderId").asText(), update.orderId, where);
            assertEquals(SymbolMatcherConformanceTest.status(want.get("status").asText()), update.status, where);
            if (want.has("reasonStartsWith")) {
                assertTrue(update.reason.startsWith(want.get("reasonStartsWith").asText()), where);
            } else {
                assertEquals("", update.reason, where);
            }
        }
    }

    private static void checkPortfolio(JsonNode want, Account account, String where) {
        assertEquals(want.get("cash").asLong(), account.cash, where + ": cash");
        assertEquals(want.get("reservedCash").asLong(), account.reservedCash, where + ": reserved cash");
        assertEquals(want.get("realizedPnl").asLong(), account.realizedPnl(), where + ": realized P&L");
        List<String> wanted = new ArrayList<>();
        for (JsonNode position : want.get("positions")) {
            wanted.add(position.get("symbol").asText() + " " + position.get("quantity").asLong() + " "
                    + position.get("cost").asLong() + " " + position.get("realizedPnl").asLong());
        }
        List<String> held = account.positions.values().stream()
                .map(h -> h.symbol + " " + h.quantity + " " + h.cost + " " + h.realizedPnl)
                .toList();
        assertEquals(wanted, held, where + ": positions");
        long cost = account.positions.values().stream().mapToLong(h -> h.cost).sum();
        assertEquals(account.startingCash, account.cash + cost - account.realizedPnl(), where + ": conservation");
    }
}
