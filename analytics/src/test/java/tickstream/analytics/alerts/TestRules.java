package tickstream.analytics.alerts;

/** Rules as the edge writes them to `alerts`, for the evaluator's tests. */
final class TestRules {
    private TestRules() {}

    /** `user`'s rule `id` on `symbol` (keyed "user/id"), armed at `armedAtMs`. */
    static Rule rule(String user, String id, String symbol, int kind, double value, long armedAtMs) {
        Rule rule = new Rule();
        rule.user = user;
        rule.id = id;
        rule.key = user + "/" + id;
        rule.symbol = symbol;
        rule.kind = kind;
        rule.value = value;
        rule.armedAtMs = armedAtMs;
        return rule;
    }
}
