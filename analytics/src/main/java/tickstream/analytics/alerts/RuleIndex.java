package tickstream.analytics.alerts;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The broadcast rules by the key they are evaluated under (a symbol, or "sector:<name>"), so a
 * tick reads only its symbol's rules, not all of them. Rebuilt from the broadcast state after a
 * restore; the state stays the truth.
 */
final class RuleIndex {
    static final String SECTOR_PREFIX = "sector:";

    private final Map<String, Map<String, Rule>> byTarget = new HashMap<>();
    private final Map<String, String> targetOfKey = new HashMap<>();

    RuleIndex(Iterable<Map.Entry<String, Rule>> rules) {
        for (Map.Entry<String, Rule> entry : rules) put(entry.getValue());
    }

    void put(Rule rule) {
        remove(rule.key);
        byTarget.computeIfAbsent(rule.symbol, target -> new HashMap<>()).put(rule.key, rule);
        targetOfKey.put(rule.key, rule.symbol);
    }

    void remove(String key) {
        String target = targetOfKey.remove(key);
        if (target == null) return;
        Map<String, Rule> rules = byTarget.get(target);
        rules.remove(key);
        if (rules.isEmpty()) byTarget.remove(target);
    }

    Collection<Rule> rulesOf(String target) {
        Map<String, Rule> rules = byTarget.get(target);
        return rules == null ? List.of() : rules.values();
    }

    int size() {
        return targetOfKey.size();
    }
}
