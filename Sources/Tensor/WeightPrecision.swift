import CKernels

/// The precision of the weight matrices a model multiplies while it samples
/// (`sample`, `serve`, `eval --precision`): fp32 as trained, or a copy made once at
/// load with every element rounded to bfloat16, or quantized to int8 with one
/// scale per row of the weight matrix (per output). Activations, accumulation,
/// biases, gates and the softmax stay fp32 (weights only).
///
/// The rounding is C's, in one place (`ck_gemm.h`): `round` gives the values
/// the reduced products multiply, so a model whose matrices were rounded and
/// run in fp32 computes what the reduced copies compute (bit for bit where the
/// same kernel set runs both).
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

    /// Replaces every element of W (rows × columns, leading dimension ld ≥ columns) by the value a
    /// product in this precision multiplies in its place (int8: one scale per row). fp32 changes nothing.
    public func round(_ w: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ld: Int) {
        precondition(rows >= 0 && columns >= 0 && ld >= columns, "WeightPrecision.round: bad shape (\(rows), \(columns)), ld \(ld)")
        ck_round_matrix(w, rows, columns, ld, code)
    }
}
