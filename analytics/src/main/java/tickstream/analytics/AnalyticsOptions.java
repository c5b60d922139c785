package tickstream.analytics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The job's command line: `--name value` or `--name=value` (Flink's standalone-job passes the
 * latter from docker-compose.yml). `tickstream analytics` (cli/) validates the user's flags and
 * passes these; a bad one here is still one sentence and exit status 2.
 */
public final class AnalyticsOptions {
    public enum Delivery {
        EXACTLY_ONCE,
        AT_LEAST_ONCE
    }

    /** Which jobs this JVM runs (--jobs). */
    public enum Jobs {
        ALL,
        ANALYTICS,
        TRADING;

        public boolean analytics() {
            return this != TRADING;
        }

        public boolean trading() {
            return this != ANALYTICS;
        }
    }

    public String brokers;
    /**
     * On a Flink cluster (docker-compose.yml's JobManager and TaskManagers) rather than on a
     * MiniCluster in this JVM: the cluster's own configuration then decides memory, addresses,
     * parallelism (unless --parallelism is given) and metric reporters.
     */
    public boolean cluster;
    /**
     * A hot standby: start the MiniClusters and build the job graphs, then wait for a line
     * `take-over` on stdin before restoring from the newest checkpoint and submitting (the
     * launcher sends it when the active JVM is gone). MiniCluster mode only.
     */
    public boolean standby;
    /**
     * Both jobs in this JVM (all), or one of them: the fill engine in a JVM of its own does not
     * stop for the analytics job's garbage collections (docs/trading.md, "Order → fill latency").
     * MiniCluster mode, no standby.
     */
    public Jobs jobs = Jobs.ALL;
    public int parallelism = 1;
    private boolean parallelismGiven;
    public Path checkpointDir = Path.of("data", "analytics", "checkpoints");
    /**
     * Exactly-once output is seen by a read_committed reader when the checkpoint after it commits:
     * this interval is most of what such a reader waits for a detection (docs/analytics.md, "State
     * and checkpoints"). 200 ms since the alert history is checkpointed compactly (it was 500 ms).
     */
    public Duration checkpointInterval = Duration.ofMillis(200);
    /**
     * The fill engine's job: its fills are seen once its checkpoint commits them, so this is most
     * of the order → fill latency (docs/trading.md).
     */
    public Duration tradingCheckpointInterval = Duration.ofMillis(100);
    /**
     * How many of the fill engine's checkpoints may be in flight at once. With one, a fill written
     * while a checkpoint runs waits for it to end, then for the next one whole; with more, the
     * next barrier starts an interval after the last whatever the first's duration.
     */
    public int tradingConcurrentCheckpoints = 1;
    /** Unaligned checkpoints for the fill engine's job: its barriers overtake the records in flight. */
    public boolean tradingUnalignedCheckpoints;
    /**
     * Both jobs' checkpoints triggered by a CheckpointPacer: the analytics job's right after one of
     * the fill engine's completes, not at a random phase of its own timer. Only with both jobs on
     * MiniClusters of this JVM (no --cluster, --jobs all) and a --trading-checkpoint-interval below
     * --checkpoint-interval; otherwise each job keeps its own timer. On by default: measured, the
     * engine's checkpoints ran beside an analytics one far less often, and the fills' p99 fell
     * (docs/trading.md, "Pacing the two jobs' checkpoints").
     */
    public boolean pacedCheckpoints = true;
    public Delivery delivery = Delivery.EXACTLY_ONCE;
    /** Prometheus text on this port; 0 = no reporter. */
    public int metricsPort;
    /** Where the MiniCluster's REST endpoint listens (127.0.0.1); 0 = any free port. */
    public int restPort;
    /** "latest" (the newest retained checkpoint or savepoint), "none", or a checkpoint path. */
    public String restore = "latest";
    public String ticksTopic = "ticks";
    public String eventsTopic = "market_events";
    public String candlesTopic = "candles";
    public String correlationsTopic = "correlations";
    public String alertsTopic = "alerts";
    public String alertEventsTopic = "alert_events";
    /**
     * Triggers: at-least-once by default, since a trigger's id is its rule, arming and tick, and
     * edges show an id once (docs/alerts.md); exactly-once would hold each one until the next
     * checkpoint commits, longer than the 250 ms the issue allows from tick to browser.
     */
    public Delivery alertDelivery = Delivery.AT_LEAST_ONCE;
    public String ordersTopic = "orders";
    public String fillsTopic = "fills";
    public String portfoliosTopic = "portfolios";
    /** A new paper account's cash × 10,000 (docs/trading.md: 100,000 by default, at most 10^9). */
    public long startingCash = 100_000L * 10_000;
    /** Names the consumer group and the transactional ids: one running job per name. */
    public String instance = "tickstream-analytics";
    /** Without a checkpoint to resume from, ticks are read from this far back. */
    public Duration backfill = Duration.ofMinutes(15);
    /**
     * The watermarks' bound (TickTime): a detection waits for the watermark to pass its tick, so
     * this is most of the time before it is written. 120 ms, above the default producer's disorder
     * as the 1s windows see it (docs/analytics.md, "Time"); it was 200 ms.
     */
    public Duration outOfOrderness = Duration.ofMillis(120);
    public Duration idleness = Duration.ofSeconds(5);
    /** Per-partition size bound of `candles` when the job creates it: each timeframe keeps this much. */
    public long candlesRetentionBytes = 256L * 1024 * 1024;

    public static final class UsageError extends RuntimeException {
        public UsageError(String message) {
            super(message);
        }
    }

    public static AnalyticsOptions parse(String[] args) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (!flag.startsWith("--")) throw new UsageError("unexpected argument '" + flag + "'");
            int equals = flag.indexOf('=');
            if (equals > 0) {
                values.put(flag.substring(2, equals), flag.substring(equals + 1));
                continue;
            }
            if (i + 1 >= args.length) throw new UsageError("flag " + flag + " needs a value");
            values.put(flag.substring(2), args[++i]);
        }
        AnalyticsOptions options = new AnalyticsOptions();
        for (Map.Entry<String, String> entry : values.entrySet()) options.set(entry.getKey(), entry.getValue());
        if (options.brokers == null || options.brokers.isBlank()) throw new UsageError("--brokers is required");
        if (options.tradingUnalignedCheckpoints && options.tradingConcurrentCheckpoints > 1) {
            // Flink takes unaligned checkpoints one at a time (its docs, "Unaligned checkpoints: limitations").
            throw new UsageError("--trading-unaligned-checkpoints true needs --trading-concurrent-checkpoints 1, got "
                    + options.tradingConcurrentCheckpoints);
        }
        if (options.jobs != Jobs.ALL && (options.standby || options.cluster))
            throw new UsageError("--jobs " + options.jobs.name().toLowerCase() + " is for a MiniCluster without --standby");
        if (options.standby && options.cluster)
            throw new UsageError("--standby is for a MiniCluster in this JVM; a Flink cluster has its own JobManager failover");
        return options;
    }

    private void set(String name, String value) {
        switch (name) {
            case "brokers" -> brokers = value;
            case "cluster" -> cluster = bool(name, value);
            case "standby" -> standby = bool(name, value);
            case "jobs" -> jobs = switch (value) {
                case "all" -> Jobs.ALL;
                case "analytics" -> Jobs.ANALYTICS;
                case "trading" -> Jobs.TRADING;
                default -> throw new UsageError("--jobs must be all, analytics or trading, got '" + value + "'");
            };
            case "parallelism" -> {
                parallelism = integer(name, value, 1, 64);
                parallelismGiven = true;
            }
            case "checkpoint-dir" -> checkpointDir = Path.of(value);
            case "checkpoint-interval" -> checkpointInterval = Duration.ofMillis(integer(name, value, 100, 600_000));
            case "trading-checkpoint-interval" -> tradingCheckpointInterval = Duration.ofMillis(integer(name, value, 20, 600_000));
            case "trading-concurrent-checkpoints" -> tradingConcurrentCheckpoints = integer(name, value, 1, 8);
            case "trading-unaligned-checkpoints" -> tradingUnalignedCheckpoints = bool(name, value);
            case "paced-checkpoints" -> pacedCheckpoints = bool(name, value);
            case "delivery" -> delivery = delivery(name, value);
            case "metrics-port" -> metricsPort = integer(name, value, 0, 65_535);
            case "rest-port" -> restPort = integer(name, value, 0, 65_535);
            case "restore" -> restore = value;
            case "ticks-topic" -> ticksTopic = value;
            case "events-topic" -> eventsTopic = value;
            case "candles-topic" -> candlesTopic = value;
            case "correlations-topic" -> correlationsTopic = value;
            case "alerts-topic" -> alertsTopic = value;
            case "alert-events-topic" -> alertEventsTopic = value;
            case "alert-delivery" -> alertDelivery = delivery(name, value);
            case "orders-topic" -> ordersTopic = value;
            case "fills-topic" -> fillsTopic = value;
            case "portfolios-topic" -> portfoliosTopic = value;
            case "starting-cash" -> startingCash = integer(name, value, 1, 1_000_000_000) * 10_000L;
            case "instance" -> instance = value;
            case "backfill-ms" -> backfill = Duration.ofMillis(integer(name, value, 0, Integer.MAX_VALUE));
            case "out-of-orderness-ms" -> outOfOrderness = Duration.ofMillis(integer(name, value, 0, 60_000));
            case "idleness-ms" -> idleness = Duration.ofMillis(integer(name, value, 100, 3_600_000));
            case "candles-retention-bytes" -> candlesRetentionBytes = Long.parseLong(value);
            default -> throw new UsageError("unknown flag --" + name);
        }
    }

    /** The fill engine job's checkpoints and savepoints: beside --checkpoint-dir, `<its name>-trading`. */
    public Path tradingCheckpointDir() {
        Path absolute = checkpointDir.toAbsolutePath();
        return absolute.resolveSibling(absolute.getFileName() + "-trading");
    }

    /**
     * Whether a CheckpointPacer triggers the checkpoints: asked for, both jobs on MiniClusters here,
     * and the engine's interval the shorter (the analytics job's checkpoints follow the engine's).
     */
    public boolean pacedCheckpointsApply() {
        return pacedCheckpoints && !cluster && jobs == Jobs.ALL && tradingCheckpointInterval.compareTo(checkpointInterval) < 0;
    }

    public boolean parallelismGiven() {
        return parallelismGiven;
    }

    private static Delivery delivery(String name, String value) {
        return switch (value) {
            case "exactly-once" -> Delivery.EXACTLY_ONCE;
            case "at-least-once" -> Delivery.AT_LEAST_ONCE;
            default -> throw new UsageError("--" + name + " must be exactly-once or at-least-once, got '" + value + "'");
        };
    }

    private static boolean bool(String name, String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new UsageError("--" + name + " must be true or false, got '" + value + "'");
        };
    }

    private static int integer(String name, String value, int min, int max) {
        int parsed;
        try {
            parsed = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UsageError("--" + name + " must be an integer, got '" + value + "'");
        }
        if (parsed < min || parsed > max) {
            throw new UsageError("--" + name + " must be between " + min + " and " + max + ", got " + value);
        }
        return parsed;
    }
}
