import Foundation
import Testing
import Training

func clip(_ g: inout [Float], _ mode: ClipMode, _ threshold: Float) -> Float {
    g.withUnsafeMutableBufferPointer { clipGradients($0, mode: mode, threshold: threshold) }
}

func norm(_ g: [Float]) -> Double {
    g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
}

@Suite struct GradientClippingTests {
    @Test func normAboveThresholdIsScaledToThreshold() {
        var g: [Float] = [3, -4, 0, 12]   // ‖g‖ = 13
        let before = g
        let returned = clip(&g, .norm, 5)
        #expect(returned == 13)
        #expect(abs(norm(g) - 5) < 5e-6)
        // Same direction: every element scaled by 5/13.
        for (x, y) in zip(g, before) { #expect(abs(Double(x) - Double(y) * 5 / 13) < 1e-6) }
    }

    @Test func normBelowThresholdIsUnchanged() {
        var g: [Float] = [0.3, -0.4]      // ‖g‖ = 0.5
        let returned = clip(&g, .norm, 5)
        #expect(abs(returned - 0.5) < 1e-7)
        #expect(g == [0.3, -0.4])
        var h: [Float] = [3, 4]           // exactly at the threshold: untouched
        #expect(clip(&h, .norm, 5) == 5)
        #expect(h == [3, 4])
    }

    @Test func normOfALongOddLengthBlockMatchesDoubleReference() {
        // 1003 elements: eight-lane body plus a tail of 3.
        var g: [Float] = (0..<1003).map { (n: Int) -> Float in Float(sin(Double(n) * 0.37)) * Float(n % 7 + 1) }
        let reference = norm(g)
        let returned = clip(&g, .norm, 10)
        #expect(abs(Double(returned) - reference) < 1e-5 * reference)
        #expect(abs(norm(g) - 10) < 1e-4)
    }

    @Test func valueClampsEachElementAndReturnsNormBefore() {
        var g: [Float] = [10, -10, 2, -3, 0.5, 5, -5]
        let reference = Float(norm(g))
        let returned = clip(&g, .value, 5)
        #expect(returned == reference)
        #expect(g == [5, -5, 2, -3, 0.5, 5, -5])
    }

    @Test func nonPositiveThresholdOnlyMeasures() {
        for mode in ClipMode.allCases {
            var g: [Float] = [30, 40]
            #expect(clip(&g, mode, 0) == 50)
            #expect(g == [30, 40])
        }
    }

    @Test func nonFiniteGradientsAreReportedNotHidden() {
        var g: [Float] = [1, .nan, 100]
        #expect(clip(&g, .norm, 1).isNaN)
        #expect(g[0] == 1 && g[1].isNaN && g[2] == 100)   // not scaled to zeros or NaN everywhere

        var h: [Float] = [1, .infinity, 100]
        #expect(clip(&h, .norm, 1) == .infinity)
        #expect(h == [1, .infinity, 100])

        var v: [Float] = [.nan, -.infinity, 7]
        #expect(clip(&v, .value, 5).isNaN)
        #expect(v[0].isNaN && v[1] == -5 && v[2] == 5)    // NaN stays NaN for the caller to see
    }

    @Test func emptyBlock() {
        var g: [Float] = []
        #expect(clip(&g, .norm, 1) == 0)
    }
}
