import TestSupport
import Testing
@testable import RNN
import Tensor

/// The C gate kernels of each fast kernel set — AVX-512 (Sources/CKernels/gates.c)
/// and AVX2 (gates_avx2.c) — against the portable Swift ones they replace: each
/// cell's `forwardStep` / `backwardStep` runs on the same inputs once with
/// `kernels: .portable` and once with the set under test, and every output must
/// be the same bit for bit (NaN where NaN): neither C set uses FMA. Inputs mix
/// ordinary values with ones beyond the clamps, ±0, subnormals, ±∞ and NaN;
/// hidden sizes cover a lone masked tail (1, 7 < 8 and 15 < 16 lanes), exact
/// vectors of either width and vectors plus a tail.
/// The set is an argument, not a global: changing one would reach other suites
/// running meanwhile. A set this CPU lacks is skipped with its reason (the nested
/// suites' `.enabled(if:)`), never passed silently. The whole engine on each set
/// is compared by CLITests.KernelChoiceTests (`CHARRNN_KERNELS`).
@Suite struct GateKernelTests {
    static let hiddenSizes = [1, 7, 8, 9, 15, 16, 17, 100, 128]
    static let batchSizes = [1, 3]

    @Suite(.enabled(if: Kernels.runs("avx512"), "this CPU (or OS) has no AVX-512 (ck_cpu_has_avx512() == 0)"))
    struct AVX512 {
        @Test(arguments: Shape.all) func lstmForward(_ s: Shape) { GateKernelTests.lstmForward(s, .avx512) }
        @Test(arguments: Shape.all) func lstmBackward(_ s: Shape) { GateKernelTests.lstmBackward(s, .avx512) }
        @Test(arguments: Shape.all) func gruForward(_ s: Shape) { GateKernelTests.gruForward(s, .avx512) }
        @Test(arguments: Shape.all) func gruBackward(_ s: Shape) { GateKernelTests.gruBackward(s, .avx512) }
        @Test(arguments: Shape.all) func rnnForward(_ s: Shape) { GateKernelTests.rnnForward(s, .avx512) }
        @Test(arguments: Shape.all) func rnnBackward(_ s: Shape) { GateKernelTests.rnnBackward(s, .avx512) }
        @Test func activationsOnADenseSweep() { GateKernelTests.activationsOnADenseSweep(.avx512) }
        @Test(arguments: Shape.all) func layerNormLSTM(_ s: Shape) { GateKernelTests.layerNormLSTM(s, .avx512) }
        @Test(arguments: Shape.all) func layerNormGRU(_ s: Shape) { GateKernelTests.layerNormGRU(s, .avx512) }
        @Test(arguments: Shape.all) func layerNormRNN(_ s: Shape) { GateKernelTests.layerNormRNN(s, .avx512) }
    }

    @Suite(.enabled(if: Kernels.runs("avx2"), "this CPU (or OS) has no AVX2 + FMA (ck_cpu_has_avx2_fma() == 0)"))
    struct AVX2 {
        @Test(arguments: Shape.all) func lstmForward(_ s: Shape) { GateKernelTests.lstmForward(s, .avx2) }
        @Test(arguments: Shape.all) func lstmBackward(_ s: Shape) { GateKernelTests.lstmBackward(s, .avx2) }
        @Test(arguments: Shape.all) func gruForward(_ s: Shape) { GateKernelTests.gruForward(s, .avx2) }
        @Test(arguments: Shape.all) func gruBackward(_ s: Shape) { GateKernelTests.gruBackward(s, .avx2) }
        @Test(arguments: Shape.all) func rnnForward(_ s: Shape) { GateKernelTests.rnnForward(s, .avx2) }
        @Test(arguments: Shape.all) func rnnBackward(_ s: Shape) { GateKernelTests.rnnBackward(s, .avx2) }
        @Test func activationsOnADenseSweep() { GateKernelTests.activationsOnADenseSweep(.avx2) }
        @Test(arguments: Shape.all) func layerNormLSTM(_ s: Shape) { GateKernelTests.layerNormLSTM(s, .avx2) }
        @Test(arguments: Shape.all) func layerNormGRU(_ s: Shape) { GateKernelTests.layerNormGRU(s, .avx2) }
        @Test(arguments: Shape.all) func layerNormRNN(_ s: Shape) { GateKernelTests.layerNormRNN(s, .avx2) }
    }

    /// Runs `body` with the portable kernels, then with `set`.
    static func portableAnd<R>(_ set: KernelSet, _ body: (KernelSet) -> R) -> (portable: R, fast: R) {
        (body(.portable), body(set))
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
    static func expectIdentical(_ fast: [[Float]], _ portable: [[Float]], _ set: KernelSet, _ what: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fast.count == portable.count, sourceLocation: sourceLocation)
        for (n, (x, y)) in zip(fast, portable).enumerated() {
            #expect(x.count == y.count, sourceLocation: sourceLocation)
            let bad = x.indices.filter { x[$0].isNaN ? !y[$0].isNaN : x[$0].bitPattern != y[$0].bitPattern }
            if let i = bad.first {
                let message = "\(set) \(what), output \(n): \(bad.count) of \(x.count) differ; first at \(i): "
                    + "\(set) \(x[i]) (0x\(String(x[i].bitPattern, radix: 16))) vs "
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

    static func lstmForward(_ s: Shape, _ set: KernelSet) {
        var rng = SplitMix64(seed: UInt64(1000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * 4 * h, &rng), bias = Self.values(4 * h, &rng), cPrev = Self.values(b * h, &rng)
        let r = Self.portableAnd(set, { kernels in
            var g = gates, c = [Float](repeating: 7, count: b * h), t = c, hn = c
            LSTMCell.forwardStep(gates: &g, biasHH: bias, cPrev: cPrev, c: &c, tanhC: &t, h: &hn,
                                 batchSize: b, hiddenSize: h, kernels: kernels)
            return [g, c, t, hn]
        })
        Self.expectIdentical(r.fast, r.portable, set, "LSTM forward \(s.testDescription)")
    }

    static func lstmBackward(_ s: Shape, _ set: KernelSet) {
        var rng = SplitMix64(seed: UInt64(2000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * 4 * h, &rng), cPrev = Self.values(b * h, &rng)
        let c = Self.values(b * h, &rng), dH = Self.values(b * h, &rng), dC = Self.values(b * h, &rng)
        let r = Self.portableAnd(set, { kernels in
            var dc = dC, dGates = [Float](repeating: 7, count: b * 4 * h)
            LSTMCell.backwardStep(gates: gates, cPrev: cPrev, c: c, dH: dH, dC: &dc, dGates: &dGates,
                                  batchSize: b, hiddenSize: h, kernels: kernels)
            // In place, as training runs it: dGates is gates.
            var inPlace = gates, dc2 = dC
            inPlace.withUnsafeMutableBufferPointer { g in
                LSTMCell.backwardStep(gates: g.baseAddress!, cPrev: cPrev, c: c, dH: dH, dC: &dc2,
                                      dGates: g.baseAddress!, batchSize: b, hiddenSize: h, kernels: kernels)
            }
            return [dc, dGates, inPlace, dc2]
        })
        Self.expectIdentical(r.fast, r.portable, set, "LSTM backward \(s.testDescription)")
    }

    // MARK: Layer-normalized LSTM

    /// Forward then backward of `LayerNormLSTMCell`'s step (the backward in place, as training
    /// runs it), on ordinary values: one NaN or ∞ would make its whole row NaN and hide the rest.
    static func layerNormLSTM(_ s: Shape, _ set: KernelSet) {
        var rng = SplitMix64(seed: UInt64(7000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        func ordinary(_ n: Int) -> [Float] { (0..<n).map { _ in rng.nextFloat(in: -4, 4) } }
        let a = ordinary(b * 4 * h), cPrev = ordinary(b * h), gamma = ordinary(5 * h), beta = ordinary(5 * h)
        let dH = ordinary(b * h), dCNext = ordinary(b * h), sums0 = ordinary(10 * h)
        let r = Self.portableAnd(set, { kernels -> [[Float]] in
            var gates = a, c = [Float](repeating: 7, count: b * h), hn = c
            var normalized = [Float](repeating: 7, count: b * 5 * h), rstd = [Float](repeating: 7, count: b * 5)
            gates.withUnsafeMutableBufferPointer { g in c.withUnsafeMutableBufferPointer { c in hn.withUnsafeMutableBufferPointer { hn in
                normalized.withUnsafeMutableBufferPointer { xn in rstd.withUnsafeMutableBufferPointer { sd in
                    LayerNormLSTMCell.forwardStep(gates: g.baseAddress!, cPrev: cPrev, c: c.baseAddress!, h: hn.baseAddress!,
                                                  normalized: xn.baseAddress!, rstd: sd.baseAddress!, gamma: gamma, beta: beta,
                                                  batchSize: b, hiddenSize: h, kernels: kernels)
                } }
            } } }
            var dGates = gates, dC = dCNext, sums = sums0, dState = [Float](repeating: 7, count: b * h)
            dGates.withUnsafeMutableBufferPointer { g in dC.withUnsafeMutableBufferPointer { dc in
                sums.withUnsafeMutableBufferPointer { sm in dState.withUnsafeMutableBufferPointer { ds in
                    LayerNormLSTMCell.backwardStep(dGates: g.baseAddress!, dC: dc.baseAddress!, sums: sm.baseAddress!, dH: dH,
                                                   gates: g.baseAddress!, cPrev: cPrev, normalized: normalized, rstd: rstd,
                                                   gamma: gamma, beta: beta, dState: ds.baseAddress!,
                                                   batchSize: b, hiddenSize: h, kernels: kernels)
                } }
            } }
            return [gates, c, hn, normalized, rstd, dGates, dC, sums, dState]
        })
        Self.expectIdentical(r.fast, r.portable, set, "layer-norm LSTM \(s.testDescription)")
    }

    static func layerNormGRU(_ s: Shape, _ set: KernelSet) {
        var rng = SplitMix64(seed: UInt64(8000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        func ordinary(_ n: Int) -> [Float] { (0..<n).map { _ in rng.nextFloat(in: -4, 4) } }
        let x = ordinary(b * 3 * h), hProj = ordinary(b * 3 * h), hPrev = ordinary(b * h)
        let gamma = ordinary(4 * h), beta = ordinary(4 * h), dH = ordinary(b * h), dHPrev0 = ordinary(b * h), sums0 = ordinary(8 * h)
        let r = Self.portableAnd(set, { kernels -> [[Float]] in
            var gates = x, hn = [Float](repeating: 7, count: b * h)
            var normalized = [Float](repeating: 7, count: b * 4 * h), rstd = [Float](repeating: 7, count: b * 4)
            gates.withUnsafeMutableBufferPointer { g in hn.withUnsafeMutableBufferPointer { hn in
                normalized.withUnsafeMutableBufferPointer { xn in rstd.withUnsafeMutableBufferPointer { sd in
                    LayerNormGRUCell.forwardStep(gates: g.baseAddress!, hProj: hProj, hPrev: hPrev, h: hn.baseAddress!,
                                                 normalized: xn.baseAddress!, rstd: sd.baseAddress!, gamma: gamma, beta: beta,
                                                 batchSize: b, hiddenSize: h, kernels: kernels)
                } }
            } }
            var dx = gates, dr = [Float](repeating: 7, count: b * 3 * h), dp = dHPrev0, sums = sums0
            dx.withUnsafeMutableBufferPointer { g in dr.withUnsafeMutableBufferPointer { dr in
                dp.withUnsafeMutableBufferPointer { dp in sums.withUnsafeMutableBufferPointer { sm in
                    LayerNormGRUCell.backwardStep(dGatesX: g.baseAddress!, dGatesH: dr.baseAddress!, dHPrev: dp.baseAddress!,
                                                  sums: sm.baseAddress!, dH: dH, gates: g.baseAddress!, hPrev: hPrev,
                                                  normalized: normalized, rstd: rstd, gamma: gamma, beta: beta,
                                                  batchSize: b, hiddenSize: h, kernels: kernels)
                } }
            } }
            return [gates, hn, normalized, rstd, dx, dr, dp, sums]
        })
        Self.expectIdentical(r.fast, r.portable, set, "layer-norm GRU \(s.testDescription)")
    }

    static func layerNormRNN(_ s: Shape, _ set: KernelSet) {
        for activation in RNNActivation.allCases {
            var rng = SplitMix64(seed: UInt64(9000 + s.batch * 997 + s.hidden))
            let b = s.batch, h = s.hidden
            func ordinary(_ n: Int) -> [Float] { (0..<n).map { _ in rng.nextFloat(in: -4, 4) } }
            let a = ordinary(b * h), gamma = ordinary(h), beta = ordinary(h), dH = ordinary(b * h), sums0 = ordinary(2 * h)
            let r = Self.portableAnd(set, { kernels -> [[Float]] in
                var gates = a, hn = [Float](repeating: 7, count: b * h)
                var normalized = [Float](repeating: 7, count: b * h), rstd = [Float](repeating: 7, count: b)
                gates.withUnsafeMutableBufferPointer { g in hn.withUnsafeMutableBufferPointer { hn in
                    normalized.withUnsafeMutableBufferPointer { xn in rstd.withUnsafeMutableBufferPointer { sd in
                        LayerNormRNNCell.forwardStep(gates: g.baseAddress!, h: hn.baseAddress!, normalized: xn.baseAddress!,
                                                     rstd: sd.baseAddress!, gamma: gamma, beta: beta, batchSize: b, hiddenSize: h,
                                                     activation: activation, kernels: kernels)
                    } }
                } }
                var dGates = gates, sums = sums0
                dGates.withUnsafeMutableBufferPointer { g in sums.withUnsafeMutableBufferPointer { sm in
                    LayerNormRNNCell.backwardStep(dGates: g.baseAddress!, sums: sm.baseAddress!, dH: dH, normalized: normalized,
                                                  rstd: rstd, gamma: gamma, batchSize: b, hiddenSize: h,
                                                  activation: activation, kernels: kernels)
                } }
                return [gates, hn, normalized, rstd, dGates, sums]
            })
            Self.expectIdentical(r.fast, r.portable, set, "layer-norm RNN \(activation) \(s.testDescription)")
        }
    }

    // MARK: GRU

    static func gruForward(_ s: Shape, _ set: KernelSet) {
        var rng = SplitMix64(seed: UInt64(3000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * 3 * h, &rng), hProj = Self.values(b * 3 * h, &rng)
        let bias = Self.values(3 * h, &rng), hPrev = Self.values(b * h, &rng)
        let r = Self.portableAnd(set, { kernels in
            var g = gates, hn = [Float](repeating: 7, count: b * h), ho = hn
            GRUCell.forwardStep(gates: &g, hProj: hProj, biasHH: bias, hPrev: hPrev, hn: &hn, h: &ho,
                                batchSize: b, hiddenSize: h, kernels: kernels)
            return [g, hn, ho]
        })
        Self.expectIdentical(r.fast, r.portable, set, "GRU forward \(s.testDescription)")
    }

    static func gruBackward(_ s: Shape, _ set: KernelSet) {
        var rng = SplitMix64(seed: UInt64(4000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * 3 * h, &rng), hn = Self.values(b * h, &rng), hPrev = Self.values(b * h, &rng)
        let dH = Self.values(b * h, &rng), dHPrev = Self.values(b * h, &rng)
        let r = Self.portableAnd(set, { kernels in
            var dx = [Float](repeating: 7, count: b * 3 * h), dr = dx, dp = dHPrev
            GRUCell.backwardStep(gates: gates, hn: hn, hPrev: hPrev, dH: dH, dGatesX: &dx, dGatesH: &dr,
                                 dHPrev: &dp, batchSize: b, hiddenSize: h, kernels: kernels)
            var inPlace = gates, dr2 = dr, dp2 = dHPrev
            inPlace.withUnsafeMutableBufferPointer { g in
                GRUCell.backwardStep(gates: g.baseAddress!, hn: hn, hPrev: hPrev, dH: dH, dGatesX: g.baseAddress!,
                                     dGatesH: &dr2, dHPrev: &dp2, batchSize: b, hiddenSize: h, kernels: kernels)
            }
            return [dx, dr, dp, inPlace, dr2, dp2]
        })
        Self.expectIdentical(r.fast, r.portable, set, "GRU backward \(s.testDescription)")
    }

    // MARK: Basic RNN

    static func rnnForward(_ s: Shape, _ set: KernelSet) {
        var rng = SplitMix64(seed: UInt64(5000 + s.batch * 997 + s.hidden))
        let b = s.batch, h = s.hidden
        let gates = Self.values(b * h, &rng), bias = Self.values(h, &rng)
        for activation in [RNNActivation.tanh, .relu] {
            let r = Self.portableAnd(set, { kernels in
                var g = gates, out = [Float](repeating: 7, count: b * h)
                BasicRNNCell.forwardStep(gates: &g, biasHH: bias, h: &out, batchSize: b, hiddenSize: h, activation: activation, kernels: kernels)
                return [g, out]
            })
            Self.expectIdentical(r.fast, r.portable, set, "RNN \(activation) forward \(s.testDescription)")
        }
    }

    static func rnnBackward(_ s: Shape, _ set: KernelSet) {
        var rng = SplitMix64(seed: UInt64(6000 + s.batch * 997 + s.hidden))
        let n = s.batch * s.hidden
        let output = Self.values(n, &rng), dH = Self.values(n, &rng)
        for activation in [RNNActivation.tanh, .relu] {
            let r = Self.portableAnd(set, { kernels in
                var d = [Float](repeating: 7, count: n)
                BasicRNNCell.backwardStep(output: output, dH: dH, dGates: &d, count: n, activation: activation, kernels: kernels)
                var inPlace = output
                inPlace.withUnsafeMutableBufferPointer { o in
                    BasicRNNCell.backwardStep(output: o.baseAddress!, dH: dH, dGates: o.baseAddress!, count: n,
                                              activation: activation, kernels: kernels)
                }
                return [d, inPlace]
            })
            Self.expectIdentical(r.fast, r.portable, set, "RNN \(activation) backward \(s.testDescription)")
        }
    }

    // MARK: Activations, densely

    /// σ and tanh (through the LSTM and RNN forward kernels, zero bias) on a
    /// dense sweep of [−30, 30], finer near 0 where tanh switches to its
    /// polynomial, plus the special values: the random tests above see only a
    /// few hundred points per function.
    static func activationsOnADenseSweep(_ set: KernelSet) {
        var xs: [Float] = [0, -0.0, .nan, .infinity, -.infinity, 87, -87, 88, -88, 89, -89, 0.625, -0.625,
                           Float(0.625).nextDown, Float(-0.625).nextUp, 1e-40, -1e-40, 1e10, -1e10]
        var x: Float = -30
        while x <= 30 { xs.append(x); x += 0.00731 }
        x = -1
        while x <= 1 { xs.append(x); x += 0.000113 }
        let h = xs.count  // not a multiple of 16 or 8: the masked tail runs too
        let zeros = [Float](repeating: 0, count: 4 * h)
        let r = Self.portableAnd(set, { kernels in
            var lstm = xs + xs + xs + xs, c = [Float](repeating: 0, count: h), t = c, hn = c
            LSTMCell.forwardStep(gates: &lstm, biasHH: zeros, cPrev: zeros, c: &c, tanhC: &t, h: &hn,
                                 batchSize: 1, hiddenSize: h, kernels: kernels)
            var rnn = xs, out = c
            BasicRNNCell.forwardStep(gates: &rnn, biasHH: zeros, h: &out, batchSize: 1, hiddenSize: h, activation: .tanh, kernels: kernels)
            return [lstm, c, t, hn, rnn]
        })
        #expect(r.portable[4].count > 24_000)
        Self.expectIdentical(r.fast, r.portable, set, "σ, tanh on \(h) points")
    }
}
