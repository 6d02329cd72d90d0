#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tensor

private typealias V = Elementwise.Vector

// The loss: softmax over the V logits of each of the N = B·T positions, and
// the negative log-probability of the target, averaged over the N positions
// (nats per character, what PyTorch's F.cross_entropy returns by default).
//
//     loss = (1/N) Σ_n [ log Σ_v exp(x_nv) − x_n,target ]
//     dL/dx_nv = (softmax(x_n)_v − [v = target_n]) / N
//
// Both are computed with the row maximum subtracted, so no exp overflows.
// Letters: N rows, V classes.

enum SoftmaxCrossEntropy {
    /// For rows `rows` of N: the row's loss log Σ exp(x) − x_target (in Double,
    /// into `losses`) and its gradient (softmax − onehot(target)) / N into
    /// `dLogits`, from one softmax. The same arithmetic as `meanLoss` (summing
    /// `losses` in row order gives its total bit for bit) and `gradient`, so
    /// the forward pass leaves backward only the GEMMs. Disjoint row ranges
    /// run on different threads.
    static func lossAndGradient(
        logits: UnsafePointer<Float>,         // (N, V)
        targets: UnsafePointer<Int32>,        // (N)
        rows: Range<Int>, totalRows n: Int, classes v: Int,
        losses: UnsafeMutablePointer<Double>, // (N) out, rows `rows`
        dLogits: UnsafeMutablePointer<Float>  // (N, V) out, rows `rows`
    ) {
        lossAndGradient(logits: logits, targets: targets, rows: rows, scale: 1 / Float(n), rowWeights: nil, classes: v,
                        losses: losses, dLogits: dLogits)
    }

    /// The general form: row n's loss is w_n · (log Σ exp(x) − x_target) and its
    /// gradient w_n · scale · (softmax − onehot(target)), w_n = rowWeights[n]
    /// (1 when nil). A target below 0 marks a row without one (padding): its
    /// loss and gradient are 0. The caller's mean is Σ losses · scale, with
    /// scale = 1 / (the count of rows with targets, or Σ w_n): PyTorch's
    /// `cross_entropy(weight=…, ignore_index=-1)` with mean reduction.
    static func lossAndGradient(
        logits: UnsafePointer<Float>,         // (N, V)
        targets: UnsafePointer<Int32>,        // (N), −1 = no target
        rows: Range<Int>, scale: Float, rowWeights: UnsafePointer<Float>?, classes v: Int,
        losses: UnsafeMutablePointer<Double>, // (N) out, rows `rows`
        dLogits: UnsafeMutablePointer<Float>  // (N, V) out, rows `rows`
    ) {
        for row in rows {
            let x = logits + row * v, d = dLogits + row * v
            let target = Int(targets[row])
            guard target >= 0 else {
                losses[row] = 0
                d.update(repeating: 0, count: v)
                continue
            }
            assert(target < v, "target id \(target) outside 0..<\(v)")
            let weight = rowWeights?[row] ?? 1, rowScale = weight * scale
            let maximum = rowMaximum(x, v)
            var j = 0
            while j + V.scalarCount <= v { Elementwise.exp(V(loading: x + j) - maximum).store(to: d + j); j += V.scalarCount }
            while j < v { d[j] = Elementwise.exp(x[j] - maximum); j += 1 }
            var sum = 0.0
            for j in 0..<v { sum += Double(d[j]) }
            let loss = log(sum) + Double(maximum) - Double(x[target])
            losses[row] = rowWeights == nil ? loss : Double(weight) * loss
            let factor = Float(1 / sum) * rowScale
            j = 0
            while j + V.scalarCount <= v { (V(loading: d + j) * factor).store(to: d + j); j += V.scalarCount }
            while j < v { d[j] *= factor; j += 1 }
            d[target] -= rowScale
        }
    }

    /// The largest of v values (NaN if any is NaN, so a NaN loss shows).
    @inline(__always)
    static func rowMaximum(_ x: UnsafePointer<Float>, _ v: Int) -> Float {
        var m = x[0]
        for j in 1..<max(v, 1) where !(x[j] <= m) { m = x[j] }  // NaN compares false: taken
        return m
    }
}
