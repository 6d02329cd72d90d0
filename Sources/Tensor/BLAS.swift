import CBLAS

// Matrix products on row-major fp32 matrices given as unsafe pointers with
// leading dimensions (the distance between the starts of consecutive rows),
// so that a sub-block of a larger buffer is a matrix too.
//
// Letters: C is (M, N); op(A) is (M, K); op(B) is (K, N). A stored matrix
// that is transposed by `op` is stored (K, M) or (N, K) instead.

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed

    @usableFromInline var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// OpenBLAS's fp32 products. `NaiveBLAS` has the same functions, written as
/// plain loops, as the reference they are tested against.
public enum BLAS {
    /// The engine's threads (`Parallel.threadCount`: process-wide, unless the calling task
    /// is inside `Parallel.withThreadCount`). Set from `--threads`.
    /// OpenBLAS itself always runs single-threaded inside charrnn's pieces of work.
    public static var threadCount: Int {
        get { Parallel.threadCount }
        set { Parallel.threadCount = newValue }
    }

    /// OpenBLAS's own worker threads (process-wide). `Parallel` sets 1.
    static var openBLASThreads: Int {
        get { Int(charrnn_blas_get_threads()) }
        set { charrnn_blas_set_threads(Int32(max(1, newValue))) }
    }

    /// The kernel family OpenBLAS chose for this CPU at load time ("SkylakeX", "Haswell", …).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// C = alpha · op(A) · op(B) + beta · C. With beta = 0, C is not read
    /// (NaNs in it do not propagate), as in BLAS.
    ///
    /// - a: op(A) is (m, k); stored (m, k) with lda ≥ k, or (k, m) with lda ≥ m when transposed.
    /// - b: op(B) is (k, n); stored (k, n) with ldb ≥ n, or (n, k) with ldb ≥ k when transposed.
    /// - c: (m, n), ldc ≥ n.
    @inlinable
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        checkGEMM(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        if m == 0 || n == 0 { return }
        _ = Parallel.storage  // OpenBLAS single-threaded from the first call on
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `sgemm` cut into blocks of C (rows, or columns when C is wide and short)
    /// run on the engine's threads; one call when the product is small or there is one thread.
    /// Every element of C is computed by one OpenBLAS call over the whole of k, as in `sgemm`.
    /// This is the engine's one rule for splitting a GEMM across threads.
    ///
    /// `rowBias` (n floats), when given, is what every row of C starts from
    /// (`beta` is then ignored): the fused `x·Wᵀ + b` of a linear layer, each
    /// block filled by the thread that computes it.
    public static func parallelSGEMM(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, rowBias: UnsafePointer<Float>? = nil, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        checkGEMM(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        let beta = rowBias == nil ? beta : 1
        // Below ~4 MFLOP a piece is too short to be worth a thread's wake-up.
        let parts = 2 * m * n * k < 4_000_000 ? 1 : Parallel.parts(for: max(m, n), minimum: 32)
        if parts == 1 {
            if let rowBias { Elementwise.fillRows(c, rows: m, columns: n, ldc: ldc, with: rowBias) }
            sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        let byRows = m >= n
        Parallel.forEach(parts) { p in
            if byRows {
                let r = Parallel.range(p, of: parts, count: m, alignment: 16)
                let aBlock = transA == .none ? a + r.lowerBound * lda : a + r.lowerBound
                if let rowBias { Elementwise.fillRows(c + r.lowerBound * ldc, rows: r.count, columns: n, ldc: ldc, with: rowBias) }
                sgemm(transA, transB, m: r.count, n: n, k: k, alpha: alpha, a: aBlock, lda: lda, b: b, ldb: ldb,
                      beta: beta, c: c + r.lowerBound * ldc, ldc: ldc)
            } else {
                let r = Parallel.range(p, of: parts, count: n, alignment: 16)
                let bBlock = transB == .none ? b + r.lowerBound : b + r.lowerBound * ldb
                if let rowBias {
                    Elementwise.fillRows(c + r.lowerBound, rows: m, columns: r.count, ldc: ldc, with: rowBias + r.lowerBound)
                }
                sgemm(transA, transB, m: m, n: r.count, k: k, alpha: alpha, a: a, lda: lda, b: bBlock, ldb: ldb,
                      beta: beta, c: c + r.lowerBound, ldc: ldc)
            }
        }
    }

    /// t (columns, rows) ← aᵀ for a (rows, columns) row-major with leading dimension
    /// lda ≥ columns (default: dense), in tiles of 8×8 so that both the reads and the
    /// writes stay within a few cache lines.
    public static func transpose(_ a: UnsafePointer<Float>, rows: Int, columns: Int, lda: Int? = nil,
                                 into t: UnsafeMutablePointer<Float>) {
        let lda = lda ?? columns
        var i0 = 0
        while i0 < rows {
            let i1 = min(i0 + 8, rows)
            var j0 = 0
            while j0 < columns {
                let j1 = min(j0 + 8, columns)
                for i in i0..<i1 {
                    for j in j0..<j1 { t[j * rows + i] = a[i * lda + j] }
                }
                j0 = j1
            }
            i0 = i1
        }
    }

    /// y = alpha · op(A) · x + beta · y, A stored (m, n) row-major with lda ≥ n;
    /// x has n entries (m if transposed), y has m (n if transposed).
    /// With beta = 0, y is not read.
    @inlinable
    public static func sgemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && lda >= max(1, n), "sgemv: bad shape m=\(m) n=\(n) lda=\(lda)")
        if m == 0 || n == 0 {
            // BLAS leaves y alone when there is nothing to do; beta still applies by contract.
            let count = trans == .none ? m : n
            for i in 0..<count { y[i] = beta == 0 ? 0 : beta * y[i] }
            return
        }
        _ = Parallel.storage
        cblas_sgemv(CblasRowMajor, trans.cblas, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// y (m) = A·x + beta·y (plus A₂·x₂ when `plus` is given, A₂ of the same shape), A stored
    /// (m, n) with lda ≥ n: rows of A split across the engine's threads, at least 256 each,
    /// so that each core streams its share of a matrix too large for its caches. Every
    /// element of y is computed by one thread, as in `sgemv`, whatever the thread count.
    public static func parallelSGEMV(
        m: Int, n: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        plus: (a: UnsafePointer<Float>, x: UnsafePointer<Float>)? = nil,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        let parts = Parallel.parts(for: m, minimum: 256)
        Parallel.forEach(parts) { q in
            let r = Parallel.range(q, of: parts, count: m, alignment: 16)
            let row = r.lowerBound * lda, yq = y + r.lowerBound
            sgemv(.none, m: r.count, n: n, a: a + row, lda: lda, x: x, beta: beta, y: yq)
            if let plus { sgemv(.none, m: r.count, n: n, a: plus.a + row, lda: lda, x: plus.x, beta: 1, y: yq) }
        }
    }

    /// Stops on a shape no GEMM can have (the naive reference in TestSupport checks the same).
    public static func checkGEMM(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
        precondition(lda >= max(1, transA == .none ? k : m), "sgemm: lda \(lda) too small")
        precondition(ldb >= max(1, transB == .none ? n : k), "sgemm: ldb \(ldb) too small")
        precondition(ldc >= max(1, n), "sgemm: ldc \(ldc) too small")
        precondition(max(m, n, k, lda, ldb, ldc) <= Int(Int32.max), "sgemm: size beyond 32-bit BLAS")
    }
}
