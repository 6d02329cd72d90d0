import Tensor

/// The reference: the same products as `BLAS`, as plain loops that
/// accumulate in Double. Slow; the tests compare every fast path with it.
public enum NaiveBLAS {
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        BLAS.checkGEMM(transA, transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let aip = transA == .none ? a[i * lda + p] : a[p * lda + i]
                    let bpj = transB == .none ? b[p * ldb + j] : b[j * ldb + p]
                    sum += Double(aip) * Double(bpj)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
    }

    public static func sgemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && lda >= max(1, n), "sgemv: bad shape m=\(m) n=\(n) lda=\(lda)")
        let rows = trans == .none ? m : n, inner = trans == .none ? n : m
        for i in 0..<rows {
            var sum = 0.0
            for p in 0..<inner {
                let aip = trans == .none ? a[i * lda + p] : a[p * lda + i]
                sum += Double(aip) * Double(x[p])
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(y[i])
            y[i] = Float(Double(alpha) * sum + old)
        }
    }
}
