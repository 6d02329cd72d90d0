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

// MARK: - Through a transposed table
//
// The same gather and scatter with the weight matrix transposed once per
// window (`BLAS.transpose`), Wᵀ (V, M): a token's column of W becomes a contiguous row, so the
// gather is a vector copy and the scatter a vector add instead of M strided
// accesses per token (W has V columns: one cache line per element touched).

extension OneHot {
    /// out (N, M; ldo) ← wt[tokens[n], :] + bias for every row n: `gatherColumns` of w = wtᵀ, bit for bit.
    @inlinable
    public static func gatherRows(
        tokens: UnsafePointer<Int32>, count n: Int,
        table wt: UnsafePointer<Float>, width m: Int, vocabularySize v: Int,
        bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        for row in 0..<n {
            let token = Int(tokens[row])
            assert(token >= 0 && token < v, "token id \(token) outside 0..<\(v)")
            let o = out + row * ldo, w = wt + token * m
            var j = 0
            while j + 8 <= m { (SIMD8(loading: w + j) + SIMD8(loading: bias + j)).store(to: o + j); j += 8 }
            while j < m { o[j] = w[j] + bias[j]; j += 1 }
        }
    }

    /// out (N, M; ldo) ← wt[tokens[n], :] for every row n: `gatherRows` without a bias.
    @inlinable
    public static func gatherRows(
        tokens: UnsafePointer<Int32>, count n: Int,
        table wt: UnsafePointer<Float>, width m: Int, vocabularySize v: Int,
        out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        for row in 0..<n {
            let token = Int(tokens[row])
            assert(token >= 0 && token < v, "token id \(token) outside 0..<\(v)")
            (out + row * ldo).update(from: wt + token * m, count: m)
        }
    }

    /// dwt (V, M) [tokens[n], columns] += dOut[n, columns] for every row n, in row order.
    /// Disjoint column ranges can run on different threads.
    @inlinable
    public static func scatterAddRows(
        tokens: UnsafePointer<Int32>, count n: Int,
        gradient dOut: UnsafePointer<Float>, ldd: Int,
        into dwt: UnsafeMutablePointer<Float>, width m: Int, vocabularySize v: Int, columns: Range<Int>
    ) {
        for row in 0..<n {
            let token = Int(tokens[row])
            assert(token >= 0 && token < v, "token id \(token) outside 0..<\(v)")
            let d = dOut + row * ldd, w = dwt + token * m
            var j = columns.lowerBound
            while j + 8 <= columns.upperBound { (SIMD8(loading: w + j) + SIMD8(loading: d + j)).store(to: w + j); j += 8 }
            while j < columns.upperBound { w[j] += d[j]; j += 1 }
        }
    }

    /// dw (M, V) [rows, :] += dwtᵀ for dwt (V, M): the scattered gradient back in W's layout.
    @inlinable
    public static func addTransposed(_ dwt: UnsafePointer<Float>, width m: Int, vocabularySize v: Int,
                                     into dw: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        for j in rows {
            let row = dw + j * v
            for token in 0..<v { row[token] += dwt[token * m + j] }
        }
    }
}
