package tickstream.analytics;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * When each step of a start happened (wall clock, ms since the epoch), printed as one line
 * (`startup: jvm=… main=… clusters=… …`) that the launcher and the benches read: a recovery
 * after a kill is measured from the kill, so each step is told as a time, not a duration.
 */
final class StartupTimes {
    private final Map<String, Long> marks = new LinkedHashMap<>();

    StartupTimes() {
        marks.put("jvm", ManagementFactory.getRuntimeMXBean().getStartTime());
        mark("main");
    }

    synchronized void mark(String step) {
        marks.put(step, System.currentTimeMillis());
    }

    /** When `step` was marked (ms since the epoch), 0 if it was not. */
    synchronized long at(String step) {
        return marks.getOrDefault(step, 0L);
    }

    @Override
    public synchronized String toString() {
        StringJoiner line = new StringJoiner(" ");
        marks.forEach((step, at) -> line.add(step + "=" + at));
        return line.toString();
    }
}
