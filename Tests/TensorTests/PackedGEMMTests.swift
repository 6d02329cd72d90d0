import TestSupport
import Testing
import Tensor

/// `BLAS.packedSGEMM` in every kernel set this CPU runs — portable (OpenBLAS /
/// Swift), AVX2 + FMA (16-column panels), AVX-512 (32-column panels) — against
/// the product computed in Double, and the C kernels' row independence.
///
/// Tolerance, not bit equality: the C kernels use FMA (one rounding per
/// multiply-add) and sum in another order than the portable product, so the
/// sets agree within rounding only. Each element must lie within
/// (k + 2)·2⁻²³·(Σ_p |a_ip·b_pj| + |c_ij|) of the exact value: k roundings of
/// at most 2⁻²⁴ relative each, with a margin of 2 (the classic bound for a
/// dot product summed in any order). Two sets within it of the exact value are
/// within twice it of each other. The AVX2 and AVX-512 kernels run the same
/// FMA chain per element, so they must agree bit for bit.
///
/// A set this CPU lacks is skipped with its reason (`.enabled(if:)`), never passed silently.
@Suite struct PackedGEMMTests {
    static func random(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in rng.nextFloat(in: -1, 1) }
    }

    /// m 1…70 (every row-group size of both C kernels: groups of ≤ 12 and ≤ 6 rows,
    /// one row taking several panels), odd n and k, n below, at and past a panel
    /// width (16, 32), leading dimensions wider than the matrices.
    static let shapes: [(m: Int, n: Int, k: Int)] = {
        var shapes: [(m: Int, n: Int, k: Int)] = [
            (25, 512, 128), (25, 128, 512), (25, 768, 256), (25, 256, 768), (1, 512, 128), (1, 2048, 64),
            (3, 1, 1), (2, 33, 7), (13, 100, 100), (70, 47, 31), (5, 129, 3), (1, 31, 1),
            (1, 15, 3), (1, 17, 9), (1, 100, 77), (6, 16, 9), (7, 8, 1), (12, 48, 5), (2, 49, 13), (3, 40, 11),
        ]
        for m in 1...70 { shapes.append((m, [1, 17, 32, 45, 97, 160][m % 6], [1, 5, 33, 64][m % 4])) }
        return shapes
    }()

    @Test func portableMatchesExact() { Self.matchesExact(.portable) }

    @Test(.enabled(if: Kernels.runs("avx2"), "this CPU (or OS) has no AVX2 + FMA"))
    func avx2MatchesExact() { Self.matchesExact(.avx2) }

    @Test(.enabled(if: Kernels.runs("avx512"), "this CPU (or OS) has no AVX-512"))
    func avx512MatchesExact() { Self.matchesExact(.avx512) }

    /// C = A·B (+ C) for B packed from either layout in `set`, against the exact
    /// product: within the rounding bound above, the padding columns of C untouched,
    /// and with beta 0, C not read (NaN there does not leak).
    static func matchesExact(_ set: KernelSet, sourceLocation: SourceLocation = #_sourceLocation) {
        var rng = SplitMix64(seed: 21)
        let packed = PackedMatrix()
        for (m, n, k) in shapes {
            let lda = k + 3, ldc = n + 5
            let a = Self.random(max(1, m * lda), &rng)
            let b = Self.random(k * n, &rng)                                    // (k, n)
            var bT = [Float](repeating: 0, count: n * k)                        // (n, k)
            BLAS.transpose(b, rows: k, columns: n, into: &bT)
            for transposed in [false, true] {
                if transposed { packed.pack(from: bT, ld: k, transposed: true, rows: k, columns: n, kernels: set) }
                else { packed.pack(from: b, ld: n, transposed: false, rows: k, columns: n, kernels: set) }
                #expect(packed.kernels == set, sourceLocation: sourceLocation)
                for beta in [Float(0), 1] {
                    var c0 = Self.random(m * ldc, &rng)
                    if beta == 0 { for i in 0..<m { for j in 0..<n { c0[i * ldc + j] = .nan } } }  // not read
                    var fast = c0
                    fast.withUnsafeMutableBufferPointer { c in
                        BLAS.packedSGEMM(m: m, a: a, lda: lda, packed: packed, beta: beta, c: c.baseAddress!, ldc: ldc)
                    }
                    var worst = 0.0, paddingWritten = false   // worst: error ÷ bound
                    for i in 0..<m {
                        for j in 0..<ldc {
                            let got = fast[i * ldc + j]
                            if j >= n { paddingWritten = paddingWritten || got.bitPattern != c0[i * ldc + j].bitPattern; continue }
                            var exact = beta == 0 ? 0 : Double(c0[i * ldc + j]), magnitude = abs(exact)
                            for p in 0..<k {
                                let product = Double(a[i * lda + p]) * Double(b[p * n + j])
                                exact += product
                                magnitude += abs(product)
                            }
                            let bound = Double(k + 2) * 0x1p-23 * magnitude
                            let error = abs(Double(got) - exact)
                            worst = max(worst, error.isNaN ? .infinity : bound == 0 ? (error == 0 ? 0 : .infinity) : error / bound)
                        }
                    }
                    #expect(!paddingWritten, "\(set) m\(m) n\(n) k\(k): columns ≥ n written", sourceLocation: sourceLocation)
                    #expect(worst <= 1, "\(set) m\(m) n\(n) k\(k) transposed \(transposed) beta \(beta): error \(worst) × the bound",
                            sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// Repacking a smaller shape reuses the buffer; a larger one grows it.
    @Test(arguments: Kernels.available) func repackReusesTheBuffer(_ set: KernelSet) {
        var rng = SplitMix64(seed: 5)
        let b = Self.random(256 * 128, &rng)
        let packed = PackedMatrix()
        packed.pack(from: b, ld: 128, transposed: true, rows: 128, columns: 256, kernels: set)
        let first = packed.capacity
        packed.pack(from: b, ld: 128, transposed: false, rows: 256, columns: 128, kernels: set)
        #expect(packed.capacity == first)
        #expect(packed.rows == 256 && packed.columns == 128)
    }

    @Test(.enabled(if: Kernels.runs("avx2"), "this CPU (or OS) has no AVX2 + FMA"))
    func avx2RowResultDoesNotDependOnTheRowGroup() { Self.rowResultDoesNotDependOnTheRowGroup(.avx2) }

    @Test(.enabled(if: Kernels.runs("avx512"), "this CPU (or OS) has no AVX-512"))
    func avx512RowResultDoesNotDependOnTheRowGroup() { Self.rowResultDoesNotDependOnTheRowGroup(.avx512) }

    /// A C kernel's row result is bit for bit the same whether computed alone,
    /// in a group of 7 or of 25 rows (the recurrence splits batch rows across
    /// threads, and training resumes compare bit for bit).
    static func rowResultDoesNotDependOnTheRowGroup(_ set: KernelSet, sourceLocation: SourceLocation = #_sourceLocation) {
        var rng = SplitMix64(seed: 8)
        for (n, k) in [(512, 128), (100, 37), (128, 512), (47, 5)] {
            let m = 25
            let a = Self.random(m * k, &rng), b = Self.random(k * n, &rng)
            let c0 = Self.random(m * n, &rng)
            let packed = PackedMatrix()
            packed.pack(from: b, ld: n, transposed: false, rows: k, columns: n, kernels: set)
            for beta in [Float(0), 1] {
                var whole = c0
                whole.withUnsafeMutableBufferPointer { c in
                    BLAS.packedSGEMM(m: m, a: a, lda: k, packed: packed, beta: beta, c: c.baseAddress!, ldc: n)
                }
                for group in [1, 2, 3, 7] {
                    var pieces = c0
                    var r = 0
                    while r < m {
                        let rows = min(group, m - r)
                        pieces.withUnsafeMutableBufferPointer { c in
                            a.withUnsafeBufferPointer { ab in
                                BLAS.packedSGEMM(m: rows, a: ab.baseAddress! + r * k, lda: k, packed: packed, beta: beta,
                                                 c: c.baseAddress! + r * n, ldc: n)
                            }
                        }
                        r += rows
                    }
                    let differing = zip(pieces, whole).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                    #expect(differing == 0, "\(set) n\(n) k\(k) beta \(beta): groups of \(group) differ from one group of 25",
                            sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// AVX2 and AVX-512 run the same FMA chain per element (`ck_gemm.h`): the same
    /// bits, although their panels and register blocks differ.
    @Test(.enabled(if: Kernels.runs("avx2") && Kernels.runs("avx512"),
                   "this CPU lacks AVX2 + FMA or AVX-512: nothing to compare"))
    func avx2AndAVX512AgreeBitForBit() {
        var rng = SplitMix64(seed: 13)
        let avx2 = PackedMatrix(), avx512 = PackedMatrix()
        for (m, n, k) in Self.shapes {
            let a = Self.random(m * k, &rng), b = Self.random(k * n, &rng), c0 = Self.random(m * n, &rng)
            avx2.pack(from: b, ld: n, transposed: false, rows: k, columns: n, kernels: .avx2)
            avx512.pack(from: b, ld: n, transposed: false, rows: k, columns: n, kernels: .avx512)
            for beta in [Float(0), 1] {
                var x = c0, y = c0
                x.withUnsafeMutableBufferPointer { c in
                    BLAS.packedSGEMM(m: m, a: a, lda: k, packed: avx2, beta: beta, c: c.baseAddress!, ldc: n)
                }
                y.withUnsafeMutableBufferPointer { c in
                    BLAS.packedSGEMM(m: m, a: a, lda: k, packed: avx512, beta: beta, c: c.baseAddress!, ldc: n)
                }
                let differing = zip(x, y).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                #expect(differing == 0, "m\(m) n\(n) k\(k) beta \(beta): \(differing) elements differ")
            }
        }
    }
}
