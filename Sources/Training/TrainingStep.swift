import RNN
import Tensor
import Tokenizer

/// One optimizer step of truncated BPTT, the one `charrnn train` runs and
/// `charrnn bench` times: fill the next window of every stream, zero the
/// gradients, forward, backward, clip, step.
///
/// The caller owns what lies between steps: which window comes next, the
/// carried state (reset at an epoch boundary), the random generator (dropout)
/// and the learning rate.
public struct TrainingStep {
    public let model: StackedRNN
    public private(set) var optimizer: Optimizer
    public let clipMode: ClipMode
    public let clipThreshold: Float         // ≤ 0: no clipping (the norm is still measured)
    public let batchSize: Int               // B
    public let sequenceLength: Int          // T
    private var inputs: [Int32]             // (B, T)
    private var targets: [Int32]            // (B, T), inputs shifted by one

    /// What one step measured.
    public struct Outcome: Sendable {
        public var loss: Float              // mean over the window, nats/char
        public var gradientNorm: Float      // before clipping
    }

    /// A step that stopped before changing the weights.
    public enum Failure: Error, Sendable {
        /// The loss was not finite or above the limit: neither backward nor the optimizer ran.
        case loss(Float)
        /// The gradient norm was not finite: the optimizer did not run.
        case gradientNorm(Float)
    }

    public init(model: StackedRNN, optimizer: Optimizer, clipMode: ClipMode, clipThreshold: Float,
                batchSize: Int, sequenceLength: Int) {
        self.model = model
        self.optimizer = optimizer
        self.clipMode = clipMode
        self.clipThreshold = clipThreshold
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        inputs = [Int32](repeating: 0, count: batchSize * sequenceLength)
        targets = inputs
    }

    /// Trains on window `window` of `streams`, carrying `state` on to the next window.
    /// A loss that is not finite or exceeds `lossLimit` (a diverging run) throws before backward.
    public mutating func run(window: Int, of streams: BatchStreams, state: inout RecurrentState, rng: inout SplitMix64,
                             learningRate: Float, lossLimit: Float = .infinity) throws(Failure) -> Outcome {
        let b = batchSize, t = sequenceLength
        inputs.withUnsafeMutableBufferPointer { i in
            targets.withUnsafeMutableBufferPointer { o in streams.fill(batch: window, inputs: i, targets: o) }
        }
        model.zeroGradients()
        let loss = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { o in
                model.forward(inputs: i, targets: o, batchSize: b, sequenceLength: t, state: &state, training: true, rng: &rng)
            }
        }
        if !loss.isFinite || loss > lossLimit { throw .loss(loss) }
        model.backward()

        // Clip, then step.
        let norm = model.gradients.withUnsafeMutableBufferPointer { g in
            clipGradients(g, mode: clipMode, threshold: clipThreshold)  // the norm, also when off
        }
        if !norm.isFinite { throw .gradientNorm(norm) }
        model.parameters.withUnsafeMutableBufferPointer { p in
            model.gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: learningRate) }
        }
        return Outcome(loss: loss, gradientNorm: norm)
    }
}
