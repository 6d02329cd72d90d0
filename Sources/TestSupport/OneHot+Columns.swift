import Tensor

// The one-hot gather and scatter straight from W (M, V), one strided column
// per token: the plain form the engine's transposed-table paths
// (`OneHot.gatherRows`, `scatterAddRows`) are checked against.
//
// Letters: N rows (one per token), M output width, V vocabulary size.

extension OneHot {
    /// out (N, M; ldo) ← W[:, tokens[n]]ᵀ for every row n, plus `bias` (M) if given:
    /// the same as onehot(tokens) (N, V) · Wᵀ with W stored (M, V) row-major.
    public static func gatherColumns(
        tokens: UnsafePointer<Int32>, count n: Int,
        weight w: UnsafePointer<Float>, rows m: Int, columns v: Int,
        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        for row in 0..<n {
            let token = Int(tokens[row])
            precondition(token >= 0 && token < v, "token id \(token) outside 0..<\(v)")
            let o = out + row * ldo, column = w + token
            if let bias {
                for j in 0..<m { o[j] = column[j * v] + bias[j] }
            } else {
                for j in 0..<m { o[j] = column[j * v] }
            }
        }
    }

    /// dW (M, V) [:, tokens[n]] += dOut[n, :] for every row n: the gradient of
    /// `gatherColumns`, equal to dOutᵀ (M, N) · onehot(tokens) (N, V) added into dW.
    public static func scatterAddColumns(
        tokens: UnsafePointer<Int32>, count n: Int,
        gradient dOut: UnsafePointer<Float>, ldd: Int,
        into dW: UnsafeMutablePointer<Float>, rows m: Int, columns v: Int
    ) {
        for row in 0..<n {
            let token = Int(tokens[row])
            precondition(token >= 0 && token < v, "token id \(token) outside 0..<\(v)")
            let d = dOut + row * ldd, column = dW + token
            for j in 0..<m { column[j * v] += d[j] }
        }
    }
}
