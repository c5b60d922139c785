package tickstream.analytics.alerts;

import java.util.HashMap;
import java.util.Map;

/**
 * The broadcast rules by the key they are evaluated under (a symbol, or "sector:<name>"), so a
 * tick reads only its symbol's rules, arranged for it (TargetRules). A target's arrangement is
 * built on its first read after a change, not on every change: loading 10,000 rules builds each
 * target once. Rebuilt from the broadcast state after a restore; the state stays the truth.
 */
final class RuleIndex {
    static final String SECTOR_PREFIX = "sector:";

    private final Map<String, Map<String, Rule>> byTarget = new HashMap<>();
    private final Map<String, String> targetOfKey = new HashMap<>();
    /** Arrangements read since their target last changed; a target missing here is built on its next read. */
    private final Map<String, TargetRules> arranged = new HashMap<>();

    RuleIndex(Iterable<Map.Entry<String, Rule>> rules) {
        for (Map.Entry<String, Rule> entry : rules) put(entry.getValue());
    }

    void put(Rule rule) {
        remove(rule.key);
        byTarget.computeIfAbsent(rule.symbol, target -> new HashMap<>()).put(rule.key, rule);
        targetOfKey.put(rule.key, rule.symbol);
        arranged.remove(rule.symbol);
    }

    void remove(String key) {
        String target = targetOfKey.remove(key);
        if (target == null) return;
        Map<String, Rule> rules = byTarget.get(target);
        rules.remove(key);
        if (rules.isEmpty()) byTarget.remove(target);
        arranged.remove(target);
    }

    TargetRules rulesOf(String target) {
        TargetRules rules = arranged.get(target);
        if (rules == null) {
            Map<String, Rule> current = byTarget.get(target);
            rules = current == null ? TargetRules.NONE : new TargetRules(current.values());
            arranged.put(target, rules);
        }
        return rules;
    }

    int size() {
        return targetOfKey.size();
    }
}
