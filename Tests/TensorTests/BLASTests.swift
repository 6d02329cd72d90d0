import Testing
import Tensor
import TestSupport

/// OpenBLAS against the naive loops, on odd sizes, every transpose combination,
/// leading dimensions wider than the matrices (sub-blocks), alpha and beta.
@Suite struct BLASTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 5, 7), (17, 1, 9), (1, 13, 4), (23, 19, 31), (64, 33, 5)]

    static func random(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in rng.nextFloat(in: -1, 1) }
    }

    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func sgemmMatchesNaive(transA: Transpose, transB: Transpose) {
        var rng = SplitMix64(seed: 1)
        for (m, n, k) in Self.shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                // Stored shapes, each with 3 padding columns so ld > width is exercised.
                let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
                let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
                let lda = aCols + 3, ldb = bCols + 3, ldc = n + 3
                let a = Self.random(aRows * lda, &rng), b = Self.random(bRows * ldb, &rng)
                let c0 = Self.random(m * ldc, &rng)
                var fast = c0, slow = c0
                fast.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                               beta: beta, c: c.baseAddress!, ldc: ldc)
                }
                slow.withUnsafeMutableBufferPointer { c in
                    NaiveBLAS.sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                    beta: beta, c: c.baseAddress!, ldc: ldc)
                }
                for i in 0..<m {
                    for j in 0..<ldc {
                        let idx = i * ldc + j
                        if j < n {
                            #expect(abs(fast[idx] - slow[idx]) <= 1e-5 * Float(k + 1), "m\(m) n\(n) k\(k) at (\(i),\(j))")
                        } else {
                            #expect(fast[idx] == c0[idx] && slow[idx] == c0[idx], "padding column written")
                        }
                    }
                }
            }
        }
    }

    @Test func naiveSgemmIsAMatrixProduct() {
        // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]]; the reference itself checked by hand.
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: .nan, count: 4)  // beta = 0 must not read C
        NaiveBLAS.sgemm(.none, .none, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
        #expect(c == [19, 22, 43, 50])
        var d = [Float](repeating: .nan, count: 4)
        BLAS.sgemm(.none, .none, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &d, ldc: 2)
        #expect(d == [19, 22, 43, 50])
        // Aᵀ·B = [[26,30],[38,44]]
        BLAS.sgemm(.transposed, .none, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &d, ldc: 2)
        #expect(d == [26, 30, 38, 44])
    }

    @Test(arguments: [Transpose.none, .transposed])
    func sgemvMatchesNaive(trans: Transpose) {
        var rng = SplitMix64(seed: 2)
        for (m, n, _) in Self.shapes {
            let lda = n + 2
            let a = Self.random(m * lda, &rng)
            let x = Self.random(trans == .none ? n : m, &rng)
            let y0 = Self.random(trans == .none ? m : n, &rng)
            var fast = y0, slow = y0
            BLAS.sgemv(trans, m: m, n: n, alpha: 0.75, a: a, lda: lda, x: x, beta: 0.5, y: &fast)
            NaiveBLAS.sgemv(trans, m: m, n: n, alpha: 0.75, a: a, lda: lda, x: x, beta: 0.5, y: &slow)
            for i in fast.indices { #expect(abs(fast[i] - slow[i]) <= 1e-5 * Float(max(m, n))) }
        }
    }

    /// Tests change the thread count only inside `withThreadCount`, never the process-wide
    /// setting that suites running meanwhile read: the scope reaches the parts that
    /// `forEach` runs on other threads, and ends with the call.
    @Test func threadCountScopeReachesThePartsAndEnds() {
        let before = BLAS.threadCount
        #expect(before >= 1)
        Parallel.withThreadCount(3) {
            #expect(BLAS.threadCount == 3)
            var seen = [Int](repeating: 0, count: 3)
            seen.withUnsafeMutableBufferPointer { seen in Parallel.forEach(3) { p in seen[p] = Parallel.threadCount } }
            #expect(seen == [3, 3, 3])
        }
        Parallel.withThreadCount(0) { #expect(BLAS.threadCount == 1) }
        #expect(BLAS.threadCount == before)
    }
}
