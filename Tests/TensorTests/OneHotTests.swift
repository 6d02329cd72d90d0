import Testing
import Tensor
import TestSupport

/// The gather / scatter of a one-hot product equal the dense GEMMs with an explicit one-hot matrix.
@Suite struct OneHotTests {
    @Test func gatherEqualsDenseOneHotProduct() {
        let n = 7, m = 12, v = 5
        var rng = SplitMix64(seed: 4)
        let w = (0..<(m * v)).map { _ in rng.nextFloat(in: -1, 1) }   // (M, V)
        let bias = (0..<m).map { _ in rng.nextFloat(in: -1, 1) }       // (M)
        let tokens: [Int32] = [0, 4, 2, 2, 1, 3, 0]                      // (N)
        var dense = [Float](repeating: 0, count: n * v)                  // (N, V) one-hot
        for (row, t) in tokens.enumerated() { dense[row * v + Int(t)] = 1 }

        var expected = [Float](repeating: 0, count: n * m)               // (N, M) = onehot · Wᵀ + bias
        Elementwise.fillRows(&expected, rows: n, columns: m, ldc: m, with: bias)
        BLAS.sgemm(.none, .transposed, m: n, n: m, k: v, a: dense, lda: v, b: w, ldb: v, beta: 1, c: &expected, ldc: m)
        var gathered = [Float](repeating: .nan, count: n * m)
        OneHot.gatherColumns(tokens: tokens, count: n, weight: w, rows: m, columns: v, bias: bias, out: &gathered, ldo: m)
        for i in 0..<(n * m) { #expect(abs(gathered[i] - expected[i]) < 1e-6) }
        // Without a bias.
        var plain = [Float](repeating: .nan, count: n * m), plainExpected = [Float](repeating: 0, count: n * m)
        BLAS.sgemm(.none, .transposed, m: n, n: m, k: v, a: dense, lda: v, b: w, ldb: v, c: &plainExpected, ldc: m)
        OneHot.gatherColumns(tokens: tokens, count: n, weight: w, rows: m, columns: v, bias: nil, out: &plain, ldo: m)
        #expect(plain == plainExpected)

        // The backward: dW += dOutᵀ · onehot.
        let dOut = (0..<(n * m)).map { _ in rng.nextFloat(in: -1, 1) } // (N, M)
        let dW0 = (0..<(m * v)).map { _ in rng.nextFloat(in: -1, 1) }  // (M, V)
        var dWDense = dW0, dWScatter = dW0
        BLAS.sgemm(.transposed, .none, m: m, n: v, k: n, a: dOut, lda: m, b: dense, ldb: v, beta: 1, c: &dWDense, ldc: v)
        OneHot.scatterAddColumns(tokens: tokens, count: n, gradient: dOut, ldd: m, into: &dWScatter, rows: m, columns: v)
        for i in 0..<(m * v) { #expect(abs(dWDense[i] - dWScatter[i]) < 1e-5) }
    }
}
