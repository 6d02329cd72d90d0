import Testing
import Foundation
@testable import Visualize

@Suite struct NiceScaleTests {
    @Test func ticksAreRoundAndCoverTheRange() {
        let s = NiceScale(low: 1.37, high: 2.91, targetTickCount: 7)
        #expect(s.step == 0.2)
        #expect(s.ticks == [1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0])
        #expect(s.ticks.map(s.label) == ["1.2", "1.4", "1.6", "1.8", "2.0", "2.2", "2.4", "2.6", "2.8", "3.0"])
    }

    @Test func iterationLabelsUseK() {
        let s = NiceScale(low: 0, high: 9_300, targetTickCount: 8)
        #expect(s.step == 1000)
        #expect(s.ticks.first == 0)
        #expect(s.ticks.last == 10_000)
        #expect(s.label(2000) == "2k")
        #expect(NiceScale.label(2500, step: 500) == "2.5k")
        #expect(NiceScale.label(3_000_000, step: 500_000) == "3M")
        #expect(NiceScale.label(0, step: 0.1) == "0")
        #expect(NiceScale.label(250, step: 50) == "250")
    }

    @Test func degenerateAndReversedRanges() {
        let flat = NiceScale(low: 2, high: 2)
        #expect(flat.lower < 2)
        #expect(flat.upper > 2)
        let zero = NiceScale(low: 0, high: 0)
        #expect(zero.lower < zero.upper)
        let reversed = NiceScale(low: 5, high: 1)
        #expect(reversed.lower <= 1)
        #expect(reversed.upper >= 5)
        let nan = NiceScale(low: .nan, high: .infinity)
        #expect(nan.ticks.first == 0)
    }

    /// A log holding a loss of 1e308 (and a baseline of −1e308) trapped `plot`: the width of the range,
    /// or its bits/char twin, overflowed to infinity, and so did the tick count. Values a step cannot
    /// count in (1e-320) made a step of 0.
    @Test(arguments: [(-1e308, 1e308), (0, 1e308), (1e308, 1e308), (-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude),
                      (1e-320, 1e-320), (0, 5e-324), (-1e300, 1e-300)])
    func extremeRangesNeverTrap(low: Double, high: Double) {
        for scale in [NiceScale(low: low, high: high, targetTickCount: 7), NiceScale(low: low, high: high, targetTickCount: 8)] {
            #expect(scale.step > 0 && scale.lower.isFinite && scale.upper.isFinite && scale.lower < scale.upper)
            #expect((2...100).contains(scale.ticks.count), "\(scale)")
            #expect(scale.secondaryTicks(scale: 1 / log(2.0), targetTickCount: 7).count <= 100)
            #expect(scale.ticks.allSatisfy { !scale.label($0).isEmpty })
        }
    }

    @Test func secondaryTicksLineUpWithTheSameValue() {
        let s = NiceScale(low: 1.2, high: 3.0, targetTickCount: 7)
        let bits = s.secondaryTicks(scale: 1 / log(2.0))
        #expect(!bits.isEmpty)
        for t in bits {
            #expect(abs((t.at * (1 / log(2.0))) - t.label) <= 1e-9)
            #expect(t.at >= s.lower - 1e-9 && t.at <= s.upper + 1e-9)
            #expect(abs((t.label * 10) - ((t.label * 10).rounded())) <= 1e-9)  // round bit values
        }
    }
}
