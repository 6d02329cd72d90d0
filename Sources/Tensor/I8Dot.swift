import CKernels

/// The int8 dot products of sampling from int8 weights (`WeightPrecision.int8`, `ck_gemm.h`,
/// "int8 dot products"): A's rows quantized to int8 with one scale each when the product runs,
/// B's columns once when it is packed (`PackedMatrix.pack`, quad panels), the sum over k exact
/// in integers and scaled once. The portable set's product is here (the reference the C sets are
/// tested against); the quantization is C's (`ck_i8_quantize_rows`, vectorized in each set as
/// `i8_quantize_rows`: the same bits).
public enum I8Dot {
    /// The largest k an int8 product takes (its integer sums stay inside Int32).
    public static let maxK = Int(CK_I8_MAX_K)

    /// Bytes a quantized row of k values takes: 4·ceil(k / 4) (quads along k, padded with zeros).
    @inlinable public static func rowBytes(_ k: Int) -> Int { (k + 3) / 4 * 4 }

    /// A (m, k), row i at a + i·lda, quantized into `out` (m rows of ldo ≥ rowBytes(k) bytes, each value
    /// + 128) and `scales` (m), by `kernels`' vector code when it has a row, else by the reference loops.
    public static func quantize(_ a: UnsafePointer<Float>, lda: Int, m: Int, k: Int, into out: UnsafeMutablePointer<UInt8>,
                                ldo: Int, scales: UnsafeMutablePointer<Float>, kernels: KernelSet = .portable) {
        precondition(m >= 0 && k >= 0 && k <= maxK && ldo >= rowBytes(k) && lda >= max(1, k), "I8Dot.quantize: bad shape")
        if let table = kernels.table {
            table.pointee.i8_quantize_rows(a, lda, m, k, out, ldo, scales)
        } else {
            ck_i8_quantize_rows(a, lda, m, k, out, ldo, scales)
        }
    }

    /// The portable product: C (m, n) = fma(d, sᵢ·sⱼ, beta·C) with d the exact integer dot product of
    /// A's quantized row (m, lda ≥ rowBytes(k) bytes; `aScales`) and B's column in the dense quad layout
    /// (`ck_gemm_pack_quads` with nr = ldb ≥ n: quad row p at b + 4·p·ldb, column j's 4 bytes at + 4·j).
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<UInt8>, lda: Int, aScales: UnsafePointer<Float>,
                                b: UnsafePointer<Int8>, ldb: Int, bScales: UnsafePointer<Float>, offsets: UnsafePointer<Int32>,
                                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(beta == 0 || beta == 1, "I8Dot: beta must be 0 or 1")
        let kq = rowBytes(k) / 4
        for i in 0..<m {
            let ai = a + i * lda, ci = c + i * ldc
            for j in 0..<n {
                var d: Int32 = 0
                for p in 0..<kq {
                    let bq = b + 4 * (p * ldb + j), aq = ai + 4 * p
                    for e in 0..<4 { d &+= Int32(aq[e]) &* Int32(bq[e]) }
                }
                let t = aScales[i] * bScales[j]
                ci[j] = (beta == 0 ? 0 : ci[j]).addingProduct(Float(d &- offsets[j]), t)   // one rounding: fma
            }
        }
    }
}
