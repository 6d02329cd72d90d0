import Testing
@testable import RNN
import Tensor

/// The AVX-512 gate kernels (Sources/CKernels/gates.c) against the portable
/// Swift ones they replace: each cell's `forwardStep` / `backwardStep` runs on
/// the same inputs once with `avx512: false` and once true, and
/// every output must be the same bit for bit (NaN where NaN). Inputs mix
/// ordinary values with ones beyond the clamps, ±0, subnormals, ±∞ and NaN;
/// hidden sizes cover a lone masked tail, exact vectors and vectors plus a tail.
/// The choice is an argument, not the global `Kernels.useAVX512`: flipping the
/// global would reach other suites running meanwhile. The whole engine on either
/// set of kernels is compared by CLITests (`CHARRNN_KERNELS=portable`).
@Suite struct GateKernelTests {
    static let hiddenSizes = [1, 15, 16, 17, 100, 128]
    static let batchSizes = [1, 3]

    /// Runs `body` with the portable kernels, then with the AVX-512 ones, and restores the flag.
    /// nil (and a printed reason) when this CPU has no AVX-512.
    static func portableAndAVX512<R>(_ body: (_ avx512: Bool) -> R) -> (portable: R, avx512: R)? {
        guard Kernels.avx512Available else {
            print("GateKernelTests: skipped, this CPU (or OS) has no AVX-512 (ck_cpu_has_avx512() == 0)")
            return nil
        }
        return (body(false), body(true))
    }

    /// `count` floats: mostly ordinary activations' inputs, some far beyond the
    /// exp clamps (±87, ±88) and the tanh switch (0.625), and special values.
    static func values(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        let specials: [Float] = [
            0, -0.0, .nan, -.nan, .infinity, -.infinity, 87, -87, 88, -88, 87.5, -87.5, 0.625, -0.625,
            1e-30, -1e-30, 1e-40, -1e-40, .leastNonzeroMagnitude, 1e10, -1e10, .greatestFiniteMagnitude, 1, -1,
        ]
        return (0..<count).map { _ in
            switch rng.next() % 16 {
            case 0: return specials[Int(rng.next() % UInt64(specials.count))]
            case 1, 2: return rng.nextFloat(in: -200, 200)
            case 3: return rng.nextFloat(in: -0.7, 0.7)
            default: return rng.nextFloat(in: -6, 6)
            }
        }
    }

    /// Bit-for-bit equality of two outputs; NaN only where the other is NaN too.
    static func expectIdentical(_ fast: [[Float]], _ portable: [[Float]], _ what: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fast.count == portable.count, sourceLocation: sourceLocation)
        for (n, (x, y)) in zip(fast, portable).enumerated() {
            #expect(x.count == y.count, sourceLocation: sourceLocation)
            let bad = x.indices.filter { x[$0].isNaN ? !y[$0].isNaN : x[$0].bitPattern != y[$0].bitPattern }
            if let i = bad.first {
                let message = "\(what), output \(n): \(bad.count) of \(x.count) differ; first at \(i): "
                    + "avx512 \(x[i]) (0x\(String(x[i].bitPattern, radix: 16))) vs "
                    + "portable \(y[i]) (0x\(String(y[i].bitPattern, radix: 16)))"
                Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
            }
        }
    }

    struct Shape: CustomTestStringConvertible, Sendable {
        var batch: Int, hidden: Int
        var testDescription: String { "B=\(batch) H=\(hidden)" }
        static let all = GateKernelTests.batchSizes.flatMap { b in GateKernelTests.hiddenSizes.map { Shape(batch: b, hidden: $0) } }
    }

    // MARK: LSTM

    @Test(arguments: Shape.all) func lstmForward(_ s: Shape) {
        var rng = SplitMix64(seed: UInt64(1000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * 4 * h, &rng), bias = Self.values(4 * h, &rng), cPrev = Self.values(b * h, &rng)
        guard let r = Self.portableAndAVX512({ avx in
            var g = gates, c = [Float](repeating: 7, count: b * h), t = c, hn = c
            LSTMCell.forwardStep(gates: &g, biasHH: bias, cPrev: cPrev, c: &c, tanhC: &t, h: &hn,
                                 batchSize: b, hiddenSize: h, avx512: avx)
            return [g, c, t, hn]
        }) else { return }
        Self.expectIdentical(r.avx512, r.portable, "LSTM forward \(s.testDescription)")
    }

    @Test(arguments: Shape.all) func lstmBackward(_ s: Shape) {
        var rng = SplitMix64(seed: UInt64(2000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * 4 * h, &rng), cPrev = Self.values(b * h, &rng)
        let c = Self.values(b * h, &rng), dH = Self.values(b * h, &rng), dC = Self.values(b * h, &rng)
        guard let r = Self.portableAndAVX512({ avx in
            var dc = dC, dGates = [Float](repeating: 7, count: b * 4 * h)
            LSTMCell.backwardStep(gates: gates, cPrev: cPrev, c: c, dH: dH, dC: &dc, dGates: &dGates,
                                  batchSize: b, hiddenSize: h, avx512: avx)
            // In place, as training runs it: dGates is gates.
            var inPlace = gates, dc2 = dC
            inPlace.withUnsafeMutableBufferPointer { g in
                LSTMCell.backwardStep(gates: g.baseAddress!, cPrev: cPrev, c: c, dH: dH, dC: &dc2,
                                      dGates: g.baseAddress!, batchSize: b, hiddenSize: h, avx512: avx)
            }
            return [dc, dGates, inPlace, dc2]
        }) else { return }
        Self.expectIdentical(r.avx512, r.portable, "LSTM backward \(s.testDescription)")
    }

    // MARK: GRU

    @Test(arguments: Shape.all) func gruForward(_ s: Shape) {
        var rng = SplitMix64(seed: UInt64(3000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * 3 * h, &rng), hProj = Self.values(b * 3 * h, &rng)
        let bias = Self.values(3 * h, &rng), hPrev = Self.values(b * h, &rng)
        guard let r = Self.portableAndAVX512({ avx in
            var g = gates, hn = [Float](repeating: 7, count: b * h), ho = hn
            GRUCell.forwardStep(gates: &g, hProj: hProj, biasHH: bias, hPrev: hPrev, hn: &hn, h: &ho,
                                batchSize: b, hiddenSize: h, avx512: avx)
            return [g, hn, ho]
        }) else { return }
        Self.expectIdentical(r.avx512, r.portable, "GRU forward \(s.testDescription)")
    }

    @Test(arguments: Shape.all) func gruBackward(_ s: Shape) {
        var rng = SplitMix64(seed: UInt64(4000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * 3 * h, &rng), hn = Self.values(b * h, &rng), hPrev = Self.values(b * h, &rng)
        let dH = Self.values(b * h, &rng), dHPrev = Self.values(b * h, &rng)
        guard let r = Self.portableAndAVX512({ avx in
            var dx = [Float](repeating: 7, count: b * 3 * h), dr = dx, dp = dHPrev
            GRUCell.backwardStep(gates: gates, hn: hn, hPrev: hPrev, dH: dH, dGatesX: &dx, dGatesH: &dr,
                                 dHPrev: &dp, batchSize: b, hiddenSize: h, avx512: avx)
            var inPlace = gates, dr2 = dr, dp2 = dHPrev
            inPlace.withUnsafeMutableBufferPointer { g in
                GRUCell.backwardStep(gates: g.baseAddress!, hn: hn, hPrev: hPrev, dH: dH, dGatesX: g.baseAddress!,
                                     dGatesH: &dr2, dHPrev: &dp2, batchSize: b, hiddenSize: h, avx512: avx)
            }
            return [dx, dr, dp, inPlace, dr2, dp2]
        }) else { return }
        Self.expectIdentical(r.avx512, r.portable, "GRU backward \(s.testDescription)")
    }

    // MARK: Basic RNN

    @Test(arguments: Shape.all) func rnnForward(_ s: Shape) {
        var rng = SplitMix64(seed: UInt64(5000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * h, &rng), bias = Self.values(h, &rng)
        for activation in [RNNActivation.tanh, .relu] {
            guard let r = Self.portableAndAVX512({ avx in
                var g = gates, out = [Float](repeating: 7, count: b * h)
                BasicRNNCell.forwardStep(gates: &g, biasHH: bias, h: &out, batchSize: b, hiddenSize: h, activation: activation, avx512: avx)
                return [g, out]
            }) else { return }
            Self.expectIdentical(r.avx512, r.portable, "RNN \(activation) forward \(s.testDescription)")
        }
    }

    @Test(arguments: Shape.all) func rnnBackward(_ s: Shape) {
        var rng = SplitMix64(seed: UInt64(6000 + s.batch * 997 + s.hidden))
        let n = s.batch * s.hidden
        let output = Self.values(n, &rng), dH = Self.values(n, &rng)
        for activation in [RNNActivation.tanh, .relu] {
            guard let r = Self.portableAndAVX512({ avx in
                var d = [Float](repeating: 7, count: n)
                BasicRNNCell.backwardStep(output: output, dH: dH, dGates: &d, count: n, activation: activation, avx512: avx)
                var inPlace = output
                inPlace.withUnsafeMutableBufferPointer { o in
                    BasicRNNCell.backwardStep(output: o.baseAddress!, dH: dH, dGates: o.baseAddress!, count: n,
                                              activation: activation, avx512: avx)
                }
                return [d, inPlace]
            }) else { return }
            Self.expectIdentical(r.avx512, r.portable, "RNN \(activation) backward \(s.testDescription)")
        }
    }

    // MARK: Activations, densely

    /// σ and tanh (through the LSTM and RNN forward kernels, zero bias) on a
    /// dense sweep of [−30, 30], finer near 0 where tanh switches to its
    /// polynomial, plus the special values: the random tests above see only a
    /// few hundred points per function.
    @Test func activationsOnADenseSweep() {
        var xs: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 87, -87, 88, -88, 89, -89, 0.625, -0.625,
                           Float(0.625).nextDown, Float(-0.625).nextUp, 1e-40, -1e-40, 1e10, -1e10]
        var x: Float = -30
        while x <= 30 { xs.append(x); x += 0.00731 }
        x = -1
        while x <= 1 { xs.append(x); x += 0.000113 }
        let h = xs.count  // not a multiple of 16: the masked tail runs too
        let zeros = [Float](repeating: 0, count: 4 * h)
        guard let r = Self.portableAndAVX512({ avx in
            var lstm = xs + xs + xs + xs, c = [Float](repeating: 0, count: h), t = c, hn = c
            LSTMCell.forwardStep(gates: &lstm, biasHH: zeros, cPrev: zeros, c: &c, tanhC: &t, h: &hn,
                                 batchSize: 1, hiddenSize: h, avx512: avx)
            var rnn = xs, out = c
            BasicRNNCell.forwardStep(gates: &rnn, biasHH: zeros, h: &out, batchSize: 1, hiddenSize: h, activation: .tanh, avx512: avx)
            return [lstm, c, t, hn, rnn]
        }) else { return }
        #expect(r.portable[4].count > 24_000)
        Self.expectIdentical(r.avx512, r.portable, "σ, tanh on \(h) points")
    }
}
