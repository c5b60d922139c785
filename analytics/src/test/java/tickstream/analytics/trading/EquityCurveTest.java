package tickstream.analytics.trading;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The equity curve an account keeps for its Portfolio records (docs/trading.md, Accounts 7). */
class EquityCurveTest {
    private static final long MINUTE = 60_000;
    private static final long T0 = 1_797_000_000_000L - (1_797_000_000_000L % MINUTE);

    private static List<String> points(Account account) {
        return account.equityCurve.stream().map(point -> (point.timeMs - T0) + "=" + point.equity).toList();
    }

    @Test
    void keepsTheLastChangeOfEachMinute() {
        Account account = new Account();
        account.markEquity(T0, 100);
        account.markEquity(T0 + 59_999, 101);
        account.markEquity(T0 + MINUTE, 102);
        account.markEquity(T0 + 3 * MINUTE + 5, 103);
        assertEquals(List.of("59999=101", "60000=102", "180005=103"), points(account));
    }

    @Test
    void saysWhenAPointIsAddedTheCurvesOwnRecordIsWrittenThen() {
        Account account = new Account();
        assertEquals(
                List.of(true, false, true, false, true),
                List.of(
                        account.markEquity(T0, 100),
                        account.markEquity(T0 + 59_999, 101),
                        account.markEquity(T0 + MINUTE, 102),
                        account.markEquity(T0 + MINUTE + 1, 103),
                        account.markEquity(T0 + 3 * MINUTE, 104)));
        account.reset(5_000, T0 + 3 * MINUTE + 1);
        assertEquals(true, account.markEquity(T0 + 3 * MINUTE + 1, 5_000));
    }

    @Test
    void keepsAtMostAThousandPointsDroppingTheOldest() {
        Account account = new Account();
        for (int minute = 0; minute < Account.EQUITY_POINTS + 5; minute++) account.markEquity(T0 + minute * MINUTE, minute);
        assertEquals(Account.EQUITY_POINTS, account.equityCurve.size());
        assertEquals(5, account.equityCurve.get(0).equity);
        assertEquals(Account.EQUITY_POINTS + 4, account.equityCurve.get(Account.EQUITY_POINTS - 1).equity);
    }

    @Test
    void restartsAtAReset() {
        Account account = new Account();
        account.openIfNew(1_000, T0);
        account.markEquity(T0, 1_000);
        account.markEquity(T0 + 2 * MINUTE, 1_200);
        account.reset(5_000, T0 + 2 * MINUTE + 1);
        account.markEquity(T0 + 2 * MINUTE + 1, 5_000);
        assertEquals(List.of("120001=5000"), points(account));
    }
}
