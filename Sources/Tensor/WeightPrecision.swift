import CKernels

/// The precision of the products a model runs while it samples (`sample`,
/// `serve`, `eval --precision`), made from copies of its weight matrices made
/// once at load:
///
///   fp32  as trained.
///   bf16  every weight rounded to bfloat16; activations, accumulation, biases,
///         gates and the softmax stay fp32 (weights only). `round` gives the values
///         the products multiply (C's rounding, `ck_gemm.h`), so a model whose
///         matrices were rounded and run in fp32 computes what the bf16 copies compute
///         (bit for bit where the same kernel set runs both).
///   int8  every weight quantized with one scale per row of the weight matrix (per
///         output), and each product's activations quantized when it runs, one scale
///         per row (per batch row: a row's result never depends on the others); the
///         sums exact in int32 and scaled once (`I8Dot`, `ck_gemm.h`), as PyTorch's
///         dynamic quantization does with a scale per tensor. On AVX512_VNNI, four
///         products per lane in one instruction. Biases, gates, states and the softmax
///         stay fp32.
public enum WeightPrecision: String, CaseIterable, Codable, Sendable {
    case fp32, bf16, int8

    /// Bytes one weight takes in the copies the products read.
    public var bytesPerWeight: Int {
        switch self {
        case .fp32: return 4
        case .bf16: return 2
        case .int8: return 1
        }
    }

    /// The C constant (`CK_FP32`, `CK_BF16`, `CK_INT8`).
    var code: Int32 {
        switch self {
        case .fp32: return Int32(CK_FP32)
        case .bf16: return Int32(CK_BF16)
        case .int8: return Int32(CK_INT8)
        }
    }

    /// Replaces every element of W (rows × columns, leading dimension ld ≥ columns) by the value a bf16
    /// product multiplies in its place. fp32 changes nothing; int8 has no such values (its products
    /// quantize the activations too, `I8Dot`), so a precondition refuses it.
    public func round(_ w: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ld: Int) {
        precondition(rows >= 0 && columns >= 0 && ld >= columns, "WeightPrecision.round: bad shape (\(rows), \(columns)), ld \(ld)")
        precondition(self != .int8, "WeightPrecision.round: int8 products quantize their activations too; no rounded weights stand for them")
        ck_round_matrix(w, rows, columns, ld, code)
    }
}
