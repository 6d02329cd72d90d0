// A one-hot row times a weight matrix is a column of the weight matrix, so
// the first layer's input projection over a window is a gather and its
// weight gradient a scatter-add: no (N, V) one-hot matrix is ever built, and
// the cost does not grow with the vocabulary size V.
//
// Letters: N rows (one per token), M output width (G·H in a layer), V vocabulary size.

// The gather and scatter run with the weight matrix transposed once per
// window (`BLAS.transpose`), Wᵀ (V, M): a token's column of W becomes a contiguous row, so the
// gather is a vector copy and the scatter a vector add instead of M strided
// accesses per token (W has V columns: one cache line per element touched).
// The plain column forms they are tested against (`gatherColumns`,
// `scatterAddColumns`) live in TestSupport.

public enum OneHot {
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

    /// out (N, M; ldo) += wt[tokens[n], :] for every row n: a second one-hot part of the
    /// same input (a label after the character) added to what `gatherRows` wrote.
    @inlinable
    public static func addRows(
        tokens: UnsafePointer<Int32>, count n: Int,
        table wt: UnsafePointer<Float>, width m: Int, vocabularySize v: Int,
        out: UnsafeMutablePointer<Float>, ldo: Int
    ) {
        for row in 0..<n {
            let token = Int(tokens[row])
            assert(token >= 0 && token < v, "token id \(token) outside 0..<\(v)")
            let o = out + row * ldo, w = wt + token * m
            var j = 0
            while j + 8 <= m { (SIMD8(loading: o + j) + SIMD8(loading: w + j)).store(to: o + j); j += 8 }
            while j < m { o[j] += w[j]; j += 1 }
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
