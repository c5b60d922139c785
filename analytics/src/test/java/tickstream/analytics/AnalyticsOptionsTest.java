package tickstream.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AnalyticsOptionsTest {
    @Test
    void readsBothFlagFormsAsTheCliAndFlinksStandaloneJobPassThem() {
        AnalyticsOptions options = AnalyticsOptions.parse(new String[] {
            "--brokers", "kafka:9092", "--cluster=true", "--parallelism=2", "--checkpoint-interval", "500",
            "--delivery=at-least-once"
        });
        assertEquals("kafka:9092", options.brokers);
        assertTrue(options.cluster);
        assertEquals(2, options.parallelism);
        assertTrue(options.parallelismGiven());
        assertEquals(Duration.ofMillis(500), options.checkpointInterval);
        assertEquals(AnalyticsOptions.Delivery.AT_LEAST_ONCE, options.delivery);
    }

    @Test
    void namesWhatIsWrongInOneSentence() {
        assertEquals(
                "--parallelism must be between 1 and 64, got 0",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(
                                new String[] {"--brokers", "b:1", "--parallelism", "0"}))
                        .getMessage());
        assertEquals(
                "unknown flag --prallelism",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(
                                new String[] {"--brokers=b:1", "--prallelism=2"}))
                        .getMessage());
        assertEquals(
                "--brokers is required",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(new String[0]))
                        .getMessage());
    }

    @Test
    void givesTheFillEnginesJobItsOwnCheckpointsBesideTheOthers() {
        AnalyticsOptions defaults = AnalyticsOptions.parse(new String[] {"--brokers", "b:1", "--checkpoint-dir", "/data/cp"});
        assertEquals(Duration.ofMillis(100), defaults.tradingCheckpointInterval);
        assertEquals(java.nio.file.Path.of("/data/cp-trading"), defaults.tradingCheckpointDir());
        AnalyticsOptions set = AnalyticsOptions.parse(new String[] {"--brokers", "b:1", "--trading-checkpoint-interval=2000"});
        assertEquals(Duration.ofMillis(2000), set.tradingCheckpointInterval);
        assertEquals(
                "--trading-checkpoint-interval must be between 20 and 600000, got 5",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(
                                new String[] {"--brokers", "b:1", "--trading-checkpoint-interval", "5"}))
                        .getMessage());
    }

    @Test
    void runsOneJobPerJvmOnlyWhenAskedAndOnlyOnAMiniClusterWithoutStandby() {
        AnalyticsOptions defaults = AnalyticsOptions.parse(new String[] {"--brokers", "b:1"});
        assertEquals(AnalyticsOptions.Jobs.ALL, defaults.jobs);
        assertTrue(defaults.jobs.analytics() && defaults.jobs.trading());
        AnalyticsOptions trading = AnalyticsOptions.parse(new String[] {"--brokers", "b:1", "--jobs", "trading"});
        assertTrue(trading.jobs.trading() && !trading.jobs.analytics());
        AnalyticsOptions analytics = AnalyticsOptions.parse(new String[] {"--brokers", "b:1", "--jobs=analytics"});
        assertTrue(analytics.jobs.analytics() && !analytics.jobs.trading());
        assertEquals(
                "--jobs must be all, analytics or trading, got 'fills'",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(
                                new String[] {"--brokers", "b:1", "--jobs", "fills"}))
                        .getMessage());
        assertEquals(
                "--jobs trading is for a MiniCluster without --standby",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(
                                new String[] {"--brokers", "b:1", "--jobs", "trading", "--standby", "true"}))
                        .getMessage());
        assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(
                new String[] {"--brokers", "b:1", "--jobs", "analytics", "--cluster", "true"}));
    }

    @Test
    void tunesOnlyTheFillEnginesCheckpointsWhenAsked() {
        AnalyticsOptions defaults = AnalyticsOptions.parse(new String[] {"--brokers", "b:1"});
        assertEquals(1, defaults.tradingConcurrentCheckpoints);
        assertEquals(false, defaults.tradingUnalignedCheckpoints);
        AnalyticsOptions set = AnalyticsOptions.parse(new String[] {
            "--brokers", "b:1", "--trading-concurrent-checkpoints", "3"
        });
        assertEquals(3, set.tradingConcurrentCheckpoints);
        assertEquals(true, AnalyticsOptions.parse(new String[] {"--brokers", "b:1", "--trading-unaligned-checkpoints=true"})
                .tradingUnalignedCheckpoints);
        assertEquals(
                "--trading-unaligned-checkpoints true needs --trading-concurrent-checkpoints 1, got 2",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(new String[] {
                            "--brokers", "b:1", "--trading-concurrent-checkpoints", "2", "--trading-unaligned-checkpoints", "true"
                        }))
                        .getMessage());
        assertEquals(
                "--trading-concurrent-checkpoints must be between 1 and 8, got 0",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(
                                new String[] {"--brokers", "b:1", "--trading-concurrent-checkpoints", "0"}))
                        .getMessage());
    }

    @Test
    void pacesCheckpointsOnlyForBothJobsInThisJvmWithTheEnginesIntervalTheShorter() {
        assertTrue(AnalyticsOptions.parse(new String[] {"--brokers", "b:1"}).pacedCheckpointsApply(), "the default");
        assertEquals(false, AnalyticsOptions.parse(new String[] {"--brokers", "b:1", "--paced-checkpoints", "false"})
                .pacedCheckpointsApply());
        for (String[] elsewhere : new String[][] {
            {"--cluster", "true"}, {"--jobs", "trading"}, {"--jobs", "analytics"}, {"--trading-checkpoint-interval", "200"}
        }) {
            AnalyticsOptions options = AnalyticsOptions.parse(new String[] {
                "--brokers", "b:1", "--paced-checkpoints", "true", elsewhere[0], elsewhere[1]
            });
            assertEquals(false, options.pacedCheckpointsApply(), String.join(" ", elsewhere));
        }
        assertEquals(
                "--paced-checkpoints must be true or false, got 'yes'",
                assertThrows(AnalyticsOptions.UsageError.class, () -> AnalyticsOptions.parse(
                                new String[] {"--brokers", "b:1", "--paced-checkpoints", "yes"}))
                        .getMessage());
    }
}
