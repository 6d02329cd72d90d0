// The portable kernel set's small-M product, C (m, n) = A (m, k) · B (k, n) + beta·C,
// for the per-step products of a recurrence (m = a few dozen batch rows, or
// 1 when sampling) against a B laid out once (`PackedMatrix`).
//
// Why not OpenBLAS here: its sgemm packs B on every call, and on CPUs whose
// kernels have no small-matrix path (Zen: `sgemm_itcopy_ZEN` was 37% of batch-1
// sampling) that copy costs more than the product itself at this m. This loop
// reads B in place, row by row, and never copies it.
//
// Register block: 4 rows of C × 16 columns, each row's 16 accumulators one
// SIMD16<Float> (four 128-bit registers on SSE or NEON, two on AVX, one on
// AVX-512 if the compiler may use it), so that a B row segment loaded once
// feeds four rows. Swift SIMD types compile to the vector unit of whatever
// CPU the binary targets, ARM64 included; the AVX2 and AVX-512 sets have
// their own C kernels with panels packed for them.
//
// Every C element is one chain over p = 0 ..< k in order (a multiply, then an
// add: no fused multiply-add), started from C (beta = 1) or 0, so a row's
// result does not depend on which rows it was computed with.

public enum SmallGEMM {
    /// B (k, n) row-major with leading dimension ldb ≥ n; beta is 0 (C not read) or 1.
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int, beta: Float,
                                c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(beta == 0 || beta == 1, "SmallGEMM: beta must be 0 or 1")
        var i = 0
        while i + 4 <= m {
            rows4(i, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            i += 4
        }
        while i < m {
            row1(i, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            i += 1
        }
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// Rows i ..< i + 4 of C.
    private static func rows4(_ i: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                              b: UnsafePointer<Float>, ldb: Int, beta: Float,
                              c: UnsafeMutablePointer<Float>, ldc: Int) {
        let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
        let c0 = c + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
        var j = 0
        while j + 16 <= n {
            var s0 = beta == 0 ? .zero : load(c0 + j), s1 = beta == 0 ? .zero : load(c1 + j)
            var s2 = beta == 0 ? .zero : load(c2 + j), s3 = beta == 0 ? .zero : load(c3 + j)
            var bp = b + j
            for p in 0..<k {
                let row = load(bp)
                s0 += a0[p] * row
                s1 += a1[p] * row
                s2 += a2[p] * row
                s3 += a3[p] * row
                bp += ldb
            }
            store(s0, c0 + j); store(s1, c1 + j); store(s2, c2 + j); store(s3, c3 + j)
            j += 16
        }
        if j < n {
            for r in 0..<4 { tail(i + r, from: j, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) }
        }
    }

    /// Row i of C.
    private static func row1(_ i: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int, beta: Float,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        let ai = a + i * lda, ci = c + i * ldc
        var j = 0
        // Four column blocks at once: four independent add chains hide the add latency.
        while j + 64 <= n {
            var s0 = beta == 0 ? .zero : load(ci + j), s1 = beta == 0 ? .zero : load(ci + j + 16)
            var s2 = beta == 0 ? .zero : load(ci + j + 32), s3 = beta == 0 ? .zero : load(ci + j + 48)
            var bp = b + j
            for p in 0..<k {
                let x = ai[p]
                s0 += x * load(bp); s1 += x * load(bp + 16)
                s2 += x * load(bp + 32); s3 += x * load(bp + 48)
                bp += ldb
            }
            store(s0, ci + j); store(s1, ci + j + 16); store(s2, ci + j + 32); store(s3, ci + j + 48)
            j += 64
        }
        while j + 16 <= n {
            var s = beta == 0 ? .zero : load(ci + j)
            var bp = b + j
            for p in 0..<k {
                s += ai[p] * load(bp)
                bp += ldb
            }
            store(s, ci + j)
            j += 16
        }
        if j < n { tail(i, from: j, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) }
    }

    /// Columns j0 ..< n of row i, one at a time (fewer than 16).
    private static func tail(_ i: Int, from j0: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int, beta: Float,
                             c: UnsafeMutablePointer<Float>, ldc: Int) {
        let ai = a + i * lda, ci = c + i * ldc
        for j in j0..<n {
            var s: Float = beta == 0 ? 0 : ci[j]
            for p in 0..<k { s += ai[p] * b[p * ldb + j] }
            ci[j] = s
        }
    }

    // MARK: bf16 B (sampling from bf16 weights; int8 weights multiply in integers: `I8Dot`)

    /// B (k, n) of bf16 bits, row-major with ldb ≥ n: each element widened exactly, then the same
    /// multiply-and-add chain per C element as the fp32 product over the rounded B. One C row at a
    /// time, 16 columns per vector (m is 1 when sampling).
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<UInt16>, ldb: Int, beta: Float,
                                c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(beta == 0 || beta == 1, "SmallGEMM: beta must be 0 or 1")
        for i in 0..<m {
            let ai = a + i * lda, ci = c + i * ldc
            var j = 0
            while j + 16 <= n {
                var s = beta == 0 ? .zero : load(ci + j)
                var bp = b + j
                for q in 0..<k {
                    s += ai[q] * widen16(bp)
                    bp += ldb
                }
                store(s, ci + j)
                j += 16
            }
            while j < n {
                var s: Float = beta == 0 ? 0 : ci[j]
                for q in 0..<k {
                    s += ai[q] * widen(b[q * ldb + j])
                }
                ci[j] = s
                j += 1
            }
        }
    }

    /// bf16 bits widened exactly: the upper half of the fp32 pattern.
    @inline(__always) private static func widen(_ x: UInt16) -> Float { Float(bitPattern: UInt32(x) << 16) }
    @inline(__always) private static func widen16(_ p: UnsafePointer<UInt16>) -> SIMD16<Float> {
        let bits = SIMD16<UInt32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt16>.self)) &<< 16
        return unsafeBitCast(bits, to: SIMD16<Float>.self)
    }
}
