import Checkpoints
import Files
import Foundation
import RNN
import SafeTensors
import Tensor
import Tokenizer

/// What a translate run trains on: the shared vocabulary of both sides (with
/// `<s>` and `</s>`) and the random split's three parts.
public struct PairRunData: Sendable {
    public var vocabulary: Vocabulary
    public var train: PairSet, validation: PairSet, test: PairSet
    /// Pairs left out because a side is longer than --max-chars.
    public var tooLong: Int

    public init(vocabulary: Vocabulary, train: PairSet, validation: PairSet, test: PairSet, tooLong: Int = 0) {
        self.vocabulary = vocabulary
        self.train = train
        self.validation = validation
        self.test = test
        self.tooLong = tooLong
    }
}

/// Trains an encoder–decoder on pairs (issue 25, `train --task translate`):
/// teacher forcing, mini-batches of B pairs of one source length
/// (`PairBatchOrder`), validation every `evalEvery` iterations and at the end
/// (nats per target character, the end marker included), `best` and `latest`
/// checkpoints, and exact resume (the epoch's order from `epoch_rng`, the
/// dropout masks from `rng`, the optimizer's moments) as `LabelledTrainer`.
public final class TranslationTrainer: LabelledRun, WholeTextTraining {
    public let options: TrainingOptions
    public let model: EncoderDecoder
    public let data: PairRunData
    public let directory: RunDirectory
    private var optimizer: Optimizer
    private let markers: DocumentMarkersIDs
    private let runID: String
    /// The loss past which the run has diverged, nats per target character (`DivergenceLimit`).
    let divergence: (limit: Float, unit: String)
    // Where the run stands (`WholeTextTraining`).
    var iteration = 0, epoch = 0, batchIndex = 0
    var rng: SplitMix64
    var epochRNG: SplitMix64
    var bestValidation: Double?
    var history: [(iteration: Int, loss: Double)] = []
    var elapsedBefore = 0.0
    public let resumedAt: Int?

    public init(options: TrainingOptions, data: PairRunData, checkpointDirectory: String,
                overwrite: Bool = false, resume: Checkpoint? = nil, resumeSource: String? = nil) throws(TrainingError) {
        if let p = options.problem { throw .invalidOptions(p) }
        if data.train.count == 0 { throw .corpus("no training pairs") }
        guard let m = data.vocabulary.documentMarkers else { throw .corpus("a translate run's vocabulary needs <s> and </s>") }
        let config = options.translationConfig(vocabularySize: data.vocabulary.count)
        if let p = config.problem { throw .invalidOptions(p) }
        try Trainer.checkModelFits(config: config, options: options)
        let model = EncoderDecoder(config: config)
        model.productPrecision = options.productPrecision
        var optimizer = Optimizer(settings: options.optimizer, parameterCount: model.parameters.count)
        if let resume {
            guard resume.config.withoutDropout == config.withoutDropout, resume.vocabulary == data.vocabulary else {
                throw .resumeMismatch("the data is not the one this run was trained on (its characters or model differ)")
            }
        }
        var draw = SplitMix64(seed: options.seed)   // an epoch's batch count (any draw has the same), read on resume
        let begin = try WholeTextStart(
            options: options, resume: resume, resumeSource: resumeSource, checkpointDirectory: checkpointDirectory, overwrite: overwrite,
            parameterCount: model.parameters.count, batchesPerEpoch: Self.order(data.train, batchSize: options.batchSize, rng: &draw).count,
            optimizer: &optimizer,
            initialize: { model.initialize(rng: &$0, options: options.initOptions(for: config)) },
            restore: { model.parameters = $0 })

        self.options = options
        self.model = model
        self.data = data
        divergence = (DivergenceLimit.perCharacter(vocabularySize: data.vocabulary.count), "nats/char")
        self.directory = begin.directory
        self.optimizer = optimizer
        self.rng = begin.rng
        self.epochRNG = begin.epochRNG
        markers = DocumentMarkersIDs(start: m.start, end: m.end)
        runID = begin.runID
        resumedAt = begin.point?.iteration
        continueFrom(begin.point)
    }

    /// One epoch's batches of `set`, drawn from `rng`.
    static func order(_ set: PairSet, batchSize: Int, rng: inout SplitMix64) -> [ArraySlice<Int>] {
        PairBatchOrder.epoch(sourceLengths: set.sources.map(\.count), targetLengths: set.targets.map(\.count),
                             batchSize: batchSize, rng: &rng)
    }

    /// Trains until the budget (epochs, iterations, time) ends or `shouldStop` says so; saves
    /// `latest` (and `best`) at every evaluation and at the end.
    public func run(report: (LabelledEvent) -> Void, shouldStop: () -> Bool = { false }) throws(TrainingError) -> LabelledSummary {
        try runWholeTexts(report: report, shouldStop: shouldStop)
    }

    func epochOrder(_ rng: inout SplitMix64) -> [ArraySlice<Int>] { Self.order(data.train, batchSize: options.batchSize, rng: &rng) }

    func started(firstOrder: [ArraySlice<Int>], plannedIterations: Int?) -> LabelledStart {
        LabelledStart(task: .translate, labels: [], vocabularySize: data.vocabulary.count,
                      parameterCount: model.parameters.count, trainTexts: data.train.count,
                      validationTexts: data.validation.count, testTexts: data.test.count,
                      batchesPerEpoch: firstOrder.count, plannedIterations: plannedIterations,
                      fill: PairBatchOrder.fill(firstOrder, targetLengths: data.train.targets.map(\.count)),
                      model: model.config.modelDescription, directory: directory.path,
                      precision: model.productPrecision, kernels: model.kernels.name)
    }

    func trainBatch(_ indices: ArraySlice<Int>, learningRate: Float) throws(TrainingError) -> (loss: Float, characters: Int) {
        let batch = PairBatch(data.train, indices: indices, markers: markers)
        return (try trainStep(batch, learningRate: learningRate), batch.rows * batch.sourceLength + batch.lengths.reduce(0) { $0 + Int($1) })
    }

    func evaluateValidation() -> LabelledEvaluation? { data.validation.count > 0 ? evaluate(data.validation) : nil }
    func evaluateTest() -> LabelledEvaluation? { data.test.count > 0 ? evaluate(data.test) : nil }
    func evalRecordExtras(_ v: LabelledEvaluation) -> [String: JSONValue] { [:] }

    /// One optimizer step: forward, backward, clip, step; a loss past the divergence limit (or not
    /// finite), or a gradient that is not finite, stops the run before the weights change.
    private func trainStep(_ batch: PairBatch, learningRate: Float) throws(TrainingError) -> Float {
        let (limit, unit) = divergence
        let (loss, norm) = Self.step(model: model, batch: batch, optimizer: &optimizer, options: options,
                                     learningRate: learningRate, lossLimit: limit, rng: &rng)
        if DivergenceLimit.stops(loss, limit: limit) {
            throw .diverged(iteration: iteration + 1, detail: DivergenceLimit.detail(loss, limit: limit, unit: unit),
                            lastGood: directory.lastGood)
        }
        if !norm.isFinite {
            throw .diverged(iteration: iteration + 1, detail: "the gradient norm became \(norm)", lastGood: directory.lastGood)
        }
        return loss
    }

    /// The step itself, shared with `TranslationProbe`: zero the gradients, forward, and unless the
    /// loss is not finite or past `lossLimit`, backward and clip; the weights change only when the
    /// gradient norm is finite.
    static func step(model: EncoderDecoder, batch: PairBatch, optimizer: inout Optimizer, options: TrainingOptions,
                     learningRate: Float, lossLimit: Float = .infinity, rng: inout SplitMix64) -> (loss: Float, norm: Float) {
        model.zeroGradients()
        let loss = batch.loss(on: model, training: true, rng: &rng)
        guard !DivergenceLimit.stops(loss, limit: lossLimit) else { return (loss, .nan) }
        model.backward()
        let norm = model.gradients.withUnsafeMutableBufferPointer { g in
            clipGradients(g, mode: options.clipMode, threshold: options.gradientClip)
        }
        guard norm.isFinite else { return (loss, norm) }
        model.parameters.withUnsafeMutableBufferPointer { p in
            model.gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: learningRate) }
        }
        return (loss, norm)
    }

    public func evaluate(_ set: PairSet) -> LabelledEvaluation {
        Self.evaluate(model: model, set: set, batchSize: options.batchSize, markers: markers)
    }

    /// `model`'s teacher-forced loss on `set`, nats per target character (the end marker included).
    public static func evaluate(model: EncoderDecoder, set: PairSet, batchSize: Int, markers: DocumentMarkersIDs) -> LabelledEvaluation {
        // Scores are of the fp32 master weights in fp32 products, whatever the run trains in.
        model.withProductPrecision(.fp32) {
            var rng = SplitMix64(seed: 0)  // unused: no dropout outside training
            var total = 0.0, counted = 0
            for indices in PairBatchOrder.inOrder(sourceLengths: set.sources.map(\.count), batchSize: batchSize) {
                let batch = PairBatch(set, indices: indices, markers: markers)
                let steps = batch.lengths.reduce(0) { $0 + Int($1) }
                total += Double(batch.loss(on: model, training: false, rng: &rng)) * Double(steps)
                counted += steps
            }
            return LabelledEvaluation(loss: counted == 0 ? .nan : total / Double(counted), predictions: [], accuracy: nil,
                                      perLabelLoss: [], texts: set.count)
        }
    }

    func makeCheckpoint(elapsed: Double) throws(TrainingError) -> Checkpoint {
        if let bad = NonFiniteValue.first(in: model.parameters) {
            throw .diverged(iteration: iteration, detail: "weight \(bad.index) became \(bad.kind.phrase)", lastGood: directory.lastGood)
        }
        let training = LabelledRunFiles.trainingRecord(
            options: options, task: LabelledTask.translate, iteration: iteration, runID: runID, seconds: elapsedBefore + elapsed,
            optimizerSteps: optimizer.stepCount, epoch: epoch, batch: batchIndex, rng: rng, epochRNG: epochRNG,
            history: history, bestValidation: bestValidation)
        let extras = optimizer.stateTensors.map { SafeTensorsFile.Tensor(name: $0.name, shape: [$0.data.count], data: $0.data) }
        return Checkpoint(config: model.config, vocabulary: data.vocabulary, tokenizer: options.tokenizer,
                          parameters: model.parameters, training: training, extraTensors: extras, documents: .lines)
    }
}
