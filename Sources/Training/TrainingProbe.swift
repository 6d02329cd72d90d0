import RNN
import Tensor
import Tokenizer

/// Times the trainer's step (`TrainingStep`: fill the window, zero the gradients,
/// forward, backward, clip, optimizer step) on B streams of random characters,
/// the state carried from window to window: `charrnn bench`'s training rows and
/// `train --auto`'s throughput probe measure the same thing.
public enum TrainingProbe {
    /// What a probe measured.
    public struct Result: Sendable {
        public var charactersPerSecond: Double   // B·T per step, whole steps timed
        public var medianStepSeconds: Double
        public var steps: Int                    // timed steps (after the untimed warm-up)
        public var flopsPerSecond: Double        // StackedRNN.trainingFLOPs per second
    }

    /// What the probe trains: a model and the step's settings.
    public struct Setup: Sendable {
        public var config: ModelConfig
        public var batchSize = 50, sequenceLength = 50
        public var optimizer = OptimizerSettings()
        public var learningRate: Float = 2e-3
        public var clipMode: ClipMode = .norm, clip: Float = 5
        public var forgetGateBias: Float = 1
        public var precision = ProductPrecision.fp32

        public init(config: ModelConfig) { self.config = config }
    }

    /// Runs `warmup` untimed steps, then timed steps until `seconds` have passed
    /// and at least `minimumSteps` were timed.
    public static func measure(_ setup: Setup, seconds: Double, warmup: Int = 3, minimumSteps: Int = 3) -> Result {
        let config = setup.config, b = setup.batchSize, t = setup.sequenceLength
        let model = StackedRNN(config: config)
        model.productPrecision = setup.precision
        var rng = SplitMix64(seed: 1)
        model.initialize(rng: &rng, options: InitOptions(
            forgetGateBias: config.cellFacts.takesForgetGateBias ? setup.forgetGateBias : nil))
        // 200 windows of random characters, enough that the data is not all in L1.
        let ids = (0..<(b * 200 * t + 1)).map { _ in Int32(rng.next() % UInt64(config.vocabularySize)) }
        guard let streams = try? BatchStreams(ids: ids, range: 0..<ids.count, batchSize: b, sequenceLength: t) else {
            preconditionFailure("TrainingProbe: 200 windows always make streams")
        }
        var training = TrainingStep(
            model: model, optimizer: Optimizer(settings: setup.optimizer, parameterCount: model.parameters.count),
            clipMode: setup.clipMode, clipThreshold: setup.clip, batchSize: b, sequenceLength: t)
        var state = RecurrentState.zeros(config: config, batchSize: b)
        var window = 0

        func step() {
            if window == streams.batchCount { window = 0; state = .zeros(config: config, batchSize: b) }
            // A step refused on random data (it does not happen at these rates) costs the
            // same time up to the refusal; the probe measures time, not learning.
            _ = try? training.run(window: window, of: streams, state: &state, rng: &rng, learningRate: setup.learningRate)
            window += 1
        }

        for _ in 0..<warmup { step() }
        let clock = ContinuousClock()
        var times: [Double] = []
        var total = 0.0
        while total < seconds || times.count < minimumSteps {
            let t0 = clock.now
            step()
            let dt = (clock.now - t0).seconds
            times.append(dt)
            total += dt
        }
        let flops = model.trainingFLOPs(batchSize: b, sequenceLength: t) * Double(times.count) / total
        return Result(charactersPerSecond: Double(b * t * times.count) / total, medianStepSeconds: median(times),
                      steps: times.count, flopsPerSecond: flops)
    }
}
