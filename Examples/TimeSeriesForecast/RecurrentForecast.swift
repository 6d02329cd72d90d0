import RNN
import Tensor
import Training

/// A stacked RNN reading one real value per step and forecasting O values
/// from its top layer's last state: charrnn's engine (`StackedRNN`) with a
/// dense input and a regression head, trained on the MSE with the library's
/// Adam (`Optimizer`) and, when asked, its gradient clipping.
///
/// Letters: B series in a batch, T input steps, D = 1 value per step, O outputs, H hidden size.
final class RecurrentForecast {
    let model: StackedRNN
    /// Keras' `SimpleRNN(1)` alone has no dense layer after it: its output is its
    /// state. The engine always has a head, so for that model it is pinned to the
    /// identity (weight 1, bias 0, gradients dropped before every step).
    let identityHead: Bool

    init(hiddenSize: Int, layerCount: Int, outputs: Int, identityHead: Bool = false, initialization: WeightInit,
         rng: inout SplitMix64) {
        precondition(!identityHead || (hiddenSize == 1 && outputs == 1), "an identity head maps one state to one value")
        var config = ModelConfig(cell: .rnn, vocabularySize: 0, hiddenSize: hiddenSize, layerCount: layerCount)
        config.input = .dense
        config.valueWidth = 1
        config.head = .regression
        config.pooling = .last
        config.outputSize = outputs
        model = StackedRNN(config: config)
        model.initialize(rng: &rng)                // PyTorch's init: uniform(±1/√H) for every tensor
        if initialization == .keras { KerasInitialization.apply(to: model, rng: &rng) }
        self.identityHead = identityHead
        if identityHead {
            model.parameters[model.layout.head.weight.offset] = 1
            model.parameters[model.layout.head.bias.offset] = 0
        }
    }

    var config: ModelConfig { model.config }

    /// `schedule.epochs` passes over `set`, one Adam step per batch.
    /// Returns the last epoch's mean training loss.
    @discardableResult
    func train(on set: ForecastSet, schedule: EpochSchedule, learningRate: Float, clipThreshold: Float,
               rng: inout SplitMix64) throws -> Double {
        let t = set.steps, o = set.outputs
        var optimizer = Optimizer(settings: OptimizerSettings(kind: .adam), parameterCount: model.parameters.count)
        var x = [Float](), y = [Float]()
        var epochLoss = 0.0
        for _ in 0..<schedule.epochs {
            var total = 0.0
            for batch in schedule.batches(rng: &rng) {
                let b = batch.count
                // The batch's windows: x (B, T, D = 1), y (B, O).
                x.removeAll(keepingCapacity: true)
                y.removeAll(keepingCapacity: true)
                for s in batch {
                    x += set.inputs[(s * t)..<((s + 1) * t)]
                    y += set.targets[(s * o)..<((s + 1) * o)]
                }
                // Forward and backward from the zero state (every series is one whole sequence).
                var state = RecurrentState.zeros(config: config, batchSize: b)
                model.zeroGradients()
                let loss = x.withUnsafeBufferPointer { xb in
                    y.withUnsafeBufferPointer { yb in
                        model.forward(WindowInputs(values: xb), targets: .values(yb), batchSize: b, sequenceLength: t,
                                      state: &state, training: true, rng: &rng)
                    }
                }
                guard loss.isFinite else { throw ForecastError.diverged("loss \(loss)") }
                model.backward()
                if identityHead {
                    model.gradients[model.layout.head.weight.offset] = 0
                    model.gradients[model.layout.head.bias.offset] = 0
                }
                // Clip (a threshold ≤ 0 only measures), then step.
                let norm = model.gradients.withUnsafeMutableBufferPointer { clipGradients($0, mode: .norm, threshold: clipThreshold) }
                guard norm.isFinite else { throw ForecastError.diverged("gradient norm \(norm)") }
                model.parameters.withUnsafeMutableBufferPointer { p in
                    model.gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: learningRate) }
                }
                total += Double(loss) * Double(b)
            }
            epochLoss = total / Double(set.count)
        }
        return epochLoss
    }

    /// The model's O forecasts of every series of `set`, (S, O), in batches of up to `batchSize`.
    func predictions(for set: ForecastSet, batchSize: Int = 250) -> [Float] {
        let t = set.steps, o = set.outputs
        var out = [Float](repeating: 0, count: set.count * o)
        var rng = SplitMix64(seed: 0)               // unused: no dropout outside training
        for start in stride(from: 0, to: set.count, by: batchSize) {
            let b = min(batchSize, set.count - start)
            var state = RecurrentState.zeros(config: config, batchSize: b)
            set.inputs.withUnsafeBufferPointer { x in
                let window = UnsafeBufferPointer(rebasing: x[(start * t)..<((start + b) * t)])          // (B, T, D = 1)
                _ = model.forward(WindowInputs(values: window), targets: .none, batchSize: b, sequenceLength: t,
                                  state: &state, training: false, rng: &rng)
            }
            for row in 0..<b {
                let values = model.headOutputs(batch: row)
                for k in 0..<o { out[(start + row) * o + k] = values[k] }
            }
        }
        return out
    }

    func meanSquaredError(on set: ForecastSet) -> Double {
        let predicted = predictions(for: set)
        let o = set.outputs
        return set.meanSquaredError { s, out in
            for k in 0..<o { out[k] = predicted[s * o + k] }
        }
    }
}

/// Whose initial weights the RNNs start from.
enum WeightInit: String, CaseIterable {
    /// Keras' (KerasInitialization.swift), as the book's models start.
    case keras
    /// The engine's own, PyTorch's `reset_parameters`: every tensor uniform(±1/√H).
    case pytorch
}

enum ForecastError: Error, CustomStringConvertible {
    case diverged(String)

    var description: String {
        switch self {
        case .diverged(let what): "training diverged (\(what)); try a smaller learning rate or --clip 1"
        }
    }
}
