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
    public let batchSize: Int               // B, the window's streams (over all ranks)
    public let sequenceLength: Int          // T
    /// Data-parallel training: the ranks whose gradients add up (nil: this process alone).
    public let group: (any TrainingGroup)?
    /// The streams this process trains: all B alone, its share of them in a group.
    public let rows: Range<Int>
    private var inputs: [Int32]             // (rows, T)
    private var targets: [Int32]            // (rows, T), inputs shifted by one

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
        /// The ranks of a data-parallel run could not add up their results (a rank gone).
        case group(TrainingError)
    }

    /// `group`: the ranks of a data-parallel run (B must be a multiple of their number).
    public init(model: StackedRNN, optimizer: Optimizer, clipMode: ClipMode, clipThreshold: Float,
                batchSize: Int, sequenceLength: Int, group: (any TrainingGroup)? = nil) {
        self.model = model
        self.optimizer = optimizer
        self.clipMode = clipMode
        self.clipThreshold = clipThreshold
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.group = group
        rows = group?.rows(of: batchSize) ?? 0..<batchSize
        inputs = [Int32](repeating: 0, count: rows.count * sequenceLength)
        targets = inputs
    }

    /// Trains on window `window` of `streams`, carrying `state` on to the next window.
    /// A loss that is not finite or exceeds `lossLimit` (a diverging run) throws before backward.
    public mutating func run(window: Int, of streams: BatchStreams, state: inout RecurrentState, rng: inout SplitMix64,
                             learningRate: Float, lossLimit: Float = .infinity) throws(Failure) -> Outcome {
        let b = rows.count, t = sequenceLength, rows = self.rows
        precondition(window >= 0 && window < streams.batchCount, "window \(window) is outside 0..<\(streams.batchCount)")
        inputs.withUnsafeMutableBufferPointer { i in   // this process's streams of the window
            targets.withUnsafeMutableBufferPointer { o in streams.fill(streams: rows, steps: window * t ..< window * t + t, inputs: i, targets: o) }
        }
        model.zeroGradients()
        var loss = inputs.withUnsafeBufferPointer { i in
            targets.withUnsafeBufferPointer { o in
                model.forward(inputs: i, targets: o, batchSize: b, sequenceLength: t, state: &state, training: true, rng: &rng)
            }
        }
        // In a group: the mean over every rank's rows (equal shares: the mean of the ranks' means), so that
        // all ranks decide alike, then the gradient of that mean (the sum of theirs ÷ K).
        if let group {
            do { loss = try group.sum(loss) / Float(group.size) } catch { throw .group(error) }
        }
        if !loss.isFinite || loss > lossLimit { throw .loss(loss) }
        model.backward()
        if let group {
            do { try model.gradients.withUnsafeMutableBufferPointer { (g) throws(TrainingError) in try group.sum(g) } } catch {
                throw .group(error)
            }
            let scale = 1 / Float(group.size)
            model.gradients.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] *= scale } }
        }

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
