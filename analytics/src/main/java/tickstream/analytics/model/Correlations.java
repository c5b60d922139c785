package tickstream.analytics.model;

/** Pearson correlations of a group's close-to-close log returns: one `correlations` record. */
public class Correlations {
    /** "sector:<name>" or "all". */
    public String group;
    public int timeframe;
    public int windowBars;
    /** End of the last bar in the window (µs). */
    public long endTimeUs;
    public String[] symbols;
    /** symbols.length² values, row-major; NaN where two symbols share too few returns. */
    public float[] values;

    public Correlations() {}

    public float get(int row, int column) {
        return values[row * symbols.length + column];
    }
}
