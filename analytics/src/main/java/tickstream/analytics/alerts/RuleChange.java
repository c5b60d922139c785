package tickstream.analytics.alerts;

/** One record of `alerts`: the rule under `key`, or its tombstone (`rule` null): the rule is deleted. */
public class RuleChange {
    public String key;
    public Rule rule;

    public RuleChange() {}

    public RuleChange(String key, Rule rule) {
        this.key = key;
        this.rule = rule;
    }

    public boolean isDeletion() {
        return rule == null;
    }
}
