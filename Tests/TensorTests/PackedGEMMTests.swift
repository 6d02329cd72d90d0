import Testing
import Tensor

/// `BLAS.packedSGEMM` (the AVX-512 packed small-M kernel, and its portable
/// fallback) against `NaiveBLAS`, and the AVX-512 kernel's row independence.
@Suite struct PackedGEMMTests {
    static func random(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in rng.nextFloat(in: -1, 1) }
    }

    /// Runs `body` for the AVX-512 kernel (when the CPU has it) and the portable path.
    /// (An argument, not the global `Kernels.useAVX512`, which other suites running meanwhile would see.)
    static func bothKernels(_ body: (Bool) -> Void) {
        for avx in Kernels.avx512Available ? [true, false] : [false] { body(avx) }
    }

    /// C = A·B (+ C) for B packed from either layout, against the naive product:
    /// m 1…70 (every row-group size of the kernel), odd n and k, leading
    /// dimensions wider than the matrices (the padding columns of C untouched).
    @Test func matchesNaive() {
        var rng = SplitMix64(seed: 21)
        var shapes: [(m: Int, n: Int, k: Int)] = [
            (25, 512, 128), (25, 128, 512), (25, 768, 256), (25, 256, 768), (1, 512, 128), (1, 2048, 64),
            (3, 1, 1), (2, 33, 7), (13, 100, 100), (70, 47, 31), (5, 129, 3), (1, 31, 1),
        ]
        for m in 1...70 { shapes.append((m, [1, 17, 32, 45, 97, 160][m % 6], [1, 5, 33, 64][m % 4])) }
        Self.bothKernels { avx in
            let packed = PackedMatrix()
            for (m, n, k) in shapes {
                let lda = k + 3, ldc = n + 5
                let a = Self.random(max(1, m * lda), &rng)
                let b = Self.random(k * n, &rng)                                    // (k, n)
                var bT = [Float](repeating: 0, count: n * k)                        // (n, k)
                BLAS.transpose(b, rows: k, columns: n, into: &bT)
                for transposed in [false, true] {
                    if transposed { packed.pack(from: bT, ld: k, transposed: true, rows: k, columns: n, panels: avx) }
                    else { packed.pack(from: b, ld: n, transposed: false, rows: k, columns: n, panels: avx) }
                    #expect(packed.isPanels == avx)
                    for beta in [Float(0), 1] {
                        var c0 = Self.random(m * ldc, &rng)
                        if beta == 0 { for i in 0..<m { for j in 0..<n { c0[i * ldc + j] = .nan } } }  // not read
                        var fast = c0, slow = c0
                        fast.withUnsafeMutableBufferPointer { c in
                            BLAS.packedSGEMM(m: m, a: a, lda: lda, packed: packed, beta: beta, c: c.baseAddress!, ldc: ldc)
                        }
                        slow.withUnsafeMutableBufferPointer { c in
                            NaiveBLAS.sgemm(.none, .none, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: n,
                                            beta: beta, c: c.baseAddress!, ldc: ldc)
                        }
                        var worst: Float = 0, paddingWritten = false
                        for i in 0..<m {
                            for j in 0..<ldc {
                                let d = abs(fast[i * ldc + j] - slow[i * ldc + j])
                                if j >= n { paddingWritten = paddingWritten || fast[i * ldc + j] != c0[i * ldc + j] }
                                else { worst = max(worst, d.isNaN ? .infinity : d) }
                            }
                        }
                        #expect(!paddingWritten, "avx \(avx) m\(m) n\(n) k\(k): columns ≥ n written")
                        #expect(worst <= 2e-6 * Float(max(k, 1)),
                                "avx \(avx) m\(m) n\(n) k\(k) transposed \(transposed) beta \(beta): off by \(worst)")
                    }
                }
            }
        }
    }

    /// Repacking a smaller shape reuses the buffer; a larger one grows it.
    @Test func repackReusesTheBuffer() {
        var rng = SplitMix64(seed: 5)
        let b = Self.random(256 * 128, &rng)
        Self.bothKernels { avx in
            let packed = PackedMatrix()
            packed.pack(from: b, ld: 128, transposed: true, rows: 128, columns: 256, panels: avx)
            let first = packed.capacity
            packed.pack(from: b, ld: 128, transposed: false, rows: 256, columns: 128, panels: avx)
            #expect(packed.capacity == first)
            #expect(packed.rows == 256 && packed.columns == 128)
        }
    }

    /// AVX-512: a row's result is bit for bit the same whether computed alone,
    /// in a group of 7 or of 25 rows (the recurrence splits batch rows across
    /// threads, and training resumes compare bit for bit).
    @Test func rowResultDoesNotDependOnTheRowGroup() {
        guard Kernels.avx512Available else { print("rowResultDoesNotDependOnTheRowGroup: skipped, no AVX-512 on this CPU"); return }
        var rng = SplitMix64(seed: 8)
        for (n, k) in [(512, 128), (100, 37), (128, 512)] {
            let m = 25
            let a = Self.random(m * k, &rng), b = Self.random(k * n, &rng)
            let c0 = Self.random(m * n, &rng)
            let packed = PackedMatrix()
            packed.pack(from: b, ld: n, transposed: false, rows: k, columns: n, panels: true)
            for beta in [Float(0), 1] {
                var whole = c0
                whole.withUnsafeMutableBufferPointer { c in
                    BLAS.packedSGEMM(m: m, a: a, lda: k, packed: packed, beta: beta, c: c.baseAddress!, ldc: n)
                }
                for group in [1, 7] {
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
                    #expect(differing == 0, "n\(n) k\(k) beta \(beta): groups of \(group) differ from one group of 25")
                }
            }
        }
    }
}
