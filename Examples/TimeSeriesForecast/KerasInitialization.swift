import Foundation
import RNN
import Tensor

/// Keras' initial weights for the book's layers, written over a `StackedRNN`'s
/// PyTorch-style ones (`--init keras`):
///
///     SimpleRNN   kernel (W_ih)            Glorot uniform, limit √(6 / (In + H))
///                 recurrent_kernel (W_hh)  orthogonal (QR of a Gaussian matrix)
///                 bias                     0 (the engine's b_ih and b_hh both)
///     Dense       kernel (head.weight)     Glorot uniform, limit √(6 / (H + O))
///                 bias                     0
enum KerasInitialization {
    static func apply(to model: StackedRNN, rng: inout SplitMix64) {
        let h = model.config.hiddenSize
        for k in 0..<model.config.layerCount {
            let layer = model.layout.layer(k)
            let fanIn = layer.weightIH.shape[1]
            glorot(model, layer.weightIH, fanIn: fanIn, fanOut: h, rng: &rng)
            let q = orthogonal(h, rng: &rng)
            for i in 0..<(h * h) { model.parameters[layer.weightHH.offset + i] = Float(q[i]) }
            for i in layer.biasIH.range { model.parameters[i] = 0 }
            for i in layer.biasHH.range { model.parameters[i] = 0 }
        }
        let head = model.layout.head
        glorot(model, head.weight, fanIn: h, fanOut: head.weight.shape[0], rng: &rng)
        for i in head.bias.range { model.parameters[i] = 0 }
    }

    private static func glorot(_ model: StackedRNN, _ tensor: ParameterLayout.Entry, fanIn: Int, fanOut: Int,
                               rng: inout SplitMix64) {
        let limit = (6 / Float(fanIn + fanOut)).squareRoot()
        for i in tensor.range { model.parameters[i] = rng.nextFloat(in: -limit, limit) }
    }

    /// An n×n orthogonal matrix, row-major: the Q of a standard Gaussian matrix's QR
    /// (modified Gram–Schmidt on its columns), each column's sign that of R's diagonal
    /// entry, as Keras' `Orthogonal` does, so that Q is uniform over the orthogonal group.
    static func orthogonal(_ n: Int, rng: inout SplitMix64) -> [Double] {
        var a = (0..<(n * n)).map { _ in gaussian(&rng) }
        for j in 0..<n {
            for p in 0..<j {
                var dot = 0.0
                for i in 0..<n { dot += a[i * n + p] * a[i * n + j] }
                for i in 0..<n { a[i * n + j] -= dot * a[i * n + p] }
            }
            var norm = 0.0
            for i in 0..<n { norm += a[i * n + j] * a[i * n + j] }
            norm = norm.squareRoot()
            // R's diagonal entry is +norm, so the column keeps its direction.
            for i in 0..<n { a[i * n + j] /= norm }
        }
        return a
    }

    /// A standard normal draw (Box–Muller).
    private static func gaussian(_ rng: inout SplitMix64) -> Double {
        let u = 1 - rng.nextDouble(), v = rng.nextDouble()        // u in (0, 1]
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
