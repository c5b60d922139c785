package tickstream.analytics.correlation;

import tickstream.analytics.model.Bar;

/** A bar routed to one correlation group. */
public class GroupBar {
    public String group;
    public Bar bar;

    public GroupBar() {}

    public GroupBar(String group, Bar bar) {
        this.group = group;
        this.bar = bar;
    }
}
