import Testing
import Training

@Suite struct TimeBudgetTests {
    @Test func parsesUnits() {
        #expect(parseDuration("90s") == 90)
        #expect(parseDuration("10m") == 600)
        #expect(parseDuration("2h") == 7200)
        #expect(parseDuration("1h30m") == 5400)
        #expect(parseDuration("45") == 45)
    }

    @Test func rejectsNonsense() {
        for bad in ["", "abc", "-5", "0", "10x", "m", "5m3"] { #expect(parseDuration(bad) == nil, "\(bad)") }
    }
}
