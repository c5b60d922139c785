package tickstream.analytics.alerts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import tickstream.analytics.model.Tick;
import tickstream.user.AlertKind;

/** schemas/fixtures/alert-rules.json: the boundary cases every evaluator of docs/alerts.md must pass. */
final class AlertFixture {
    record Expected(int event, double value, double price, long timeMs, long tickSequence, String symbol) {}

    record Case(String name, Rule rule, List<JsonNode> events, List<Expected> expected) {}

    static final Path FILE = Path.of(System.getProperty("basedir", "."), "..", "schemas", "fixtures", "alert-rules.json");

    static List<Case> cases() throws IOException {
        JsonNode root = new ObjectMapper().readTree(Files.readString(FILE));
        List<Case> cases = new ArrayList<>();
        for (JsonNode node : root.get("cases")) {
            Rule rule = rule(node.get("rule"));
            List<JsonNode> events = new ArrayList<>();
            node.get("events").forEach(events::add);
            List<Expected> expected = new ArrayList<>();
            for (JsonNode e : node.get("expect")) {
                expected.add(new Expected(
                        e.get("event").asInt(),
                        e.get("value").asDouble(),
                        e.get("price").asDouble(),
                        e.get("timeMs").asLong(),
                        e.get("tickSequence").asLong(),
                        e.has("symbol") ? e.get("symbol").asText() : rule.symbol));
            }
            cases.add(new Case(node.get("name").asText(), rule, events, expected));
        }
        return cases;
    }

    static Rule rule(JsonNode json) {
        Rule rule = new Rule();
        rule.id = json.get("id").asText();
        rule.user = json.get("user").asText();
        rule.key = rule.user + "/" + rule.id;
        rule.symbol = json.get("symbol").asText();
        rule.kind = kind(json.get("kind").asText());
        rule.value = json.get("value").asDouble();
        rule.windowMs = json.get("windowMs").asLong();
        rule.repeat = json.get("repeat").asBoolean();
        rule.cooldownMs = json.get("cooldownMs").asLong();
        rule.expiresAtMs = json.get("expiresAtMs").asLong();
        rule.armedAtMs = json.get("armedAtMs").asLong();
        return rule;
    }

    static int kind(String name) {
        return switch (name) {
            case "price-above" -> AlertKind.PriceAbove;
            case "price-below" -> AlertKind.PriceBelow;
            case "change-pct" -> AlertKind.ChangePct;
            case "volume-above" -> AlertKind.VolumeAbove;
            case "relative-volume" -> AlertKind.RelativeVolume;
            case "indicator-cross" -> AlertKind.IndicatorCross;
            case "event" -> AlertKind.Event;
            default -> throw new IllegalArgumentException("unknown kind " + name);
        };
    }

    static Tick tick(JsonNode json) {
        return new Tick(json.get("symbol").asText(), json.get("sector").asText(), json.get("price").asLong(),
                json.get("size").asLong(), json.get("timeMs").asLong() * 1000, json.get("sequence").asLong());
    }

    static SeenEvent event(JsonNode json) {
        return new SeenEvent(json.get("symbol").asText(), json.get("sector").asText(), json.get("name").asText(),
                json.get("detail").asText(), json.get("timeMs").asLong());
    }

    private AlertFixture() {}
}
