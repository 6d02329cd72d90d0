// A one-hot row times a weight matrix is a column of the weight matrix, so
// the first layer's input projection over a window is a gather and its
// weight gradient a scatter-add: no (N, V) one-hot matrix is ever built, and
// the cost does not grow with the vocabulary size V.
//
// Letters: N rows (one per token), M output width (G·H in a layer), V vocabulary size.

public enum OneHot {
    /// out (N, M; ldo) ← W[:, tokens[n]]ᵀ for every row n, plus `bias` (M) if given:
    /// the same as onehot(tokens) (N, V) · Wᵀ with W stored (M, V) row-major.
    ///
    /// Token ids are trusted: each must be in 0..<V (checked in debug builds only).
    @inlinable
    public static func gatherColumns(
        tokens: UnsafePointer<Int32>, count n: Int,
        weight w: UnsafePointer<Float>, rows m: Int, columns v: Int,
        bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        for row in 0..<n {
            let token = Int(tokens[row])
            assert(token >= 0 && token < v, "token id \(token) outside 0..<\(v)")
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
    @inlinable
    public static func scatterAddColumns(
        tokens: UnsafePointer<Int32>, count n: Int,
        gradient dOut: UnsafePointer<Float>, ldd: Int,
        into dW: UnsafeMutablePointer<Float>, rows m: Int, columns v: Int
    ) {
        for row in 0..<n {
            let token = Int(tokens[row])
            assert(token >= 0 && token < v, "token id \(token) outside 0..<\(v)")
            let d = dOut + row * ldd, column = dW + token
            for j in 0..<m { column[j * v] += d[j] }
        }
    }
}
