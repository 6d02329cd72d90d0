import XCTest
@testable import Visualize

final class NiceScaleTests: XCTestCase {
    func testTicksAreRoundAndCoverTheRange() {
        let s = NiceScale(low: 1.37, high: 2.91, targetTickCount: 7)
        XCTAssertEqual(s.step, 0.2)
        XCTAssertEqual(s.ticks, [1.2, 1.4, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0])
        XCTAssertEqual(s.ticks.map(s.label), ["1.2", "1.4", "1.6", "1.8", "2.0", "2.2", "2.4", "2.6", "2.8", "3.0"])
    }

    func testIterationLabelsUseK() {
        let s = NiceScale(low: 0, high: 9_300, targetTickCount: 8)
        XCTAssertEqual(s.step, 1000)
        XCTAssertEqual(s.ticks.first, 0)
        XCTAssertEqual(s.ticks.last, 10_000)
        XCTAssertEqual(s.label(2000), "2k")
        XCTAssertEqual(NiceScale.label(2500, step: 500), "2.5k")
        XCTAssertEqual(NiceScale.label(3_000_000, step: 500_000), "3M")
        XCTAssertEqual(NiceScale.label(0, step: 0.1), "0")
        XCTAssertEqual(NiceScale.label(250, step: 50), "250")
    }

    func testDegenerateAndReversedRanges() {
        let flat = NiceScale(low: 2, high: 2)
        XCTAssertLessThan(flat.lower, 2)
        XCTAssertGreaterThan(flat.upper, 2)
        let zero = NiceScale(low: 0, high: 0)
        XCTAssertLessThan(zero.lower, zero.upper)
        let reversed = NiceScale(low: 5, high: 1)
        XCTAssertLessThanOrEqual(reversed.lower, 1)
        XCTAssertGreaterThanOrEqual(reversed.upper, 5)
        let nan = NiceScale(low: .nan, high: .infinity)
        XCTAssertEqual(nan.ticks.first, 0)
    }

    func testSecondaryTicksLineUpWithTheSameValue() {
        let s = NiceScale(low: 1.2, high: 3.0, targetTickCount: 7)
        let bits = s.secondaryTicks(scale: 1 / log(2.0))
        XCTAssertFalse(bits.isEmpty)
        for t in bits {
            XCTAssertEqual(t.at * (1 / log(2.0)), t.label, accuracy: 1e-9)
            XCTAssertTrue(t.at >= s.lower - 1e-9 && t.at <= s.upper + 1e-9)
            XCTAssertEqual(t.label * 10, (t.label * 10).rounded(), accuracy: 1e-9)  // round bit values
        }
    }
}
