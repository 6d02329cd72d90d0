import Foundation
import Testing
import Tensor
import TestSupport

/// The fast paths added for speed, each against the plain version it replaces:
/// work splitting, the blocked and parallel GEMMs, the transpose, the
/// vector activations (bit for bit the scalar ones) and the transposed-table
/// gather / scatter.
@Suite struct ParallelKernelTests {
    static func random(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in rng.nextFloat(in: -1, 1) }
    }

    // MARK: Splitting work

    @Test func rangesCoverEveryItemOnceOnAlignedBoundaries() {
        for count in [0, 1, 7, 16, 50, 1000, 1001] {
            for parts in 1...5 {
                for alignment in [1, 8, 16] {
                    var next = 0
                    for p in 0..<parts {
                        let r = Parallel.range(p, of: parts, count: count, alignment: alignment)
                        #expect(r.lowerBound == next, "count \(count) parts \(parts) part \(p)")
                        if p < parts - 1 { #expect(r.upperBound % alignment == 0 || r.upperBound == count) }
                        next = r.upperBound
                    }
                    #expect(next == count)
                }
            }
        }
        #expect(Parallel.range(0, of: 2, count: 50) == 0..<25)
        #expect(Parallel.range(1, of: 2, count: 50) == 25..<50)
    }

    @Test func forEachRunsEveryPartOnceEvenNestedOrConcurrently() {
        Parallel.withThreadCount(2) { Self.forEachRunsEveryPartOnceEvenNestedOrConcurrently() }
    }

    static func forEachRunsEveryPartOnceEvenNestedOrConcurrently() {
        for parts in [1, 2, 3, 7] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: parts * 4)
            hits.initialize(repeating: 0, count: parts * 4)
            defer { hits.deallocate() }
            Parallel.forEach(parts) { p in
                hits[p * 4] += 1
                // A call inside a part runs serially on that thread.
                Parallel.forEach(3) { q in if q == 0 { hits[p * 4 + 1] += 1 } }
            }
            for p in 0..<parts {
                #expect(hits[p * 4] == 1, "part \(p) of \(parts)")
                #expect(hits[p * 4 + 1] == 1, "nested call in part \(p)")
            }
        }
        // Calls from several threads at once: each still runs every part once.
        let counters = UnsafeMutablePointer<Int>.allocate(capacity: 8 * 2)
        counters.initialize(repeating: 0, count: 16)
        defer { counters.deallocate() }
        let shared = UnsafeSendablePointer(counters)
        DispatchQueue.concurrentPerform(iterations: 8) { caller in
            // (Dispatch's threads are outside this test's task: each caller scopes its own count.)
            Parallel.withThreadCount(2) {
                for _ in 0..<50 { Parallel.forEach(2) { p in shared.pointer[caller * 2 + p] += 1 } }
            }
        }
        for i in 0..<16 { #expect(counters[i] == 50) }
    }

    struct UnsafeSendablePointer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Int>
        init(_ p: UnsafeMutablePointer<Int>) { pointer = p }
    }

    // MARK: GEMMs

    /// The portable set's per-step product: the engine's shapes and odd ones, through every branch of the blocking.
    @Test func smallGEMMMatchesNaive() {
        var rng = SplitMix64(seed: 11)
        let shapes: [(m: Int, n: Int, k: Int)] = [
            (1, 5, 3), (3, 20, 5), (25, 512, 128), (50, 512, 128), (25, 128, 512), (50, 768, 256),
            (25, 256, 768), (25, 2048, 512), (7, 1100, 37), (50, 40, 4000),
        ]
        for (m, n, k) in shapes {
            let lda = k + 2, ldc = n + 3
            let a = Self.random(m * lda, &rng), b = Self.random(k * n, &rng)   // b (k, n)
            for beta in [Float(0), 1] {
                let c0 = Self.random(m * ldc, &rng)
                var fast = c0, slow = c0
                fast.withUnsafeMutableBufferPointer { c in
                    SmallGEMM.multiply(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: n, beta: beta, c: c.baseAddress!, ldc: ldc)
                }
                slow.withUnsafeMutableBufferPointer { c in
                    NaiveBLAS.sgemm(.none, .none, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: n, beta: beta, c: c.baseAddress!, ldc: ldc)
                }
                var worst: Float = 0
                for i in 0..<m {
                    for j in 0..<ldc {
                        let d = abs(fast[i * ldc + j] - slow[i * ldc + j])
                        if j >= n { #expect(d == 0, "padding written") } else { worst = max(worst, d) }
                    }
                }
                #expect(worst <= 2e-6 * Float(k), "m\(m) n\(n) k\(k) beta \(beta): off by \(worst)")
            }
        }
    }

    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func parallelSGEMMMatchesNaive(transA: Transpose, transB: Transpose) {
        var rng = SplitMix64(seed: 12)
        for threads in [1, 2, 3] {
            Parallel.withThreadCount(threads) {
                for (m, n, k) in [(300, 130, 90), (40, 700, 150), (129, 129, 257)] {
                    let (aRows, aCols) = transA == .none ? (m, k) : (k, m)
                    let (bRows, bCols) = transB == .none ? (k, n) : (n, k)
                    let a = Self.random(aRows * aCols, &rng), b = Self.random(bRows * bCols, &rng)
                    let c0 = Self.random(m * n, &rng)
                    var fast = c0, slow = c0
                    fast.withUnsafeMutableBufferPointer { c in
                        BLAS.parallelSGEMM(transA, transB, m: m, n: n, k: k, a: a, lda: aCols, b: b, ldb: bCols,
                                           beta: 0.5, c: c.baseAddress!, ldc: n)
                    }
                    slow.withUnsafeMutableBufferPointer { c in
                        NaiveBLAS.sgemm(transA, transB, m: m, n: n, k: k, a: a, lda: aCols, b: b, ldb: bCols,
                                        beta: 0.5, c: c.baseAddress!, ldc: n)
                    }
                    for i in fast.indices { #expect(abs(fast[i] - slow[i]) <= 2e-6 * Float(k), "m\(m) n\(n) k\(k) threads \(threads)") }
                }
            }
        }
    }

    @Test func transposeIsExact() {
        for (r, c) in [(1, 1), (3, 17), (16, 16), (9, 8), (65, 512)] {
            let a = (0..<(r * c)).map { Float($0) }
            var t = [Float](repeating: .nan, count: r * c)
            BLAS.transpose(a, rows: r, columns: c, into: &t)
            for i in 0..<r { for j in 0..<c { #expect(t[j * r + i] == a[i * c + j]) } }
        }
    }

    // MARK: Vector activations

    /// Every lane of the vector functions equals the scalar function bit for bit
    /// (so a window's kernels, their scalar tails and batch-1 sampling agree exactly).
    @Test func vectorActivationsAreBitIdenticalToScalar() {
        var xs: [Float] = [0, -0.0, 1e-30, -1e-30, 1e-6, 0.624, 0.625, 0.626, -0.625, 20, -20, 87, -87, 87.5, -87.5,
                           88, -88, 89, -89, 100, -100, 1e10, -1e10, .infinity, -.infinity, .leastNonzeroMagnitude,
                           .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        var rng = SplitMix64(seed: 13)
        for _ in 0..<4000 { xs.append(rng.nextFloat(in: -30, 30)) }
        while xs.count % Elementwise.lanes != 0 { xs.append(rng.nextFloat(in: -3, 3)) }
        let n = Elementwise.lanes
        for start in stride(from: 0, to: xs.count, by: n) {
            let v = xs.withUnsafeBufferPointer { Elementwise.Vector(loading: $0.baseAddress! + start) }
            let e = Elementwise.exp(v), s = Elementwise.sigmoid(v), t = Elementwise.tanh(v), r = Elementwise.relu(v)
            for i in 0..<n {
                let x = xs[start + i]
                #expect(e[i].bitPattern == Elementwise.exp(x).bitPattern, "exp(\(x))")
                #expect(s[i].bitPattern == Elementwise.sigmoid(x).bitPattern, "sigmoid(\(x))")
                #expect(t[i].bitPattern == Elementwise.tanh(x).bitPattern, "tanh(\(x))")
                #expect(r[i].bitPattern == Elementwise.relu(x).bitPattern, "relu(\(x))")
            }
        }
        let nan = Elementwise.Vector(repeating: .nan)
        #expect(Elementwise.exp(nan)[0].isNaN && Elementwise.sigmoid(nan)[3].isNaN)
        #expect(Elementwise.tanh(nan)[7].isNaN && Elementwise.relu(nan)[15].isNaN)
    }

    @Test func selectPicksPerLane() {
        let a = Elementwise.Vector((0..<16).map { Float($0) }), b = Elementwise.Vector(repeating: -1)
        let picked = Elementwise.select(a .< 5, a, b)
        for i in 0..<16 { #expect(picked[i] == (i < 5 ? Float(i) : -1)) }
    }

    // MARK: One-hot through a transposed table

    @Test func transposedGatherAndScatterEqualTheColumnOnes() {
        var rng = SplitMix64(seed: 14)
        for (n, m, v) in [(7, 12, 5), (40, 37, 9), (100, 64, 65)] {
            let w = Self.random(m * v, &rng), bias = Self.random(m, &rng)
            let tokens = (0..<n).map { _ in Int32(rng.next() % UInt64(v)) }
            var wt = [Float](repeating: 0, count: v * m)
            BLAS.transpose(w, rows: m, columns: v, into: &wt)
            var byColumns = [Float](repeating: 0, count: n * m), byRows = [Float](repeating: .nan, count: n * m)
            OneHot.gatherColumns(tokens: tokens, count: n, weight: w, rows: m, columns: v, bias: bias, out: &byColumns, ldo: m)
            OneHot.gatherRows(tokens: tokens, count: n, table: wt, width: m, vocabularySize: v, bias: bias, out: &byRows, ldo: m)
            #expect(byRows == byColumns)

            let dOut = Self.random(n * m, &rng)
            var dW = [Float](repeating: 0, count: m * v), dWt = [Float](repeating: 0, count: v * m)
            var dWViaRows = [Float](repeating: 0, count: m * v)
            OneHot.scatterAddColumns(tokens: tokens, count: n, gradient: dOut, ldd: m, into: &dW, rows: m, columns: v)
            // Two column ranges, as two threads would do them.
            for range in [0..<(m / 2), (m / 2)..<m] {
                OneHot.scatterAddRows(tokens: tokens, count: n, gradient: dOut, ldd: m, into: &dWt, width: m,
                                      vocabularySize: v, columns: range)
                OneHot.addTransposed(dWt, width: m, vocabularySize: v, into: &dWViaRows, rows: range)
            }
            #expect(dWViaRows == dW)  // from zero, the same additions in the same order
        }
    }
}
