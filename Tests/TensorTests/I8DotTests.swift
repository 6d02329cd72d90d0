import Foundation
import TestSupport
import Testing
import Tensor

/// The int8 dot products of sampling from int8 weights (`WeightPrecision.int8`, ck_gemm.h, "int8 dot
/// products"): every set's quantization of A and product against the definition written here in
/// Swift (integers in Int, scales as ck_gemm.h states them), bit for bit — for every shape of
/// PackedGEMMTests, both layouts of B, beta 0 and 1, columns split across threads — and the
/// product's error against the fp32 one within the bound quantization allows.
@Suite struct I8DotTests {
    /// One row (or column) by the definition: s = max|x| / 127, q = round-even(x / s) clamped to ±127;
    /// s = 0 and q = 0 for zeros, s = NaN and q = 0 when a value is NaN or infinite.
    static func quantized(_ x: [Float]) -> (q: [Int], s: Float) {
        let zeros = [Int](repeating: 0, count: x.count)
        if x.contains(where: { !$0.isFinite }) { return (zeros, .nan) }
        let s = (x.map(abs).max() ?? 0) / 127
        guard s > 0 else { return (zeros, s) }
        return (x.map { Int(max(-127, min(127, ($0 / s).rounded(.toNearestOrEven)))) }, s)
    }

    /// C by the definition: fma(Σ qa·qb, sᵢ·sⱼ, beta·C), A (m × k, lda), W (n × k) with B = Wᵀ.
    static func definition(m: Int, n: Int, k: Int, a: [Float], lda: Int, w: [Float], beta: Float, c: [Float], ldc: Int) -> [Float] {
        let rows = (0..<m).map { i in quantized(Array(a[i * lda ..< i * lda + k])) }
        let columns = (0..<n).map { j in quantized(Array(w[j * k ..< j * k + k])) }
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var d = 0
                for p in 0..<k { d += rows[i].q[p] * columns[j].q[p] }
                out[i * ldc + j] = (beta == 0 ? 0 : c[i * ldc + j]).addingProduct(Float(d), rows[i].s * columns[j].s)
            }
        }
        return out
    }

    /// A value's bits, every NaN as one (a row holding a NaN gives NaN in each column; its payload is the FMA's).
    static func bits(_ x: Float) -> UInt32 { x.isNaN ? 0x7FC0_0000 : x.bitPattern }

    /// Rows with the quantization's cases: zeros, a NaN, an infinity, ties (x / s exactly k + ½), subnormal
    /// values, and ordinary ones.
    static func rows(m: Int, k: Int, lda: Int, _ rng: inout SplitMix64) -> [Float] {
        var a = (0..<max(1, m * lda)).map { _ in rng.nextFloat(in: -1, 1) }
        for i in 0..<m {
            let row = i * lda
            switch i % 9 {
            case 1: for p in 0..<k { a[row + p] = 0 }
            case 3 where k > 2: a[row + k / 2] = .nan
            case 4 where k > 1: a[row + k - 1] = -.infinity
            case 5: for p in 0..<k { a[row + p] = Float(p % 5) * 0.5 - 1 }; a[row] = 127   // s = 1: halves are ties
            case 6: for p in 0..<k { a[row + p] = p % 2 == 0 ? 0x1p-140 : -0x1p-145 }      // a subnormal scale: 2⁻¹⁴⁰ / s clamps at 127
            default: break
            }
        }
        return a
    }

    @Test(arguments: Kernels.available)
    func quantizationIsTheDefinition(_ set: KernelSet) {
        var rng = SplitMix64(seed: 81)
        for (m, k) in [(9, 7), (18, 33), (1, 1), (9, 64), (10, 100), (9, 17)] {
            let lda = k + 2, ldo = I8Dot.rowBytes(k) + 3
            let a = Self.rows(m: m, k: k, lda: lda, &rng)
            var out = [UInt8](repeating: 0xEE, count: m * ldo), scales = [Float](repeating: 7, count: m)
            I8Dot.quantize(a, lda: lda, m: m, k: k, into: &out, ldo: ldo, scales: &scales, kernels: set)
            for i in 0..<m {
                let want = Self.quantized(Array(a[i * lda ..< i * lda + k]))
                #expect(scales[i].bitPattern == want.s.bitPattern || (scales[i].isNaN && want.s.isNaN), "\(set) m \(m) k \(k) row \(i) scale")
                let got = out[i * ldo ..< i * ldo + ldo].map { Int($0) }
                let expected = want.q.map { $0 + 128 } + [Int](repeating: 128, count: I8Dot.rowBytes(k) - k) + [0xEE, 0xEE, 0xEE]
                #expect(got == expected, "\(set) m \(m) k \(k) row \(i)")
            }
        }
    }

    /// Each set's product equals the definition bit for bit, and so one row's result never depends on the rows
    /// beside it nor on how the columns are split across threads.
    static func productIsTheDefinition(_ set: KernelSet, maximumProduct: Int = .max, sourceLocation: SourceLocation = #_sourceLocation) {
        var rng = SplitMix64(seed: 82)
        let packed = PackedMatrix(), direct = PackedMatrix()
        for (m, n, k) in PackedGEMMTests.shapes where m * n * k <= maximumProduct {
            let lda = k + 3, ldc = n + 5
            let a = Self.rows(m: m, k: k, lda: lda, &rng)
            var w = PackedGEMMTests.random(n * k, &rng)                       // W (n, k): B = Wᵀ, a scale per row of W
            if n > 2 { for p in 0..<k { w[k + p] = 0 } }                      // a column of B of zeros
            let c0 = PackedGEMMTests.random(m * ldc, &rng)
            packed.pack(from: w, ld: k, transposed: true, rows: k, columns: n, kernels: set, precision: .int8)
            var b = [Float](repeating: 0, count: k * n)
            BLAS.transpose(w, rows: n, columns: k, into: &b)
            direct.pack(from: b, ld: n, transposed: false, rows: k, columns: n, kernels: set, precision: .int8)
            for beta: Float in [0, 1] {
                let want = Self.definition(m: m, n: n, k: k, a: a, lda: lda, w: w, beta: beta, c: c0, ldc: ldc).map(Self.bits)
                var got = c0, fromB = c0, split = c0
                BLAS.packedSGEMM(m: m, a: a, lda: lda, packed: packed, beta: beta, c: &got, ldc: ldc)
                BLAS.packedSGEMM(m: m, a: a, lda: lda, packed: direct, beta: beta, c: &fromB, ldc: ldc)
                Parallel.withThreadCount(3) {
                    BLAS.parallelPackedSGEMM(m: m, a: a, lda: lda, packed: packed, beta: beta, c: &split, ldc: ldc)
                }
                let what = "\(set) m \(m) n \(n) k \(k) beta \(beta)"
                #expect(got.map(Self.bits) == want, "\(what)", sourceLocation: sourceLocation)
                #expect(fromB.map(Self.bits) == want, "B given directly: \(what)", sourceLocation: sourceLocation)
                #expect(split.map(Self.bits) == want, "columns split: \(what)", sourceLocation: sourceLocation)
            }
        }
    }

    /// The portable product is scalar Swift, slow in a debug build: the shapes up to 100k multiply-adds.
    @Test func portableIsTheDefinition() { Self.productIsTheDefinition(.portable, maximumProduct: 100_000) }

    @Test(.enabled(if: Kernels.runs("avx2"), "this CPU (or OS) has no AVX2 + FMA"))
    func avx2IsTheDefinition() { Self.productIsTheDefinition(.avx2) }

    @Test(.enabled(if: Kernels.runs("avx512"), "this CPU (or OS) has no AVX-512"))
    func avx512IsTheDefinition() { Self.productIsTheDefinition(.avx512) }

    /// VPDPBUSD itself (AVX512_VNNI, in the avx512bf16 set): the same bits as the emulations.
    @Test(.enabled(if: Kernels.available.contains { $0.table?.pointee.i8_dot_native == 1 },
                   "this CPU has no AVX512_BF16 with AVX512_VNNI (the avx512bf16 set): VPDPBUSD is not run here"))
    func nativeIsTheDefinition() {
        for set in Kernels.available where set.table?.pointee.i8_dot_native == 1 { Self.productIsTheDefinition(set) }
    }

    /// Quantizing both operands costs accuracy within its bound: a = sᵢ·qa + e with |e| ≤ sᵢ/2, the same
    /// for b, so |Σab − sᵢsⱼΣqa·qb| ≤ Σ(|a|·sⱼ/2 + |b|·sᵢ/2 + sᵢsⱼ/4) (plus fp32's rounding of the result).
    @Test func errorIsWithinTheQuantizationBound() {
        var rng = SplitMix64(seed: 83)
        let m = 8, n = 96, k = 512
        let a = PackedGEMMTests.random(m * k, &rng), w = PackedGEMMTests.random(n * k, &rng)
        let packed = PackedMatrix()
        packed.pack(from: w, ld: k, transposed: true, rows: k, columns: n, kernels: Kernels.current, precision: .int8)
        var c = [Float](repeating: 0, count: m * n)
        BLAS.packedSGEMM(m: m, a: a, lda: k, packed: packed, beta: 0, c: &c, ldc: n)
        var worst = 0.0
        for i in 0..<m {
            let si = Double(a[i * k ..< i * k + k].map(abs).max()!) / 127
            for j in 0..<n {
                let sj = Double(w[j * k ..< j * k + k].map(abs).max()!) / 127
                var exact = 0.0, bound = 0.0
                for p in 0..<k {
                    let x = Double(a[i * k + p]), y = Double(w[j * k + p])
                    exact += x * y
                    bound += abs(x) * sj / 2 + abs(y) * si / 2 + si * sj / 4
                }
                let error = abs(Double(c[i * n + j]) - exact)
                #expect(error <= bound * 1.001 + abs(exact) * 1e-6, "row \(i) column \(j): error \(error), bound \(bound)")
                worst = max(worst, error / bound)
            }
        }
        #expect(worst > 0.001, "the product is not quantized at all (worst error / bound \(worst))")
    }
}
