import CKernels
import Foundation
import TestSupport
import Testing
import Tensor

/// The bf16 dot products of training (`ProductPrecision.bf16`, ck_gemm.h): the rounding of
/// both operands against the definition, every set's product against the portable one bit
/// for bit (DAZ and FTZ included), and against an fp64 sum over the rounded operands within
/// fp32 rounding; `BLAS.gemm` in bf16 for every transposition, a row bias and any thread count.
@Suite struct BF16DotTests {
    /// bf16 as VDPBF16PS reads it: the nearest-even rounding (ReducedPrecisionTests' reference), a subnormal as 0.
    static func operand(_ x: Float) -> Float {
        let r = ReducedPrecisionTests.bf16Reference(x)
        return r.isSubnormal ? Float(signOf: r, magnitudeOf: 0) : r
    }

    /// Values in ±1 with a few that test the edges: bf16 subnormals (read as 0), and tiny ones whose products are
    /// subnormal (flushed).
    static func values(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { i in
            switch i % 37 {
            case 5: return 0x1p-130                      // a bf16 subnormal: read as zero
            case 11: return -0x1p-70                     // normal, but its products with the next are subnormal
            case 23: return 0x1p-72
            default: return rng.nextFloat(in: -1, 1)
            }
        }
    }

    @Test func roundingIsNearestEvenInPairsWithSubnormalsAsZero() {
        var rng = SplitMix64(seed: 31)
        for (m, k) in [(3, 7), (5, 8), (1, 1), (4, 33)] {
            let a = Self.values(m * k, &rng), kh = BF16Dot.pairs(k)
            var at = [Float](repeating: 0, count: m * k)
            BLAS.transpose(a, rows: m, columns: k, into: &at)
            for transposed in [false, true] {
                var out = [UInt32](repeating: 0xDEAD_BEEF, count: m * (kh + 1))
                BF16Dot.round(transposed ? at : a, lda: transposed ? m : k, transposed: transposed, m: m, k: k,
                              into: &out, ldo: kh + 1)
                for i in 0..<m {
                    for p in 0..<kh {
                        let pair = out[i * (kh + 1) + p]
                        let even = Float(bitPattern: pair << 16), odd = Float(bitPattern: pair & 0xFFFF_0000)
                        let wantEven = Self.operand(a[i * k + 2 * p]), wantOdd = 2 * p + 1 < k ? Self.operand(a[i * k + 2 * p + 1]) : 0
                        #expect(even.bitPattern == wantEven.bitPattern && odd.bitPattern == wantOdd.bitPattern,
                                "m \(m) k \(k) transposed \(transposed) row \(i) pair \(p)")
                    }
                    #expect(out[i * (kh + 1) + kh] == 0xDEAD_BEEF, "wrote past the pairs")
                }
            }
        }
    }

    /// Every set's vector rounding of A and packing of B (pairs_body.h) against the reference loops
    /// (gemm_pack.c) bit for bit: both layouts, odd k, partial tiles and panels, padded leading
    /// dimensions, and the values where rounding has its cases (ties, NaN, ±inf, subnormals, the
    /// largest subnormal that rounds up to a normal bf16).
    @Test(arguments: Kernels.available.filter { $0.table != nil })
    func eachSetRoundsAndPacksAsTheReference(_ set: KernelSet) {
        var rng = SplitMix64(seed: 77)
        let edges: [Float] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, Float(bitPattern: 0x007F_FFFF),
                              Float(bitPattern: 0x8000_0001), Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000),
                              Float(bitPattern: 0x7F7F_FFFF), Float(bitPattern: 0x0080_0000), 0x1p-130]
        let nr = set.table!.pointee.gemm_nr
        for (m, k) in [(1, 1), (3, 7), (17, 33), (16, 32), (40, 65), (5, 130), (33, 2)] {
            let pad = 3, count = (max(m, k) + pad) * max(m, k)
            let a = (0..<count).map { i in i % 7 == 3 ? edges[(i / 7) % edges.count] : rng.nextFloat(in: -4, 4) }
            let kh = BF16Dot.pairs(k)
            for transposed in [false, true] {
                let lda = (transposed ? m : k) + pad
                var want = [UInt32](repeating: 0xDEAD_BEEF, count: m * (kh + 2)), got = want
                ck_bf16_round_pairs(a, lda, transposed ? 1 : 0, m, k, &want, kh + 2)
                set.table!.pointee.bf16_round_pairs(a, lda, transposed ? 1 : 0, m, k, &got, kh + 2)
                #expect(got == want, "\(set) round m \(m) k \(k) transposed \(transposed)")
                // The same matrix as B (k × n with n = m).
                let ldb = (transposed ? k : m) + pad, size = Int(ck_gemm_pairs_count(k, m, nr))
                var packedWant = [UInt32](repeating: 0xDEAD_BEEF, count: size + 1), packedGot = packedWant
                ck_gemm_pack_pairs(a, ldb, transposed ? 1 : 0, k, m, nr, &packedWant)
                set.table!.pointee.bf16_pack_pairs(a, ldb, transposed ? 1 : 0, k, m, nr, &packedGot)
                #expect(packedGot == packedWant, "\(set) pack k \(k) n \(m) transposed \(transposed)")
            }
        }
    }

    /// C by `set` over the same rounded operands, for B packed from Wᵀ (the per-step layout).
    static func product(_ set: KernelSet, m: Int, n: Int, k: Int, a: [Float], lda: Int, w: [Float], c0: [Float], ldc: Int,
                        beta: Float) -> [Float] {
        let packed = PackedMatrix()
        packed.packPairs(from: w, ld: k, transposed: true, rows: k, columns: n, kernels: set)
        var c = c0
        BLAS.packedSGEMM(m: m, a: a, lda: lda, packed: packed, beta: beta, c: &c, ldc: ldc)
        return c
    }

    /// Every set against the portable product, bit for bit, over PackedGEMMTests' shapes (the portable product is
    /// scalar Swift: shapes up to `maximumProduct` multiply-adds), and the portable one against fp64.
    static func setsAgree(_ set: KernelSet, maximumProduct: Int = 300_000, sourceLocation: SourceLocation = #_sourceLocation) {
        var rng = SplitMix64(seed: 32)
        for (m, n, k) in PackedGEMMTests.shapes where m * n * k <= maximumProduct {
            let lda = k + 3, ldc = n + 5
            let a = Self.values(max(1, m * lda), &rng), w = Self.values(n * k, &rng)
            var c0 = PackedGEMMTests.random(m * ldc, &rng)
            c0[0] = 0x1p-140                                              // a subnormal C: read as zero when beta = 1
            for beta: Float in [0, 1] {
                let want = product(.portable, m: m, n: n, k: k, a: a, lda: lda, w: w, c0: c0, ldc: ldc, beta: beta)
                let got = product(set, m: m, n: n, k: k, a: a, lda: lda, w: w, c0: c0, ldc: ldc, beta: beta)
                #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(set) m \(m) n \(n) k \(k) beta \(beta)",
                        sourceLocation: sourceLocation)
                // The portable product is the definition's: within fp32 rounding of an fp64 sum over the rounded operands.
                for i in 0..<m {
                    for j in 0..<n {
                        var exact = beta == 0 || (i == 0 && j == 0) ? 0.0 : Double(c0[i * ldc + j]), bound = abs(exact)
                        for p in 0..<k {
                            let term = Double(Self.operand(a[i * lda + p])) * Double(Self.operand(w[j * k + p]))
                            exact += term
                            bound += abs(term)
                        }
                        let tolerance = Double(k + 2) * 0x1p-23 * bound + 0x1p-120 * Double(k)   // + FTZ's flushed terms
                        #expect(abs(Double(want[i * ldc + j]) - exact) <= tolerance, "portable m \(m) n \(n) k \(k) (\(i), \(j))",
                                sourceLocation: sourceLocation)
                    }
                }
            }
        }
    }

    @Test func portableIsTheDefinition() { Self.setsAgree(.portable, maximumProduct: 30_000) }

    @Test(.enabled(if: Kernels.runs("avx2"), "this CPU (or OS) has no AVX2 + FMA"))
    func avx2AgreesWithPortable() { Self.setsAgree(.avx2) }

    @Test(.enabled(if: Kernels.runs("avx512"), "this CPU (or OS) has no AVX-512"))
    func avx512AgreesWithPortable() { Self.setsAgree(.avx512) }

    @Test(.enabled(if: Kernels.available.contains { ProductPrecision.isNative(in: $0) },
                   "this CPU has no native bf16 dot product (AVX512_BF16)"))
    func nativeAgreesWithPortable() {
        for set in Kernels.available where ProductPrecision.isNative(in: set) { Self.setsAgree(set) }
    }

    /// FTZ: a product that is subnormal leaves the accumulator as it was (0 here), in every set;
    /// one just above the smallest normal is kept.
    @Test func subnormalProductsAreFlushed() {
        for set in Kernels.available {
            let tiny = Self.product(set, m: 1, n: 1, k: 1, a: [0x1p-70], lda: 1, w: [0x1p-70], c0: [5], ldc: 1, beta: 0)
            let small = Self.product(set, m: 1, n: 1, k: 1, a: [0x1p-60], lda: 1, w: [0x1p-60], c0: [5], ldc: 1, beta: 0)
            #expect(tiny == [0] && small == [0x1p-120], "\(set): \(tiny) \(small)")
        }
    }

    /// `BLAS.gemm` in bf16: every transposition, beta, a row bias, 1 and 3 threads give the portable set's
    /// bits, within bf16's rounding of the fp32 product.
    @Test func gemmMatchesThePackedProductForEveryLayout() {
        var rng = SplitMix64(seed: 33)
        let (m, n, k) = (37, 45, 29)
        let a = PackedGEMMTests.random(m * k, &rng), b = PackedGEMMTests.random(k * n, &rng)
        let bias = PackedGEMMTests.random(n, &rng), c0 = PackedGEMMTests.random(m * n, &rng)
        var at = [Float](repeating: 0, count: m * k), bt = [Float](repeating: 0, count: k * n)
        BLAS.transpose(a, rows: m, columns: k, into: &at)
        BLAS.transpose(b, rows: k, columns: n, into: &bt)
        for set in Kernels.available {
            for (transA, transB) in [(Transpose.none, Transpose.none), (.none, .transposed), (.transposed, .none), (.transposed, .transposed)] {
                for (beta, withBias) in [(Float(0), false), (1, false), (0, true)] {
                    var results: [[Float]] = []
                    for threads in [1, 3] {
                        var c = c0
                        Parallel.withThreadCount(threads) {
                            bias.withUnsafeBufferPointer { bp in
                                BLAS.gemm(.bf16, kernels: set, transA, transB, m: m, n: n, k: k,
                                          a: transA == .none ? a : at, lda: transA == .none ? k : m,
                                          b: transB == .none ? b : bt, ldb: transB == .none ? n : k,
                                          beta: beta, rowBias: withBias ? bp.baseAddress : nil, c: &c, ldc: n)
                            }
                        }
                        results.append(c)
                    }
                    var want = c0
                    if withBias { for i in 0..<m { for j in 0..<n { want[i * n + j] = bias[j] } } }
                    let reference = Self.product(.portable, m: m, n: n, k: k, a: a, lda: k, w: bt, c0: want, ldc: n,
                                            beta: withBias ? 1 : beta)
                    let label = "\(set) \(transA) \(transB) beta \(beta) bias \(withBias)"
                    #expect(results[0].map(\.bitPattern) == reference.map(\.bitPattern), "\(label)")
                    #expect(results[1].map(\.bitPattern) == reference.map(\.bitPattern), "\(label), 3 threads")
                    // and near the fp32 product: each operand off by ≤ 2⁻⁹ relative
                    var fp32 = withBias ? want : c0
                    BLAS.sgemm(.none, .none, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: withBias ? 1 : beta, c: &fp32, ldc: n)
                    for i in 0..<m * n { #expect(abs(fp32[i] - reference[i]) <= Float(k) * 0x1p-8, "\(label) \(i)") }
                }
            }
        }
    }
}
