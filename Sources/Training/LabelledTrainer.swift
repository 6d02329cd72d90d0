import Checkpoints
import Files
import Foundation
import RNN
import SafeTensors
import Tensor
import Tokenizer

/// What a labelled run's caller is told as it goes (the command line draws it).
public enum LabelledEvent: Sendable {
    case started(LabelledStart)
    case step(iteration: Int, epoch: Double, loss: Float, smoothedLoss: Float, charactersPerSecond: Double, elapsed: Double)
    case evaluated(iteration: Int, validation: LabelledEvaluation, improved: Bool)
    case saved(path: String)
}

public struct LabelledStart: Sendable {
    public var task: LabelledTask
    public var labels: [String]
    public var vocabularySize: Int, parameterCount: Int
    public var trainTexts: Int, validationTexts: Int, testTexts: Int
    public var batchesPerEpoch: Int, plannedIterations: Int?
    public var fill: Double                 // real steps over all padded steps of an epoch's batches
    public var model: ModelDescription
    public var directory: String
    public var precision: ProductPrecision  // the products' precision (`--precision`)
    public var kernels: String              // the kernel set that runs them
}

/// A labelled model scored on one split.
public struct LabelledEvaluation: Sendable {
    /// classify: mean cross-entropy per text (unweighted); generate: nats per
    /// character over every predicted step (each text's characters and its end).
    public var loss: Double
    /// classify: each text's most probable class, in the split's order; else empty.
    public var predictions: [Int32]
    /// classify: the fraction predicted right; nil for generate.
    public var accuracy: Double?
    /// generate: nats per character of each label's texts (nil where a label has none).
    public var perLabelLoss: [Double?]
    public var texts: Int
}

public struct LabelledSummary: Sendable {
    public var ending: TrainingSummary.Ending
    public var iterations: Int
    public var epoch: Double
    public var seconds: Double
    public var bestValidation: Double?
    public var finalValidation: LabelledEvaluation?
    public var test: LabelledEvaluation?
    public var latest: String
    public var best: String?
}

/// Trains a model of parts on labelled texts (issue 24): a classifier
/// (one-hot characters → stack → classifier head on the last or mean state)
/// or a label-conditioned generator (one-hot character and label → stack →
/// next character). Each mini-batch holds B whole texts padded to the
/// longest (`LabelledBatch`), each starting from the zero state, with full
/// backpropagation through its (capped) length; the steps past a text's end
/// reach neither the loss nor the head. Validation after every `evalEvery`
/// iterations and at the end; `best` is the checkpoint of the lowest
/// validation loss, `latest` the last. The data, its vocabulary and its
/// stratified split are the caller's (`LabelledRunData`).
/// What labelled and translation runs share in saving (`LabelledTrainer`, `TranslationTrainer`).
enum LabelledRunFiles {
    /// A checkpoint's record of the run (`CheckpointLayout.Training`): its options, where it stands
    /// (iteration, epoch, batch, the random states) and its evaluations, so that `--resume` continues exactly.
    static func trainingRecord(options: TrainingOptions, task: LabelledTask, iteration: Int, runID: String, seconds: Double,
                               optimizerSteps: Int, epoch: Int, batch: Int, rng: SplitMix64, epochRNG: SplitMix64,
                               history: [(iteration: Int, loss: Double)], bestValidation: Double?) -> [String: String] {
        typealias Key = CheckpointLayout.Training
        let optionsJSON = String(decoding: (try? JSONEncoder().encode(options)) ?? Data("{}".utf8), as: UTF8.self)
        var training: [String: String] = [
            Key.options: optionsJSON, Key.iteration: "\(iteration)", Key.runID: runID, Key.task: task.rawValue,
            Key.elapsedSeconds: "\(seconds)", Key.optimizerSteps: "\(optimizerSteps)",
            Key.epoch: "\(epoch)", Key.batch: "\(batch)", Key.rng: "\(rng.state)", Key.epochRNG: "\(epochRNG.state)",
            Key.history: "[" + history.map { "[\($0.iteration),\($0.loss)]" }.joined(separator: ",") + "]",
        ]
        if let best = bestValidation { training[Key.bestValidationLoss] = "\(best)" }
        return training
    }
}

/// A labelled or translation run's reports between steps: the smoothed loss, and every `logEvery`
/// iterations a progress event and a `train.jsonl` line with the characters per second since the last.
struct StepProgress {
    let start: Date
    private var smoothed: Float? = nil
    private var characters = 0
    private var windowStart: Date

    init(start: Date) {
        self.start = start
        windowStart = start
    }

    /// Before a step: what ends the run now (Ctrl-C, then the iteration budget, then the time budget)
    /// or nil, and the seconds trained so far in this session.
    func ending(iteration: Int, options: TrainingOptions, shouldStop: () -> Bool) -> (TrainingSummary.Ending?, Double) {
        if shouldStop() { return (.interrupted, 0) }
        if let m = options.maxIterations, iteration >= m { return (.iterations, 0) }
        let elapsed = Date().timeIntervalSince(start)
        if let s = options.maxSeconds, elapsed >= s { return (.time, elapsed) }
        return (nil, elapsed)
    }

    /// After an optimizer step that read `characters` and left the loss `loss`.
    mutating func record(loss: Float, characters: Int, iteration: Int, epoch: Double, logEvery: Int,
                         directory: RunDirectory, report: (LabelledEvent) -> Void) {
        self.characters += characters
        let smoothed = self.smoothed.map { 0.95 * $0 + 0.05 * loss } ?? loss
        self.smoothed = smoothed
        guard iteration % logEvery == 0 else { return }
        let now = Date(), rate = Double(self.characters) / max(now.timeIntervalSince(windowStart), 1e-9)
        report(.step(iteration: iteration, epoch: epoch, loss: loss, smoothedLoss: smoothed, charactersPerSecond: rate,
                     elapsed: now.timeIntervalSince(start)))
        try? directory.appendLog(["type": .string("train"), "iter": .int(iteration), "loss": .number(Double(loss)),
                                  "chars_per_sec": .number(rate)])
        self.characters = 0
        windowStart = now
    }
}

/// A trainer of whole texts or pairs, as the command line drives it (`LabelledTrainer`, `TranslationTrainer`).
public protocol LabelledRun {
    /// The iteration a resumed run continues from; nil for a new run.
    var resumedAt: Int? { get }
    /// Trains until the budget ends or `shouldStop` says so, saving checkpoints on the way.
    func run(report: (LabelledEvent) -> Void, shouldStop: () -> Bool) throws(TrainingError) -> LabelledSummary
}

public final class LabelledTrainer: LabelledRun, WholeTextTraining {
    public let options: TrainingOptions
    public let task: LabelledTask
    public let model: StackedRNN
    public let data: LabelledRunData
    public let directory: RunDirectory
    private var optimizer: Optimizer
    private let classWeights: [Float]?
    /// The loss past which the run has diverged: per text over the classes, per character over the vocabulary.
    let divergence: (limit: Float, unit: String)
    private let markers: DocumentMarkersIDs?
    private let runID: String
    // Where the run stands (`WholeTextTraining`).
    var iteration = 0, epoch = 0, batchIndex = 0
    var rng: SplitMix64
    var epochRNG: SplitMix64
    var bestValidation: Double?
    var history: [(iteration: Int, loss: Double)] = []
    var elapsedBefore = 0.0
    /// The iteration a resumed run started from, or nil.
    public let resumedAt: Int?

    /// Prepares a new run, or with `resume` continues that checkpoint's run exactly (the same data,
    /// model and settings; only the budget and the evaluation and log intervals may differ).
    public init(options: TrainingOptions, data: LabelledRunData, checkpointDirectory: String,
                overwrite: Bool = false, resume: Checkpoint? = nil, resumeSource: String? = nil) throws(TrainingError) {
        guard let task = options.task, task != .translate else {
            throw .invalidOptions("a labelled run needs --task classify or --task generate (translate: TranslationTrainer)")
        }
        if let p = options.problem { throw .invalidOptions(p) }
        if data.train.count == 0 { throw .corpus("no training texts") }
        let k = data.labels.count
        var config = ModelConfig(cell: options.cell, activation: options.activation, vocabularySize: data.vocabulary.count,
                                 hiddenSize: options.hiddenSize, layerCount: options.layerCount, dropout: options.dropout,
                                 recurrentDropout: options.recurrentDropout, layerNorm: options.layerNorm)
        var markers: DocumentMarkersIDs? = nil
        switch task {
        case .classify:
            config.head = .classifier
            config.outputSize = k
            config.pooling = options.pooling ?? .last
        case .generate:
            guard let m = data.vocabulary.documentMarkers else { throw .corpus("a generate run's vocabulary needs the document markers") }
            if !(options.unconditioned ?? false) {
                config.input = .oneHotAndLabel
                config.labelCount = k
            }
            markers = DocumentMarkersIDs(start: m.start, end: m.end)
        case .translate:
            preconditionFailure("refused above")
        }
        if let p = config.problem { throw .invalidOptions(p) }
        // The checkpoint writer's rules for label names, asked now: at the first save the run's work would be lost.
        if let p = Checkpoint.labelsProblem(Self.checkpointLabels(data.labels, config: config), config: config) {
            throw .corpus("the data's labels: \(p)")
        }
        try Trainer.checkModelFits(config: config, options: options)
        let model = StackedRNN(config: config)
        model.productPrecision = options.productPrecision
        var optimizer = Optimizer(settings: options.optimizer, parameterCount: model.parameters.count)
        if let resume {
            guard resume.config.withoutDropout == config.withoutDropout, resume.vocabulary == data.vocabulary,
                  Checkpoint.labelCount(of: config) == nil || resume.labels == data.labels else {
                throw .resumeMismatch("the data is not the one this run was trained on (its characters, labels or model differ)")
            }
        }
        let begin = try WholeTextStart(
            options: options, resume: resume, resumeSource: resumeSource, checkpointDirectory: checkpointDirectory, overwrite: overwrite,
            parameterCount: model.parameters.count, batchesPerEpoch: (data.train.count + options.batchSize - 1) / options.batchSize,
            optimizer: &optimizer,
            initialize: { model.initialize(rng: &$0, options: options.initOptions(for: config)) },
            restore: { model.parameters = $0 })

        self.options = options
        self.task = task
        self.model = model
        self.data = data
        self.directory = begin.directory
        self.optimizer = optimizer
        self.rng = begin.rng
        self.epochRNG = begin.epochRNG
        self.markers = markers
        divergence = task == .classify ? (DivergenceLimit.perText(classes: k), "nats/text")
            : (DivergenceLimit.perCharacter(vocabularySize: data.vocabulary.count), "nats/char")
        self.classWeights = task == .classify && (options.classWeighting ?? .none) != .none
            ? (options.classWeighting ?? .none).weights(counts: data.train.counts(labelCount: k)) : nil
        runID = begin.runID
        resumedAt = begin.point?.iteration
        continueFrom(begin.point)
    }

    private var cap: Int { options.maxTextLength ?? TrainingOptions.defaultMaxTextLength }

    /// Steps of one text as the model reads it (for batching by length).
    private func steps(_ text: [Int32]) -> Int { min(cap, text.count + (task == .generate ? 1 : 0)) }

    /// The texts' steps, for batching by length.
    private lazy var lengths = data.train.texts.map(steps)

    /// Trains until the budget (epochs, iterations, time) ends or `shouldStop` says so; saves
    /// `latest` (and `best`) at every evaluation and at the end. Returns what it measured.
    public func run(report: (LabelledEvent) -> Void, shouldStop: () -> Bool = { false }) throws(TrainingError) -> LabelledSummary {
        try runWholeTexts(report: report, shouldStop: shouldStop)
    }

    func epochOrder(_ rng: inout SplitMix64) -> [ArraySlice<Int>] {
        LabelledBatchOrder.epoch(lengths: lengths, batchSize: options.batchSize, rng: &rng)
    }

    func started(firstOrder: [ArraySlice<Int>], plannedIterations: Int?) -> LabelledStart {
        LabelledStart(task: task, labels: data.labels, vocabularySize: data.vocabulary.count,
                      parameterCount: model.parameters.count, trainTexts: data.train.count,
                      validationTexts: data.validation.count, testTexts: data.test.count,
                      batchesPerEpoch: firstOrder.count, plannedIterations: plannedIterations, fill: Self.fill(firstOrder, lengths: lengths),
                      model: model.config.modelDescription, directory: directory.path,
                      precision: model.productPrecision, kernels: model.kernels.name)
    }

    func trainBatch(_ indices: ArraySlice<Int>, learningRate: Float) throws(TrainingError) -> (loss: Float, characters: Int) {
        let batch = LabelledBatch(data.train, indices: indices, task: task, cap: cap, markers: markers)
        return (try trainStep(batch, learningRate: learningRate), batch.lengths.reduce(0) { $0 + Int($1) })
    }

    func evaluateValidation() -> LabelledEvaluation? { data.validation.count > 0 ? evaluate(data.validation) : nil }
    func evaluateTest() -> LabelledEvaluation? { data.test.count > 0 ? evaluate(data.test) : nil }
    func evalRecordExtras(_ v: LabelledEvaluation) -> [String: JSONValue] { v.accuracy.map { ["val_accuracy": .number($0)] } ?? [:] }

    /// Real steps over padded steps of an epoch's batches.
    static func fill(_ batches: [ArraySlice<Int>], lengths: [Int]) -> Double {
        var real = 0, padded = 0
        for batch in batches {
            let longest = batch.map { max(1, lengths[$0]) }.max() ?? 1
            real += batch.reduce(0) { $0 + max(1, lengths[$1]) }
            padded += longest * batch.count
        }
        return padded == 0 ? 1 : Double(real) / Double(padded)
    }

    /// One optimizer step on `batch`: forward, backward, clip, step. A loss past the divergence
    /// limit (or not finite), or a gradient that is not finite, stops the run before the weights change.
    private func trainStep(_ batch: LabelledBatch, learningRate: Float) throws(TrainingError) -> Float {
        model.zeroGradients()
        let loss = batch.loss(on: model, task: task, classWeights: classWeights, training: true, rng: &rng)
        let (limit, unit) = divergence
        if DivergenceLimit.stops(loss, limit: limit) {
            throw .diverged(iteration: iteration + 1, detail: DivergenceLimit.detail(loss, limit: limit, unit: unit),
                            lastGood: directory.lastGood)
        }
        model.backward()
        let norm = model.gradients.withUnsafeMutableBufferPointer { g in
            clipGradients(g, mode: options.clipMode, threshold: options.gradientClip)
        }
        if !norm.isFinite {
            throw .diverged(iteration: iteration + 1, detail: "the gradient norm became \(norm)", lastGood: directory.lastGood)
        }
        model.parameters.withUnsafeMutableBufferPointer { p in
            model.gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: p, gradients: g, learningRate: learningRate) }
        }
        return loss
    }

    /// The model scored on `set` (no dropout, unweighted), in batches of B.
    public func evaluate(_ set: LabelledSet) -> LabelledEvaluation {
        LabelledTrainer.evaluate(model: model, set: set, task: task, batchSize: options.batchSize, cap: cap, markers: markers,
                                 labelCount: data.labels.count)
    }

    /// `model` scored on `set` as a labelled run of `task` scores it (also `charrnn eval`'s).
    public static func evaluate(model: StackedRNN, set: LabelledSet, task: LabelledTask, batchSize b: Int, cap: Int,
                                markers: DocumentMarkersIDs?, labelCount k: Int) -> LabelledEvaluation {
        // Scores are of the fp32 master weights in fp32 products, whatever the run trains in (as `Evaluator`'s).
        model.withProductPrecision(.fp32) {
            var rng = SplitMix64(seed: 0)   // unused: no dropout outside training
            var total = 0.0, counted = 0
            var predictions: [Int32] = []
            var labelLoss = [Double](repeating: 0, count: k), labelSteps = [Int](repeating: 0, count: k)
            var start = 0
            while start < set.count {
                let indices = Array(start..<min(set.count, start + b))[...]
                start += b
                switch task {
                case .classify:
                    let batch = LabelledBatch(set, indices: indices, task: task, cap: cap, markers: markers)
                    let loss = batch.loss(on: model, task: task, training: false, rng: &rng)
                    total += Double(loss) * Double(batch.rows)
                    counted += batch.rows
                    for row in 0..<batch.rows {
                        let out = model.headOutputs(batch: row)
                        var best = 0
                        for j in 1..<out.count where out[j] > out[best] { best = j }
                        predictions.append(Int32(best))
                    }
                case .generate:
                    // A batch's loss is one mean over all its rows' steps; the per-label figures need each
                    // row's own, so each text runs alone (B = 1, its own length: no padding).
                    // A model sampling from reduced weights: through its sampling step, as `Evaluator` scores one.
                    for i in indices {
                        let one = LabelledBatch(set, indices: [i], task: task, cap: cap, markers: markers)
                        let steps = Int(one.lengths[0]), label = Int(one.labels[0])
                        let loss: Float
                        if model.weightPrecision == .fp32 {
                            loss = one.loss(on: model, task: task, training: false, rng: &rng)
                        } else {
                            var state = [RecurrentState.zeros(config: model.config, batchSize: 1)][...]
                            loss = Evaluator.stepLoss(model: model, inputs: one.tokens, targets: one.targets, steps: steps,
                                                      labels: model.config.input == .oneHotAndLabel ? [one.labels[0]] : nil, states: &state)
                        }
                        total += Double(loss) * Double(steps)
                        counted += steps
                        labelLoss[label] += Double(loss) * Double(steps)
                        labelSteps[label] += steps
                    }
                case .translate:
                    preconditionFailure("LabelledTrainer.evaluate: pairs are scored by TranslationTrainer.evaluate")
                }
            }
            let accuracy: Double? = task == .classify && !predictions.isEmpty
                ? Double(zip(predictions, set.labels).filter { $0 == $1 }.count) / Double(predictions.count) : nil
            return LabelledEvaluation(loss: counted == 0 ? .nan : total / Double(counted), predictions: predictions, accuracy: accuracy,
                                      perLabelLoss: task == .generate ? (0..<k).map { labelSteps[$0] == 0 ? nil : labelLoss[$0] / Double(labelSteps[$0]) } : [],
                                      texts: set.count)
        }
    }

    func makeCheckpoint(elapsed: Double) throws(TrainingError) -> Checkpoint {
        if let bad = NonFiniteValue.first(in: model.parameters) {
            throw .diverged(iteration: iteration, detail: "weight \(bad.index) became \(bad.kind.phrase)", lastGood: directory.lastGood)
        }
        let training = LabelledRunFiles.trainingRecord(
            options: options, task: task, iteration: iteration, runID: runID, seconds: elapsedBefore + elapsed,
            optimizerSteps: optimizer.stepCount, epoch: epoch, batch: batchIndex, rng: rng, epochRNG: epochRNG,
            history: history, bestValidation: bestValidation)
        let extras = optimizer.stateTensors.map { SafeTensorsFile.Tensor(name: $0.name, shape: [$0.data.count], data: $0.data) }
        return Checkpoint(config: model.config, vocabulary: data.vocabulary, tokenizer: options.tokenizer,
                          parameters: model.parameters, training: training, extraTensors: extras,
                          documents: task == .generate ? .lines : nil,
                          labels: Self.checkpointLabels(data.labels, config: model.config))
    }

    /// The label names a checkpoint of `config` holds: none for a model without labels (the unconditioned generator).
    static func checkpointLabels(_ labels: [String], config: ModelConfig) -> [String]? {
        Checkpoint.labelCount(of: config) == nil ? nil : labels
    }
}

/// What a labelled run trains on: the vocabulary of its texts (with the
/// document markers for `generate`), the label names in id order, and the
/// stratified split's three parts.
public struct LabelledRunData: Sendable {
    public var vocabulary: Vocabulary
    public var labels: [String]
    public var train: LabelledSet, validation: LabelledSet, test: LabelledSet

    public init(vocabulary: Vocabulary, labels: [String], train: LabelledSet, validation: LabelledSet, test: LabelledSet) {
        self.vocabulary = vocabulary
        self.labels = labels
        self.train = train
        self.validation = validation
        self.test = test
    }
}
