import Foundation
import TestSupport
import Testing
import Tensor

/// bf16 weight copies (`WeightPrecision`, `PackedMatrix.pack(…, precision:)`):
/// the rounding against a reference written here from the definition, and every
/// set's bf16 product against its own fp32 product over the rounded matrix,
/// bit for bit (ck_gemm.h's contract). (int8 multiplies quantized activations
/// too: I8DotTests.) A set this CPU lacks is skipped with its reason.
@Suite struct ReducedPrecisionTests {
    /// bf16 by the definition: 8 significant bits, nearest, ties to even, subnormals kept,
    /// in Double arithmetic (no bit tricks, unlike the C code under test).
    static func bf16Reference(_ x: Float) -> Float {
        if x.isNaN || x.isInfinite || x == 0 { return x }
        let exponent = max(Int(x.exponent), -126)             // subnormals share the smallest binade's spacing
        let ulp = pow(2.0, Double(exponent - 7))
        let r = (Double(x) / ulp).rounded(.toNearestOrEven) * ulp
        return Float(r)                                         // exact, or ±∞ past the largest bf16
    }

    static func rounded(_ values: [Float], _ precision: WeightPrecision, rows: Int, columns: Int) -> [Float] {
        var w = values
        w.withUnsafeMutableBufferPointer { precision.round($0.baseAddress!, rows: rows, columns: columns, ld: columns) }
        return w
    }

    @Test func bf16RoundsToNearestEven() {
        let cases: [(Float, Float)] = [
            (1, 1), (1 + 0x1p-8, 1), (1 + 3 * 0x1p-8, 1 + 0x1p-6), (1 + 0x1p-8 + 0x1p-20, 1 + 0x1p-7),
            (-1 - 0x1p-8, -1), (.greatestFiniteMagnitude, .infinity), (.infinity, .infinity), (-.infinity, -.infinity),
            (0x1p-130, 0x1p-130), (0x1p-140, 0), (-0.0, -0.0),   // subnormals: kept to bf16's spacing, 2⁻¹³³
        ]
        for (x, expected) in cases {
            let r = Self.rounded([x], .bf16, rows: 1, columns: 1)[0]
            #expect(r == expected && r.sign == expected.sign, "bf16(\(x)) = \(r), expected \(expected)")
        }
        #expect(Self.rounded([.nan], .bf16, rows: 1, columns: 1)[0].isNaN)
        var rng = SplitMix64(seed: 5)
        for _ in 0..<20_000 {
            let bits = UInt32(truncatingIfNeeded: rng.next())
            let x = Float(bitPattern: bits)
            guard !x.isNaN else { continue }
            let r = Self.rounded([x], .bf16, rows: 1, columns: 1)[0]
            #expect(r == Self.bf16Reference(x) && r.bitPattern & 0xFFFF == 0, "bf16(\(x)) = \(r), reference \(Self.bf16Reference(x))")
        }
    }

    /// Each set's bf16 product equals its fp32 product over the rounded B, bit for bit:
    /// both layouts, beta 0 and 1, every shape of PackedGEMMTests, and column ranges that start a panel.
    static func reducedEqualsRoundedFP32(_ set: KernelSet, maximumProduct: Int = .max, sourceLocation: SourceLocation = #_sourceLocation) {
        var rng = SplitMix64(seed: 22)
        let reduced = PackedMatrix(), reference = PackedMatrix()
        for (m, n, k) in PackedGEMMTests.shapes where m * n * k <= maximumProduct {
            let lda = k + 3, ldc = n + 5
            let a = PackedGEMMTests.random(max(1, m * lda), &rng)
            let w = PackedGEMMTests.random(n * k, &rng)                       // W (n, k): B = Wᵀ, per-row scales of W
            let c0 = PackedGEMMTests.random(m * ldc, &rng)
            for precision in [WeightPrecision.bf16] {
                let wr = rounded(w, precision, rows: n, columns: k)
                reduced.pack(from: w, ld: k, transposed: true, rows: k, columns: n, kernels: set, precision: precision)
                reference.pack(from: wr, ld: k, transposed: true, rows: k, columns: n, kernels: set)
                #expect(reduced.bytes < reference.bytes || n * k == 0, sourceLocation: sourceLocation)
                for beta: Float in [0, 1] {
                    var got = c0, want = c0
                    BLAS.packedSGEMM(m: m, a: a, lda: lda, packed: reduced, beta: beta, c: &got, ldc: ldc)
                    BLAS.packedSGEMM(m: m, a: a, lda: lda, packed: reference, beta: beta, c: &want, ldc: ldc)
                    #expect(got.map(\.bitPattern) == want.map(\.bitPattern),
                            "\(set) \(precision) m \(m) n \(n) k \(k) beta \(beta)", sourceLocation: sourceLocation)
                    var split = c0
                    Parallel.withThreadCount(3) {
                        BLAS.parallelPackedSGEMM(m: m, a: a, lda: lda, packed: reduced, beta: beta, c: &split, ldc: ldc)
                    }
                    #expect(split.map(\.bitPattern) == want.map(\.bitPattern),
                            "split \(set) \(precision) m \(m) n \(n) k \(k)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// The portable product is generic Swift SIMD, slow in a debug build: the shapes up to 100k multiply-adds.
    @Test func portableReducedEqualsRoundedFP32() { Self.reducedEqualsRoundedFP32(.portable, maximumProduct: 100_000) }

    @Test(.enabled(if: Kernels.runs("avx2"), "this CPU (or OS) has no AVX2 + FMA"))
    func avx2ReducedEqualsRoundedFP32() { Self.reducedEqualsRoundedFP32(.avx2) }

    @Test(.enabled(if: Kernels.runs("avx512"), "this CPU (or OS) has no AVX-512"))
    func avx512ReducedEqualsRoundedFP32() { Self.reducedEqualsRoundedFP32(.avx512) }

    /// The copies take 2 and 1 bytes an element (and int8 a scale and an offset per column).
    @Test func copiesAreSmaller() {
        let w = [Float](repeating: 0.5, count: 256 * 1024)
        for set in Kernels.available {
            var bytes: [WeightPrecision: Int] = [:]
            for precision in WeightPrecision.allCases {
                let p = PackedMatrix()
                p.pack(from: w, ld: 256, transposed: true, rows: 256, columns: 1024, kernels: set, precision: precision)
                bytes[precision] = p.bytes
            }
            #expect(bytes[.fp32] == 4 * 256 * 1024 && bytes[.bf16] == 2 * 256 * 1024 && bytes[.int8] == 256 * 1024 + 8 * 1024, "\(set): \(bytes)")
        }
    }
}
