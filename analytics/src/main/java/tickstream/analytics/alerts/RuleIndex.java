package tickstream.analytics.alerts;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
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
    private final Map<String, Rule> byKey = new HashMap<>();
    /** By user: the broadcast state keeps each user's rules packed together (PackedRules). */
    private final Map<String, Map<String, Rule>> byUser = new HashMap<>();
    /** Arrangements read since their target last changed; a target missing here is built on its next read. */
    private final Map<String, TargetRules> arranged = new HashMap<>();

    RuleIndex(Iterable<Rule> rules) {
        for (Rule rule : rules) put(rule);
    }

    void put(Rule rule) {
        remove(rule.key);
        byTarget.computeIfAbsent(rule.symbol, target -> new HashMap<>()).put(rule.key, rule);
        byUser.computeIfAbsent(rule.user, user -> new HashMap<>()).put(rule.key, rule);
        byKey.put(rule.key, rule);
        arranged.remove(rule.symbol);
    }

    /** The rule removed, or null when there was none under `key`. */
    Rule remove(String key) {
        Rule rule = byKey.remove(key);
        if (rule == null) return null;
        removeFrom(byTarget, rule.symbol, key);
        removeFrom(byUser, rule.user, key);
        arranged.remove(rule.symbol);
        return rule;
    }

    Collection<Rule> rulesOfUser(String user) {
        Map<String, Rule> rules = byUser.get(user);
        return rules == null ? List.of() : rules.values();
    }

    private static void removeFrom(Map<String, Map<String, Rule>> groups, String group, String key) {
        Map<String, Rule> rules = groups.get(group);
        rules.remove(key);
        if (rules.isEmpty()) groups.remove(group);
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
        return byKey.size();
    }
}
