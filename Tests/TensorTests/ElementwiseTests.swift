import Foundation
import Testing
import Tensor
import TestSupport

@Suite struct ElementwiseTests {
    /// Points spread over the range where the functions change, plus extremes.
    static let points: [Float] = {
        var xs: [Float] = [0, -0.0, 1e-30, -1e-30, 1e-6, -1e-6, 0.624, 0.625, 0.626, -0.625, 20, -20, 87, -87, 88, -88, 100, -100, 1e10, -1e10]
        var x: Float = -30
        while x <= 30 { xs.append(x); x += 0.0173 }
        return xs
    }()

    @Test func expIsAccurate() {
        for x in Self.points where x >= -87 && x <= 88 {
            let exact = Foundation.exp(Double(x))
            let got = Double(Elementwise.exp(x))
            #expect(abs(got - exact) <= 4e-7 * exact, "exp(\(x)) = \(got), want \(exact)")
        }
        #expect(Elementwise.exp(-1e10) >= 0 && Elementwise.exp(-1e10) < 1e-37)
        #expect(Elementwise.exp(1e10).isFinite)
    }

    @Test func sigmoidAndTanhAreAccurate() {
        for x in Self.points {
            let s = 1 / (1 + Foundation.exp(-Double(x)))
            #expect(abs(Double(Elementwise.sigmoid(x)) - s) <= 3e-7 * max(s, 1e-30) + 1e-38, "sigmoid(\(x))")
            let t = Foundation.tanh(Double(x))
            #expect(abs(Double(Elementwise.tanh(x)) - t) <= 3e-7 * abs(t) + 1e-38, "tanh(\(x))")
        }
        #expect(Elementwise.tanh(-0.3) == -Elementwise.tanh(0.3))
        #expect(Elementwise.relu(-2) == 0 && Elementwise.relu(3) == 3)
    }

    @Test func nanPropagates() {
        #expect(Elementwise.exp(.nan).isNaN)
        #expect(Elementwise.sigmoid(.nan).isNaN)
        #expect(Elementwise.tanh(.nan).isNaN)
        #expect(Elementwise.relu(.nan).isNaN)
    }

    @Test func derivativesMatchFiniteDifferences() {
        for x in stride(from: Float(-4), through: 4, by: 0.37) {
            let h = 1e-3
            func fd(_ f: (Double) -> Double) -> Double { (f(Double(x) + h) - f(Double(x) - h)) / (2 * h) }
            let ds = fd { 1 / (1 + Foundation.exp(-$0)) }
            #expect(abs(Double(Elementwise.sigmoidDerivative(output: Elementwise.sigmoid(x))) - ds) < 1e-5)
            let dt = fd { Foundation.tanh($0) }
            #expect(abs(Double(Elementwise.tanhDerivative(output: Elementwise.tanh(x))) - dt) < 1e-5)
            #expect(Elementwise.reluDerivative(output: Elementwise.relu(x)) == (x > 0 ? 1 : 0))
        }
    }

    @Test func bufferKernelsEqualScalarOnes() {
        var rng = SplitMix64(seed: 3)
        let x = (0..<1000).map { _ in rng.nextFloat(in: -6, 6) }
        var s = x, t = x, r = x, t2 = [Float](repeating: 0, count: x.count)
        Elementwise.sigmoid(&s, count: x.count)
        Elementwise.tanh(&t, count: x.count)
        Elementwise.relu(&r, count: x.count)
        Elementwise.tanh(x, into: &t2, count: x.count)
        #expect(s == x.map(Elementwise.sigmoid))
        #expect(t == x.map { Elementwise.tanh($0) })
        #expect(t2 == t)
        #expect(r == x.map(Elementwise.relu))
        var g = [Float](repeating: 2, count: x.count)
        Elementwise.tanhBackward(output: t, gradient: &g, count: x.count)
        #expect(g == t.map { 2 * (1 - $0 * $0) })
    }

    @Test func broadcastHelpers() {
        var c = [Float](repeating: 1, count: 2 * 4)  // (2, 3) with ldc 4
        Elementwise.addToRows(&c, rows: 2, columns: 3, ldc: 4, vector: [1, 2, 3])
        #expect(c == [2, 3, 4, 1, 2, 3, 4, 1])
        var sums: [Float] = [10, 0, 0]
        Elementwise.addColumnSums(of: c, rows: 2, columns: 3, lda: 4, into: &sums)
        #expect(sums == [14, 6, 8])
        Elementwise.fillRows(&c, rows: 2, columns: 3, ldc: 4, with: [7, 8, 9])
        #expect(c == [7, 8, 9, 1, 7, 8, 9, 1])
    }
}
