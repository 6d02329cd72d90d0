import RNN
import Tensor

/// Times `TranslationTrainer`'s step (zero the gradients, forward with teacher
/// forcing, backward, clip, optimizer step) on the run's own training pairs, in
/// the epoch's batch order: `train --task translate --auto`'s throughput probe,
/// as `TrainingProbe` is for a language model. Pairs make their own batch shapes
/// (source and target lengths), so random characters would not time the same work.
public enum TranslationProbe {
    /// Source and target characters (with the end marker) trained per second, whole steps timed,
    /// after `warmup` untimed steps, until `seconds` have passed and `minimumSteps` were timed.
    public static func charactersPerSecond(options: TrainingOptions, pairs: PairSet, vocabularySize: Int,
                                           markers: DocumentMarkersIDs, seconds: Double,
                                           warmup: Int = 2, minimumSteps: Int = 2) -> Double {
        precondition(pairs.count > 0, "TranslationProbe: no pairs")
        let model = EncoderDecoder(config: options.translationConfig(vocabularySize: vocabularySize))
        model.productPrecision = options.productPrecision
        var rng = SplitMix64(seed: 1)
        model.initialize(rng: &rng, options: options.initOptions(for: model.config))
        var optimizer = Optimizer(settings: options.optimizer, parameterCount: model.parameters.count)
        var order = SplitMix64(seed: 2)
        let batches = TranslationTrainer.order(pairs, batchSize: options.batchSize, rng: &order)
        var next = 0

        /// One step on the next batch; its characters.
        func step() -> Int {
            let batch = PairBatch(pairs, indices: batches[next % batches.count], markers: markers)
            next += 1
            // A step refused (a loss that is not finite) costs the same time up to the refusal;
            // the probe measures time, not learning.
            _ = TranslationTrainer.step(model: model, batch: batch, optimizer: &optimizer, options: options,
                                        learningRate: options.learningRate, rng: &rng)
            return batch.rows * batch.sourceLength + batch.lengths.reduce(0) { $0 + Int($1) }
        }

        for _ in 0..<warmup { _ = step() }
        let clock = ContinuousClock()
        var characters = 0, steps = 0
        let start = clock.now
        var total = 0.0
        while total < seconds || steps < minimumSteps {
            characters += step()
            steps += 1
            total = (clock.now - start).seconds
        }
        return Double(characters) / total
    }
}
