#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tensor

/// The softmax cross-entropy as two separate functions, the loss and its
/// gradient, each with its own softmax: what the engine's fused
/// `SoftmaxCrossEntropy.lossAndGradient` must equal bit for bit.
///
///     loss = (1/N) Σ_n [ log Σ_v exp(x_nv) − x_n,target ]
///     dL/dx_nv = (softmax(x_n)_v − [v = target_n]) / N
///
/// Letters: N rows, V classes.
public enum ReferenceLoss {
    /// The mean loss over N rows, accumulated in Double. `scratch` holds V floats.
    public static func meanLoss(
        logits: UnsafePointer<Float>,         // (N, V)
        targets: UnsafePointer<Int32>,        // (N)
        rows n: Int, classes v: Int,
        scratch: UnsafeMutablePointer<Float>  // (V)
    ) -> Float {
        var total = 0.0
        for row in 0..<n {
            let x = logits + row * v
            let maximum = rowMaximum(x, v)
            for j in 0..<v { scratch[j] = Elementwise.exp(x[j] - maximum) }
            var sum = 0.0
            for j in 0..<v { sum += Double(scratch[j]) }
            let target = Int(targets[row])
            precondition(target >= 0 && target < v, "target id \(target) outside 0..<\(v)")
            total += log(sum) + Double(maximum) - Double(x[target])
        }
        return Float(total / Double(n))
    }

    /// dLogits ← (softmax(logits) − onehot(targets)) / N: the gradient of `meanLoss`.
    public static func gradient(
        logits: UnsafePointer<Float>,         // (N, V)
        targets: UnsafePointer<Int32>,        // (N)
        rows n: Int, classes v: Int,
        into dLogits: UnsafeMutablePointer<Float>  // (N, V) out
    ) {
        let invN = 1 / Float(n)
        for row in 0..<n {
            let x = logits + row * v, d = dLogits + row * v
            let maximum = rowMaximum(x, v)
            for j in 0..<v { d[j] = Elementwise.exp(x[j] - maximum) }
            var sum = 0.0
            for j in 0..<v { sum += Double(d[j]) }
            let scale = Float(1 / sum) * invN
            for j in 0..<v { d[j] *= scale }
            d[Int(targets[row])] -= invN
        }
    }

    /// The largest of v values (NaN if any is NaN).
    static func rowMaximum(_ x: UnsafePointer<Float>, _ v: Int) -> Float {
        var m = x[0]
        for j in 1..<max(v, 1) where !(x[j] <= m) { m = x[j] }  // NaN compares false: taken
        return m
    }
}
