package tickstream.analytics.candles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import tickstream.analytics.model.Bar;
import tickstream.analytics.model.Candle;

/** The indicator arithmetic against the textbook formulas, bar by bar. */
class IndicatorsTest {
    private static Bar bar(double close, long volume) {
        Bar bar = new Bar();
        bar.close = Math.round(close);
        bar.volume = volume;
        return bar;
    }

    @Test
    void isNaNUntilThereAreEnoughBarsThenMatchesTheDefinitions() {
        IndicatorHistory history = new IndicatorHistory();
        double[] closes = new double[60];
        long[] volumes = new long[60];
        Candle candle = null;
        for (int i = 0; i < 60; i++) {
            closes[i] = 1_000_000 + 10_000 * Math.sin(i / 3.0) + 500 * i;
            volumes[i] = 100 + (i * 37) % 90;
            history.add(Math.round(closes[i]), volumes[i]);
            candle = Indicators.compute(bar(closes[i], volumes[i]), history);
            if (i < 19) {
                assertTrue(Double.isNaN(candle.sma20) && Double.isNaN(candle.ema20), "bar " + i);
            }
            if (i < 20) {
                assertTrue(Double.isNaN(candle.volatility20) && Double.isNaN(candle.relativeVolume), "bar " + i);
            }
            if (i == 19) assertEquals(candle.sma20, candle.ema20, 1e-9, "the EMA starts at the SMA");
            if (i < 49) assertTrue(Double.isNaN(candle.sma50), "bar " + i);
        }
        int last = 59;
        double sma20 = 0;
        for (int i = last - 19; i <= last; i++) sma20 += Math.round(closes[i]);
        assertEquals(sma20 / 20, candle.sma20, 1e-6);

        double ema = 0;
        for (int i = 0; i < 20; i++) ema += Math.round(closes[i]);
        ema /= 20;
        for (int i = 20; i <= last; i++) ema = 2.0 / 21 * Math.round(closes[i]) + (1 - 2.0 / 21) * ema;
        assertEquals(ema, candle.ema20, 1e-6);

        double[] returns = new double[20];
        double[] barVolumes = new double[20];
        for (int k = 0; k < 20; k++) {
            int i = last - k;
            returns[k] = Math.log((double) Math.round(closes[i]) / Math.round(closes[i - 1]));
            barVolumes[k] = volumes[i];
        }
        double mean = 0;
        for (double r : returns) mean += r / 20;
        double squares = 0;
        for (double r : returns) squares += (r - mean) * (r - mean);
        assertEquals(Math.sqrt(squares / 19), candle.volatility20, 1e-12);

        double before = 0;
        for (int i = last - 20; i < last; i++) before += volumes[i];
        assertEquals(volumes[last] / (before / 20), candle.relativeVolume, 1e-12);
        assertEquals(Indicators.pearson(returns, barVolumes), candle.priceVolumeCorrelation, 1e-12);
        assertTrue(candle.priceVolumeCorrelation >= -1 && candle.priceVolumeCorrelation <= 1);
    }

    @Test
    void pearsonIsOneForALinearRelationAndNaNForAConstant() {
        assertEquals(1.0, Indicators.pearson(new double[] {1, 2, 3, 4}, new double[] {3, 5, 7, 9}), 1e-12);
        assertEquals(-1.0, Indicators.pearson(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1}), 1e-12);
        assertTrue(Double.isNaN(Indicators.pearson(new double[] {1, 2, 3}, new double[] {5, 5, 5})));
    }
}
