package tickstream.analytics.correlation;

import java.io.Serializable;
import tickstream.kafka.BarTimeframe;

/** Parameters of CorrelationJob. */
public class CorrelationParameters implements Serializable {
    /** Bars whose close-to-close returns are correlated (the job feeds it 1m bars). */
    public int timeframe = BarTimeframe.M1;
    /** Returns per window. */
    public int windowBars = 30;
    /** Fewer common returns than this give NaN. */
    public int minCommonReturns = 5;
    /**
     * The "all" matrix is written only while the universe has at most this many symbols:
     * n² floats per record, 360 KB at 300 (Kafka's default record limit is 1 MB).
     */
    public int maxAllSymbols = 300;
}
