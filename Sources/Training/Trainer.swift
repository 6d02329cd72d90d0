import Checkpoints
import Files
import Foundation
import RNN
import SafeTensors
import Tensor
import Tokenizer

/// What the trainer tells its caller as it goes (the command line draws it).
public enum TrainingEvent: Sendable {
    case started(TrainingStart)
    case step(TrainingProgress)
    case evaluated(iteration: Int, validation: Evaluation, improved: Bool)
    case saved(path: String)
}

public struct TrainingStart: Sendable {
    public var corpusCharacters: Int, vocabularySize: Int, parameterCount: Int
    public var trainCharacters: Int, validationCharacters: Int, testCharacters: Int
    public var iterationsPerEpoch: Int, plannedIterations: Int?
    public var resumedAt: Int?            // iteration a resumed run starts from
    public var directory: String
    public var baselines: Baselines?      // unigram and bigram validation loss, fitted on the training split
    public var inputs: CorpusInputs       // what was read
    public var skipped: String?           // the notice for files left out below the directories given, or nil
    public var folding: VocabularyFolding? // rare characters folded into <unk>, when the run folds
    public var tokens: String?            // where the token ids come from (the token cache), or nil
    public var documents: DocumentCounts?  // documents runs: how the corpus was cut and split
    public var precision: ProductPrecision // the products' precision (`--precision`)
    public var kernels: String             // the kernel set that runs them
    public var ranks = 1                   // processes of a data-parallel run (`mpirun -n K`)
}

public struct TrainingProgress: Sendable {
    public var iteration: Int             // completed iterations
    public var plannedIterations: Int?    // from --max-iters / --epochs, when known
    public var epoch: Double              // fractional epochs completed
    public var loss: Float                // this iteration's training loss (nats/char)
    public var smoothedLoss: Float        // exponential moving average, for display
    public var validationLoss: Double?    // latest
    public var learningRate: Float
    public var gradientNorm: Float
    public var charactersPerSecond: Double
    public var elapsed: Double            // seconds of this session
    public var remaining: Double?         // estimated seconds left, when a budget is known
}

public struct TrainingSummary: Sendable {
    public enum Ending: String, Sendable { case budget, epochs, iterations, time, patience, interrupted }
    public var ending: Ending
    public var iterations: Int
    public var epoch: Double
    public var seconds: Double
    public var charactersPerSecond: Double
    public var bestValidation: Double?
    public var finalValidation: Evaluation?
    public var test: Evaluation?
    public var latest: String
    public var best: String?
}

/// Truncated backpropagation through time over char-rnn's stream layout.
///
/// The final hidden state of window k seeds window k + 1 (no gradient crosses
/// the boundary); the state resets to zeros at each epoch boundary, and
/// evaluation runs on its own state, so it never disturbs training.
public final class Trainer {
    public let options: TrainingOptions
    public let model: StackedRNN
    public let vocabulary: Vocabulary
    /// The loss past which the run has diverged, nats per character (`DivergenceLimit`), training or validation.
    private let divergenceLimit: Float
    public let directory: RunDirectory
    public let corpusIDs: TokenIDs
    public let splits: DataSplits

    private let streams: BatchStreams
    private var step: TrainingStep                 // the model, the optimizer, clipping
    private var rng: SplitMix64
    private var state: RecurrentState              // carried across windows
    private var iteration = 0                       // completed optimizer steps
    private var epoch = 0                           // completed epochs
    private var batchIndex = 0                      // next window within the epoch
    private var bestValidation: Double?
    private var evalsWithoutImprovement = 0
    private var history: [(iteration: Int, loss: Double)] = []
    private var lastEvaluation: Evaluation?         // this session's newest validation pass
    private var elapsedBefore = 0.0                 // seconds trained by earlier sessions
    private let schedule: LearningRateSchedule

    /// Why `--resume` or `--init-from` cannot continue `checkpoint`, or nil: a model trained on labelled
    /// texts (`--task`; the unconditioned generator too, whose model has the plain shape) read whole
    /// texts, and only a model of one text goes on here.
    public static func labelledSourceProblem(_ checkpoint: Checkpoint) -> String? {
        let task = checkpoint.training[CheckpointLayout.Training.task]
        guard task != nil || checkpoint.config.head != .nextCharacter || checkpoint.config.input != .oneHot else { return nil }
        if checkpoint.config.attention != nil {
            return "the checkpoint is a translation model (an encoder–decoder trained on source<TAB>target pairs); resume it with "
                + "--task translate --resume, and --init-from takes models of one text"
        }
        return "the checkpoint was trained on labelled texts (--task \(task ?? "classify or generate"): a \(checkpoint.config.head.rawValue) head, "
            + "\(checkpoint.config.input.rawValue) input); resume it with --task \(task ?? "classify or generate") --resume, and --init-from takes models of one text"
    }

    /// Prepares a run: reads the corpus, builds or restores the model, takes the
    /// checkpoint directory's lock. `resume` continues that checkpoint's run
    /// exactly; `initFrom` starts a new run from its weights (fine-tuning).
    ///
    /// Everything that can refuse the run (options, corpus, memory, resume
    /// state) is checked before the directory is touched; then `RunDirectory.claim`
    /// decides whether this run may write there: a directory holding another
    /// run is refused unless `overwrite` (and only then are its files removed),
    /// so that no run's checkpoints are lost by accident.
    public init(options: TrainingOptions, checkpointDirectory: String,
                resume: Checkpoint? = nil, initFrom: Checkpoint? = nil, overwrite: Bool = false,
                resumeSource: String? = nil, tokenCache: TokenCache? = nil,
                plan: ((AutoPlan.Corpus, TrainingOptions) -> TrainingOptions)? = nil,
                group: (any TrainingGroup)? = nil) throws(TrainingError) {
        if let p = options.problem { throw .invalidOptions(p) }
        if let group, let p = Trainer.groupProblem(batchSize: options.batchSize, ranks: group.size) { throw .invalidOptions(p) }
        let source = resume ?? initFrom
        if let source, let problem = Trainer.labelledSourceProblem(source) { throw .checkpoint(problem) }
        var options = options
        if let source {  // the checkpoint fixes the model, whole, and its tokenizer
            options.adoptModel(source.config)
            options.tokenizer = source.tokenizer
        }

        // Everything that can refuse the run, in this order, before the directory is touched.
        var corpus = try Trainer.loadCorpus(options: options, resume: resume, source: source, tokenCache: tokenCache)
        corpus.inputs = corpus.inputs.fingerprinted(corpus.ids)
        try Trainer.checkResumedInputs(resume, corpus.inputs)
        let documentSplit = try Trainer.splitCorpus(&corpus, options: options, source: source)
        let splits: DataSplits
        if let documentSplit { splits = documentSplit.splits } else { splits = try Trainer.characterSplits(corpus, options: options) }
        if let plan {  // `--auto`: the rest of the settings, now that the data is known
            options = plan(AutoPlan.Corpus(trainCharacters: splits.train.count, vocabularySize: corpus.vocabulary.count), options)
            if let p = options.problem { throw .invalidOptions(p) }
        }
        let streams = try Trainer.trainingStreams(corpus, splits: splits, options: options, documentSplit: documentSplit)
        let config = try Trainer.modelConfig(options: options, vocabulary: corpus.vocabulary, source: source)
        let schedule = Trainer.resolve(options.schedule, options: options, iterationsPerEpoch: streams.batchCount)
        if case .cosine(_, nil, _, nil) = schedule {  // unreachable from the command line, which always sets a budget
            throw .invalidOptions("--lr-schedule cosine needs a budget: give --max-iters, --epochs or --max-time")
        }
        var rng = SplitMix64(seed: options.seed)
        let model = try Trainer.buildOrRestoreModel(config: config, options: options, source: source, rng: &rng)
        model.productPrecision = options.productPrecision
        var optimizer = Optimizer(settings: options.optimizer, parameterCount: model.parameters.count)
        var state = RecurrentState.zeros(config: config, batchSize: options.batchSize)
        var resumePoint: ResumePoint? = nil
        if let resume {
            resumePoint = try ResumePoint(resume, optimizer: &optimizer, state: &state, batchesPerEpoch: streams.batchCount)
        }
        if let group {  // this rank's rows of the carried state (a checkpoint holds all B, whatever K wrote it)
            state = state.rows(group.rows(of: options.batchSize), layers: config.layerCount, hidden: config.hiddenSize)
        }

        // Only now the directory: take it, then ask whether this run may write there.
        let (directory, runID) = try Trainer.claimDirectory(checkpointDirectory, model: model, config: config, options: options,
                                                            resume: resume, resumeSource: resumeSource, overwrite: overwrite,
                                                            documentSplit: documentSplit)

        self.directory = directory
        self.runID = runID ?? Trainer.newRunID()
        self.options = options
        self.model = model
        self.vocabulary = corpus.vocabulary
        divergenceLimit = DivergenceLimit.perCharacter(vocabularySize: corpus.vocabulary.count)
        self.corpusIDs = corpus.ids
        self.splits = splits
        self.streams = streams
        self.inputs = corpus.inputs
        self.skipped = corpus.files.notice
        self.tokenSource = corpus.tokens
        self.folding = corpus.folding
        self.documentCounts = documentSplit?.counts
        self.step = TrainingStep(model: model, optimizer: optimizer, clipMode: options.clipMode,
                                 clipThreshold: options.gradientClip, batchSize: options.batchSize,
                                 sequenceLength: options.sequenceLength, group: group)
        self.group = group
        self.state = state
        self.rng = rng
        self.schedule = schedule
        if let r = resumePoint {
            iteration = r.iteration; epoch = r.epoch; batchIndex = r.batchIndex
            self.rng = r.rng
            bestValidation = r.bestValidation; elapsedBefore = r.elapsedBefore
            evalsWithoutImprovement = r.evalsWithoutImprovement; history = r.history
            resumedAtIteration = r.iteration
        }
    }

    /// Refuses a data-parallel run whose ranks read different corpora or options (or resume from different
    /// points): each rank's hashes of both, compared over the group before the first step (in `run`, so that
    /// the ranks may prepare one after another: rank 0 first, writing the token cache the others then read).
    private static func checkRanksAgree(_ group: any TrainingGroup, options: TrainingOptions, inputs: CorpusInputs,
                                        vocabulary: Vocabulary, characters: Int, iteration: Int) throws(TrainingError) {
        func fnv(_ text: String) -> UInt64 { DocumentHashes.fnv1a(text.utf8) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let optionsJSON = String(decoding: (try? encoder.encode(options)) ?? Data(), as: UTF8.self)
        let corpus = fnv(Checkpoint.json(inputs) + "\u{0}" + vocabulary.tokens.joined(separator: "\u{0}") + "\u{0}\(characters)")
        let settings = fnv(optionsJSON + "\u{0}\(iteration)")
        // 16 bits per Float: exact.
        var piece: [Float] = []
        for hash in [corpus, settings] {
            for k: UInt64 in 0..<4 { piece.append(Float((hash >> (16 * k)) & 0xFFFF)) }
        }
        let all = try group.gather(piece), first = Array(all[0..<8])   // every rank compares every other with rank 0
        for r in 1..<group.size {
            let theirs = Array(all[r * 8 ..< r * 8 + 8])
            if theirs[0..<4] != first[0..<4] { throw .invalidOptions("rank \(r) reads another corpus than rank 0 (the ranks must train on the same files)") }
            if theirs[4..<8] != first[4..<8] { throw .invalidOptions("rank \(r) was given other options than rank 0 (or resumes from another checkpoint)") }
        }
    }

    /// A run's identity, kept in its checkpoints: which run a directory holds.
    private let runID: String
    /// The ranks of a data-parallel run, or nil. Rank 0 alone evaluates, writes checkpoints and reports.
    public let group: (any TrainingGroup)?
    private var isPrimary: Bool { (group?.rank ?? 0) == 0 }

    /// Why a data-parallel run cannot split `--batch-size` over `ranks`, or nil.
    public static func groupProblem(batchSize: Int, ranks: Int) -> String? {
        guard batchSize % ranks != 0 else { return nil }
        return "--batch-size \(batchSize) does not split over \(ranks) ranks: give a multiple of \(ranks) (each rank trains B/K streams)"
    }
    /// What the run reads (recorded in its checkpoints), what was left out, and what folded.
    public let inputs: CorpusInputs
    private let skipped: String?
    private let tokenSource: String?
    public let folding: VocabularyFolding?
    /// How a documents run cut and split its corpus.
    public let documentCounts: DocumentCounts?

    private static func newRunID() -> String {
        let id = String(UInt64.random(in: 1...UInt64.max), radix: 16)
        return String(repeating: "0", count: 16 - id.count) + id
    }

    // MARK: - Preparing a run (the steps of `init`, in its order)

    /// The corpus in the run's vocabulary: the checkpoint's when there is one, else the corpus's own.
    /// Documents runs hold their framed ids in memory (`DocumentSplit`), so the token cache would not spare them anything.
    private static func loadCorpus(options: TrainingOptions, resume: Checkpoint?, source: Checkpoint?,
                                   tokenCache: TokenCache?) throws(TrainingError) -> TrainingCorpus {
        let tokenCache = options.documents == nil ? tokenCache : nil
        do {
            let files = try CorpusFiles.find(options.corpusPaths)
            // A resumed run reads its token cache when that holds the checkpoint's vocabulary.
            var cached: Corpus? = nil
            var tokens: String? = nil
            if let resume {
                (cached, tokens) = try Trainer.cachedCorpus(files: files, cache: tokenCache, settings: resume.tokenizer,
                                                            policy: resume.folding?.policy ?? VocabularyPolicy())
            }
            if let source, let corpus = cached, corpus.vocabulary == source.vocabulary {
                return TrainingCorpus(vocabulary: source.vocabulary, ids: corpus.tokenIDs, sourceStarts: corpus.sourceStarts,
                                      inputs: corpus.inputs, tokens: tokens, files: files, folding: corpus.folding)
            } else if let source {
                if cached != nil { tokens = "token ids in memory (the cached vocabulary is not the checkpoint's)" }
                let encoded = try Corpus.encode(files: files, settings: source.tokenizer, vocabulary: source.vocabulary)
                if !encoded.unknown.isEmpty && source.vocabulary.unknownID == nil {
                    let list = encoded.unknown.keys
                    throw TrainingError.corpus(
                        "\(options.corpusPaths.joined(separator: " ")) has \(list.count) character\(list.count == 1 ? "" : "s") the checkpoint's vocabulary lacks: "
                            + Vocabulary.displayList(list))
                }
                // A folding checkpoint's policy goes on: what its vocabulary lacks reads as <unk>.
                let folding = source.folding.map {
                    VocabularyFolding(policy: $0.policy, foldedCharacters: encoded.unknown.count, foldedOccurrences: encoded.unknownCount)
                }
                return TrainingCorpus(vocabulary: source.vocabulary, ids: TokenIDs(encoded.ids), sourceStarts: encoded.sourceStarts,
                                      inputs: encoded.inputs, tokens: tokens, files: files, folding: folding)
            } else {
                let (cached, note) = try Trainer.cachedCorpus(files: files, cache: tokenCache, settings: options.tokenizer,
                                                              policy: options.vocabularyPolicy)
                let corpus = try cached ?? Corpus.load(files: files, settings: options.tokenizer, policy: options.vocabularyPolicy)
                return TrainingCorpus(vocabulary: corpus.vocabulary, ids: corpus.tokenIDs, sourceStarts: corpus.sourceStarts,
                                      inputs: corpus.inputs, tokens: note, files: files, folding: corpus.folding)
            }
        } catch let e as TrainingError {
            throw e
        } catch {
            throw .corpus("\(error)")
        }
    }

    /// A resumed run reads the inputs it was trained on (their counts and fingerprint as the checkpoint recorded them).
    private static func checkResumedInputs(_ resume: Checkpoint?, _ inputs: CorpusInputs) throws(TrainingError) {
        if let resume, let text = resume.training[Key.inputs],
           let stored = try? JSONDecoder().decode(CorpusInputs.self, from: Data(text.utf8)),
           let difference = stored.difference(from: inputs) {
            throw .resumeMismatch("the inputs are not the ones this run was trained on (\(difference))")
        }
    }

    /// Documents runs (issue 13): frames the documents (markers added to a new run's vocabulary), splits
    /// them by documents, and leaves the framed ids in `corpus`; nil for one stream, split by characters.
    private static func splitCorpus(_ corpus: inout TrainingCorpus, options: TrainingOptions,
                                    source: Checkpoint?) throws(TrainingError) -> DocumentSplit? {
        if source.map({ $0.documents != options.documents }) ?? false {
            throw .checkpoint("the checkpoint was trained \(source!.documents.map { "with --documents \($0.rawValue)" } ?? "without --documents"); "
                              + "its runs keep that (\(options.documents.map { "--documents \($0.rawValue)" } ?? "no --documents") given)")
        }
        guard let mode = options.documents else { return nil }
        if source == nil { corpus.vocabulary = corpus.vocabulary.addingDocumentMarkers() }
        let split = try DocumentSplit(ids: corpus.ids.array, sourceStarts: corpus.sourceStarts, vocabulary: corpus.vocabulary, mode: mode,
                                      validationFraction: options.validationFraction, testFraction: options.testFraction,
                                      seed: options.seed, name: options.corpusPaths.joined(separator: " "))
        corpus.ids = TokenIDs(split.ids)
        return split
    }

    /// One stream's train | validation | test split, by characters.
    private static func characterSplits(_ corpus: TrainingCorpus, options: TrainingOptions) throws(TrainingError) -> DataSplits {
        do {
            return try DataSplits(tokenCount: corpus.ids.count, validationFraction: options.validationFraction,
                                  testFraction: options.testFraction)
        } catch {
            throw .corpus("\(options.corpusPath): \(error)")
        }
    }

    /// The training split as B streams of windows of T.
    private static func trainingStreams(_ corpus: TrainingCorpus, splits: DataSplits, options: TrainingOptions,
                                        documentSplit: DocumentSplit?) throws(TrainingError) -> BatchStreams {
        do {
            return try BatchStreams(ids: corpus.ids, range: splits.train, batchSize: options.batchSize,
                                    sequenceLength: options.sequenceLength)
        } catch {
            let documents = documentSplit.map { " (\($0.counts.training) training documents of \($0.counts.documents))" } ?? ""
            throw .corpus("\(options.corpusPaths.joined(separator: " ")): \(error)\(documents)")
        }
    }

    /// The model the options describe for this vocabulary: valid, the checkpoint's own when there is
    /// one, and small enough to train in the memory left.
    private static func modelConfig(options: TrainingOptions, vocabulary: Vocabulary,
                                    source: Checkpoint?) throws(TrainingError) -> ModelConfig {
        let config = options.modelConfig(vocabularySize: vocabulary.count)
        if let p = config.problem { throw .invalidOptions(p) }
        if let source, config.withoutDropout != source.config.withoutDropout {  // adoptModel missed a field
            throw .checkpoint("the checkpoint's model (\(source.config.withoutDropout)) is not the one this run would build (\(config.withoutDropout))")
        }
        try Trainer.checkModelFits(config: config, options: options)
        return config
    }

    /// The checkpoint's weights, or new ones drawn from `rng` (which a restored model leaves untouched).
    private static func buildOrRestoreModel(config: ModelConfig, options: TrainingOptions, source: Checkpoint?,
                                            rng: inout SplitMix64) throws(TrainingError) -> StackedRNN {
        let model = StackedRNN(config: config)
        if let source {
            guard source.parameters.count == model.parameters.count else {
                throw .checkpoint("checkpoint parameters do not match its own config")
            }
            model.parameters = source.parameters
        } else {
            model.initialize(rng: &rng, options: options.initOptions(for: config))
        }
        return model
    }

    /// Takes the checkpoint directory, then asks `RunDirectory.claim` whether this run may write there
    /// (clearing another run's files only with `overwrite`); writes a documents run's training hashes.
    /// Returns the directory and the resumed run's id (nil for a new run).
    private static func claimDirectory(_ path: String, model: StackedRNN, config: ModelConfig, options: TrainingOptions,
                                       resume: Checkpoint?, resumeSource: String?, overwrite: Bool,
                                       documentSplit: DocumentSplit?) throws(TrainingError) -> (RunDirectory, String?) {
        let bytes = 4 * (3 * model.parameters.count + 2 * config.layerCount * options.batchSize * options.hiddenSize) + 65536
        let directory = try RunDirectory(path: path, checkpointBytes: bytes)
        let runID = resume.map { $0.training[Key.runID] } ?? nil
        let clear = try directory.claim(resume == nil ? .newRun(overwrite: overwrite)
                                        : .continueRun(runID: runID, source: resumeSource ?? path + "/latest.safetensors"))
        if clear { directory.clearRun() }
        if let hashes = documentSplit?.trainingHashes {  // documents: beside the checkpoints, for `sample --novel`
            do { try hashes.write(to: directory.documentHashes) } catch { throw .checkpointDirectory(directory.path, "\(error)") }
        }
        return (directory, runID)
    }

    /// Refuses a model whose training would not fit in memory: parameters,
    /// gradients, optimizer moments, the window's activations and logits, and a
    /// checkpoint being encoded.
    static func checkModelFits(config: ModelConfig, options: TrainingOptions) throws(TrainingError) {
        let needed = trainingBytes(config: config, options: options) + processOverhead
        guard let available = SystemMemory.availableBytes, needed > available else { return }
        let p = config.parameterCount
        throw .invalidOptions("this model needs about \(SystemMemory.describe(needed)) of memory to train (\(p) parameters; "
            + "B×T = \(options.batchSize * options.sequenceLength) positions × \(config.vocabularySize) characters of logits); "
            + "\(SystemMemory.describe(available)) is available: lower --hidden, --layers, --batch-size or --seq-length")
    }

    /// What the process holds besides the model: the runtime, ICU, OpenBLAS's
    /// buffers. Measured: LSTM 2×512 on tinyshakespeare peaked at 214 MB
    /// against 182 MB of `trainingBytes` and 4.5 MB of corpus ids.
    static let processOverhead = 40_000_000

    /// The memory estimate behind `checkModelFits`, in bytes (the model's part).
    public static func trainingBytes(config: ModelConfig, options: TrainingOptions) -> Int {
        let p = config.parameterCount
        let moments = Optimizer.stateTensorNames(for: options.optimizer.kind).count
        let checkpoint = 4 * (2 + moments) * p   // while one is written: the per-tensor copies, then the encoded file
        return StackedRNN.trainingBytes(config: config, batchSize: options.batchSize, sequenceLength: options.sequenceLength)
            + 4 * moments * p + checkpoint
    }

    /// Iterations the budget allows, when it is counted in iterations or epochs.
    public var plannedIterations: Int? {
        Self.plannedIterations(options: options, iterationsPerEpoch: streams.batchCount)
    }

    /// The iterations `--max-iters` and the epoch budget allow (the smaller), nil when only time bounds the run.
    private static func plannedIterations(options: TrainingOptions, iterationsPerEpoch: Int) -> Int? {
        let byEpochs = options.epochBudget.map { product($0, iterationsPerEpoch) }
        return [options.maxIterations, byEpochs].compactMap { $0 }.min()
    }

    static func resolve(_ s: ScheduleSpec, options: TrainingOptions, iterationsPerEpoch: Int) -> LearningRateSchedule {
        switch s {
        case .constant:
            return .constant
        case .stepPerEpoch(let factor, let after):
            return .stepDecay(every: iterationsPerEpoch, factor: factor, startAfter: product(after, iterationsPerEpoch))
        case .cosine(let warmup, let minimum):
            // Over the iterations the budget allows and/or this session's time budget, whichever
            // is further along. A resumed run counts iterations from the run's start and time from
            // its own start: with --max-time alone, each session is a new cycle.
            let planned = plannedIterations(options: options, iterationsPerEpoch: iterationsPerEpoch)
            return .cosine(warmup: warmup, total: planned, minimumFactor: minimum, seconds: options.maxSeconds)
        }
    }

    /// a·b, or Int.max where that overflows: a budget beyond any run.
    static func product(_ a: Int, _ b: Int) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : p
    }

    /// The corpus through the token cache, and the line that says where its
    /// ids come from; no corpus without a cache, or when the cache cannot be
    /// written (the line then says why, and the caller reads the text into memory).
    static func cachedCorpus(files: CorpusFiles, cache: TokenCache?, settings: TokenizerSettings,
                             policy: VocabularyPolicy) throws(TokenizerError) -> (Corpus?, String?) {
        guard let cache else { return (nil, nil) }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let (corpus, outcome) = try cache.corpus(files: files, settings: settings, policy: policy)
            let width = "\(corpus.tokenIDs.width) byte\(corpus.tokenIDs.width == 1 ? "" : "s") per id"
            switch outcome {
            case .reused(let path): return (corpus, "token ids read from \(path) (\(width))")
            case .built(let path):
                let seconds = (clock.now - start) / .seconds(1)
                return (corpus, String(format: "token ids cached in %@ (%@; tokenized in %.1f s on %d thread%@)",
                                       path, width, seconds, cache.threads, cache.threads == 1 ? "" : "s"))
            }
        } catch {
            guard case .cache(let message) = error else { throw error }
            return (nil, message + "; the token ids are held in memory instead")
        }
    }

    // MARK: - The loop

    /// Trains until the budget is spent, patience runs out, or `shouldStop` says so
    /// (Ctrl-C); saves `latest` (and `best`) before returning. A diverging loss throws
    /// without saving, so the last good checkpoint stays as it was.
    public func run(shouldStop: () -> Bool = { false }, report: (TrainingEvent) -> Void = { _ in }) throws(TrainingError) -> TrainingSummary {
        let b = options.batchSize, t = options.sequenceLength
        if let group {
            try Trainer.checkRanksAgree(group, options: options, inputs: inputs, vocabulary: vocabulary,
                                        characters: corpusIDs.count, iteration: iteration)
        }
        let planned = plannedIterations
        let baselines = self.baselines
        report(.started(TrainingStart(
            corpusCharacters: corpusIDs.count, vocabularySize: vocabulary.count, parameterCount: model.parameters.count,
            trainCharacters: splits.train.count, validationCharacters: splits.validation.count, testCharacters: splits.test.count,
            iterationsPerEpoch: streams.batchCount, plannedIterations: planned,
            resumedAt: resumedAtIteration, directory: directory.path, baselines: baselines,
            inputs: inputs, skipped: skipped, folding: folding, tokens: tokenSource, documents: documentCounts,
            precision: model.productPrecision, kernels: model.kernels.name, ranks: group?.size ?? 1)))
        try directory.appendLog(["type": .string("start"), "iter": .int(iteration), "precision": .string(model.productPrecision.rawValue),
                                 "kernels": .string(model.kernels.name), "threads": .int(Parallel.threadCount),
                                 "ranks": .int(group?.size ?? 1)])
        if let baselines, resumedAtIteration == nil {
            try directory.appendLog(["type": .string("baseline"), "iter": .int(iteration),
                                     "unigram_val_loss": .number(baselines.unigram), "bigram_val_loss": .number(baselines.bigram)])
        }

        let clock = ContinuousClock()
        let start = clock.now
        var trainingSeconds = 0.0                           // excludes evaluation and saving
        var logWindowStart = clock.now, logWindowIterations = 0, logWindowCommunicating = group?.secondsCommunicating ?? 0
        var smoothed: Float = -1
        var ending: TrainingSummary.Ending = .budget
        func elapsed() -> Double { (clock.now - start).seconds }

        var patienceSpent = false
        while true {
            // Budget and interruption; in a group, every rank stops when one does (rank 0's clock, a signal).
            var reason: TrainingSummary.Ending?
            if shouldStop() { reason = .interrupted }
            else if let m = options.maxIterations, iteration >= m { reason = .iterations }
            else if let s = options.maxSeconds, elapsed() >= s { reason = .time }
            else if patienceSpent { reason = .patience }
            if let group, try group.sum(reason == nil ? 0 : 1) > 0, reason == nil { reason = .interrupted }
            if let reason { ending = reason; break }
            if batchIndex == streams.batchCount {  // epoch boundary: fresh streams, fresh state
                epoch += 1
                batchIndex = 0
                state = RecurrentState.zeros(config: model.config, batchSize: step.rows.count)
            }
            if let p = planned, iteration >= p { ending = .epochs; break }

            // Learning rate: a pure function of the iteration and the time spent.
            let lr = schedule.learningRate(base: options.learningRate, iteration: iteration, elapsed: elapsed())

            // Forward and backward over the next window of every stream, clip, then step.
            let stepStart = clock.now
            let loss: Float, norm: Float
            do {
                let outcome = try step.run(window: batchIndex, of: streams, state: &state, rng: &rng,
                                           learningRate: lr, lossLimit: divergenceLimit)
                loss = outcome.loss; norm = outcome.gradientNorm
            } catch {
                switch error {
                case .loss(let loss):
                    throw .diverged(iteration: iteration + 1, detail: DivergenceLimit.detail(loss, limit: divergenceLimit, unit: "nats/char"),
                                    lastGood: directory.lastGood)
                case .gradientNorm(let norm):
                    throw .diverged(iteration: iteration + 1, detail: "gradient norm is \(norm)", lastGood: directory.lastGood)
                case .group(let error):
                    throw error
                }
            }
            iteration += 1
            batchIndex += 1
            trainingSeconds += (clock.now - stepStart).seconds
            logWindowIterations += 1
            smoothed = smoothed < 0 ? loss : 0.95 * smoothed + 0.05 * loss

            // Log.
            if isPrimary && (iteration % options.logEvery == 0 || iteration == 1) {
                let windowSeconds = (clock.now - logWindowStart).seconds
                let cps = Double(logWindowIterations * b * t) / max(windowSeconds, 1e-9)
                logWindowStart = clock.now; logWindowIterations = 0
                // In a group: the share of the window's time this rank spent adding up with the others.
                let communicating = (group?.secondsCommunicating ?? 0) - logWindowCommunicating
                logWindowCommunicating = group?.secondsCommunicating ?? 0
                let progress = makeProgress(loss: loss, smoothed: smoothed, lr: lr, norm: norm, cps: cps,
                                            elapsed: elapsed(), planned: planned)
                report(.step(progress))
                try directory.appendLog([
                    "type": .string("train"), "iter": .int(iteration), "epoch": .number(progress.epoch),
                    "loss": .number(Double(loss)), "lr": .number(Double(lr)), "grad_norm": .number(Double(norm)),
                    "chars_per_sec": .number(cps.rounded()), "elapsed": .number(elapsedBefore + elapsed()),
                ].merging(group == nil ? [:] : ["communication_share": .number((communicating / max(windowSeconds, 1e-9) * 1000).rounded() / 1000)]) { $1 })
            }

            // Evaluate and checkpoint.
            if iteration % options.evalEvery == 0 {
                let carried = try wholeState()
                if isPrimary {
                    let improved = try evaluateAndSave(report: report, elapsed: elapsed(), state: carried)
                    if improved { evalsWithoutImprovement = 0 } else { evalsWithoutImprovement += 1 }
                    if let p = options.patience, evalsWithoutImprovement >= p { patienceSpent = true }
                }
                logWindowStart = clock.now; logWindowIterations = 0  // keep chars/s about training
                logWindowCommunicating = group?.secondsCommunicating ?? 0
            }
        }

        // The end: a last evaluation unless one just ran, the checkpoint, the test loss.
        if iteration % options.evalEvery != 0 || ending == .interrupted || iteration == 0 {
            let carried = try wholeState()   // collective: every rank, before rank 0 saves
            if isPrimary {
                if ending == .interrupted {
                    try save(to: directory.latest, report: report, elapsed: elapsed(), state: carried)
                } else {
                    _ = try evaluateAndSave(report: report, elapsed: elapsed(), state: carried)
                }
            }
        }
        var test: Evaluation? = nil
        if ending != .interrupted && isPrimary {
            test = Evaluator.evaluate(model: model, ids: corpusIDs, range: splits.test, batchSize: b, sequenceLength: t)
            if let test {
                try directory.appendLog(["type": .string("test"), "iter": .int(iteration),
                                         "test_loss": .number(test.loss), "test_bpc": .number(test.bitsPerCharacter)])
            }
        }
        let trained = max(trainingSeconds, 1e-9)
        return TrainingSummary(
            ending: ending, iterations: iteration, epoch: epochProgress, seconds: elapsed(),
            charactersPerSecond: Double((iteration - (resumedAtIteration ?? 0)) * b * t) / trained,
            bestValidation: bestValidation, finalValidation: lastEvaluation, test: test,
            latest: directory.latest,
            best: directory.savedBest)
    }

    private var resumedAtIteration: Int?

    /// The count models' validation loss (see `Baselines`): what the network must beat.
    public var baselines: Baselines? {
        let first = { (r: Range<Int>) in r.lowerBound..<min(r.upperBound, r.lowerBound + Baselines.sampleLimit) }
        let counts = Baselines.Counts(ids: corpusIDs[first(splits.train)], vocabularySize: vocabulary.count)
        let v = first(splits.validation)
        return counts.score(corpusIDs[v], previous: v.lowerBound > 0 ? corpusIDs[v.lowerBound - 1] : nil)
    }
    private var epochProgress: Double { Double(epoch) + Double(batchIndex) / Double(streams.batchCount) }

    private func makeProgress(loss: Float, smoothed: Float, lr: Float, norm: Float, cps: Double,
                              elapsed: Double, planned: Int?) -> TrainingProgress {
        var remaining: Double? = nil
        let perIteration = Double(options.batchSize * options.sequenceLength) / max(cps, 1e-9)
        if let p = planned { remaining = Double(max(p - iteration, 0)) * perIteration }
        if let s = options.maxSeconds { remaining = min(remaining ?? .infinity, max(s - elapsed, 0)) }
        return TrainingProgress(
            iteration: iteration, plannedIterations: planned, epoch: epochProgress, loss: loss, smoothedLoss: smoothed,
            validationLoss: history.last?.loss, learningRate: lr, gradientNorm: norm,
            charactersPerSecond: cps, elapsed: elapsed, remaining: remaining)
    }

    /// Validation pass, then `best` when it improved, `latest`, and a numbered copy.
    /// The carried state of all B streams (in a group, gathered from every rank: collective).
    private func wholeState() throws(TrainingError) -> RecurrentState {
        guard let group else { return state }
        return try group.gatherState(state, layers: model.config.layerCount, hidden: model.config.hiddenSize)
    }


    private func evaluateAndSave(report: (TrainingEvent) -> Void, elapsed: Double, state: RecurrentState) throws(TrainingError) -> Bool {
        var improved = false
        let validation: Evaluation?
        do {
            validation = try Evaluator.evaluateFinite(model: model, ids: corpusIDs, range: splits.validation,
                                                      batchSize: options.batchSize, sequenceLength: options.sequenceLength)
        } catch {
            throw .diverged(iteration: iteration, detail: "the validation loss is \(error.value.phrase)", lastGood: directory.lastGood)
        }
        if let v = validation, DivergenceLimit.stops(Float(v.loss), limit: divergenceLimit) {  // the weights it scored are not saved
            throw .diverged(iteration: iteration, detail: DivergenceLimit.detail(Float(v.loss), limit: divergenceLimit, unit: "nats/char",
                                                                                 of: "validation loss"), lastGood: directory.lastGood)
        }
        if let v = validation {
            improved = bestValidation.map { v.loss < $0 } ?? true
            if improved { bestValidation = v.loss }
            history.append((iteration, v.loss))
            lastEvaluation = v
            report(.evaluated(iteration: iteration, validation: v, improved: improved))
            try directory.appendLog(["type": .string("eval"), "iter": .int(iteration), "epoch": .number(epochProgress),
                                     "val_loss": .number(v.loss), "val_bpc": .number(v.bitsPerCharacter),
                                     "elapsed": .number(elapsedBefore + elapsed)])
        }
        let checkpoint = try makeCheckpoint(elapsed: elapsed, state: state)
        // `best` before `latest`: `latest` records this loss as the run's best, and a resumed run rewrites
        // `best` only on a lower one, so were `best` to fail after it (a full disk) these weights would be lost.
        if improved { try write(checkpoint, to: directory.best, report: report) }
        try write(checkpoint, to: directory.latest, report: report)
        if options.keep > 0 {
            try write(checkpoint, to: directory.numbered(iteration), report: report)
            directory.rotate(keep: options.keep, runID: runID)
        }
        return improved
    }

    private func save(to path: String, report: (TrainingEvent) -> Void, elapsed: Double, state: RecurrentState) throws(TrainingError) {
        try write(try makeCheckpoint(elapsed: elapsed, state: state), to: path, report: report)
    }


    private func write(_ checkpoint: Checkpoint, to path: String, report: (TrainingEvent) -> Void) throws(TrainingError) {
        do { try checkpoint.write(to: path) } catch { throw .checkpoint("could not save \(path): \(error)") }
        report(.saved(path: path))
    }

}

// MARK: - Resume state in the checkpoint

extension Trainer {
    /// Keys of `Checkpoint.training` (stored as `training.<key>` in the file).
    typealias Key = CheckpointLayout.Training

    /// The run as it stands, checked once for every file it is written to: a step with a
    /// finite loss can still leave an infinite weight, which must never replace a good checkpoint.
    private func makeCheckpoint(elapsed: Double, state: RecurrentState) throws(TrainingError) -> Checkpoint {
        if let bad = NonFiniteValue.first(in: model.parameters) {
            throw .diverged(iteration: iteration, detail: "weight \(bad.index) became \(bad.kind.phrase)", lastGood: directory.lastGood)
        }
        let optionsJSON = String(decoding: (try? JSONEncoder().encode(options)) ?? Data("{}".utf8), as: UTF8.self)
        let historyJSON = "[" + history.map { "[\($0.iteration),\($0.loss)]" }.joined(separator: ",") + "]"
        var training: [String: String] = [
            Key.options: optionsJSON, Key.iteration: "\(iteration)", Key.epoch: "\(epoch)", Key.batch: "\(batchIndex)",
            Key.rng: "\(rng.state)", Key.optimizerSteps: "\(step.optimizer.stepCount)", Key.history: historyJSON,
            Key.elapsedSeconds: "\(elapsedBefore + elapsed)", Key.evalsWithoutImprovement: "\(evalsWithoutImprovement)",
            Key.runID: runID, Key.inputs: Checkpoint.json(inputs),
        ]
        if let best = bestValidation { training[Key.bestValidationLoss] = "\(best)" }
        if let d = documentCounts { training[Key.documents] = Checkpoint.json(d) }
        let l = model.config.layerCount, b = state.batchSize, h = model.config.hiddenSize
        var extras = step.optimizer.stateTensors.map { SafeTensorsFile.Tensor(name: $0.name, shape: [$0.data.count], data: $0.data) }
        extras.append(SafeTensorsFile.Tensor(name: CheckpointLayout.State.h, shape: [l, b, h], data: state.h))
        if !state.c.isEmpty { extras.append(SafeTensorsFile.Tensor(name: CheckpointLayout.State.c, shape: [l, b, h], data: state.c)) }
        return Checkpoint(config: model.config, vocabulary: vocabulary, tokenizer: options.tokenizer,
                          parameters: model.parameters, training: training, extraTensors: extras, folding: folding,
                          documents: options.documents)
    }

    /// The options a checkpoint's run was trained with (for `--resume`).
    public static func storedOptions(in checkpoint: Checkpoint) throws(TrainingError) -> TrainingOptions {
        guard let options = recordedOptions(in: checkpoint) else {
            throw .resumeMismatch("the checkpoint holds no training state (was it written by `charrnn train`?)")
        }
        // Settings no run could have used (a damaged or hand-edited header): refused here, in the
        // checkpoint's words, rather than later as flags the user never gave, or as an overflow.
        if let problem = damagedOptionsProblem(options) { throw .resumeMismatch(problem) }
        return options
    }

    /// The settings `checkpoint` records, as written (unchecked), or nil when it records none.
    public static func recordedOptions(in checkpoint: Checkpoint) -> TrainingOptions? {
        checkpoint.training[Key.options].flatMap { try? JSONDecoder().decode(TrainingOptions.self, from: Data($0.utf8)) }
    }

    /// Why recorded `options` are settings no run could have used, in the checkpoint's words, or nil.
    public static func damagedOptionsProblem(_ options: TrainingOptions) -> String? {
        options.problem.map { "the checkpoint's training options are damaged (\($0))" }
    }

}

/// Where a resumed run picks up: the trainer's counters, its random generator
/// and history, read and checked from a checkpoint before anything is written.
struct ResumePoint {
    var iteration: Int, epoch: Int, batchIndex: Int
    var rng: SplitMix64
    var bestValidation: Double?
    var elapsedBefore: Double
    var evalsWithoutImprovement: Int
    var history: [(iteration: Int, loss: Double)] = []

    /// The largest count a checkpoint's iteration, epoch, batch, optimizer steps or evaluations may hold: 2⁴⁰
    /// (10¹² is `--max-iters`' limit), far below where the trainer's `+ 1`s or a figure such as
    /// iterations × B × T in Double would lose their meaning.
    static let counterLimit = 1 << 40

    /// Reads the counters of `c` and restores `optimizer` and `state` from its tensors.
    init(_ c: Checkpoint, optimizer: inout Optimizer, state: inout RecurrentState, batchesPerEpoch: Int) throws(TrainingError) {
        try self.init(c, optimizer: &optimizer, batchesPerEpoch: batchesPerEpoch)
        var tensors: [String: [Float]] = [:]
        for t in c.extraTensors { tensors[t.name] = t.data }
        let expected = state.h.count
        guard let h = tensors[CheckpointLayout.State.h], h.count == expected else { throw .resumeMismatch("carried hidden state is missing or of the wrong size") }
        state.h = h
        if !state.c.isEmpty {
            guard let cs = tensors[CheckpointLayout.State.c], cs.count == expected else { throw .resumeMismatch("carried cell state is missing") }
            state.c = cs
        }
    }

    /// Reads the counters of `c` and restores `optimizer` from its tensors (a run that carries no
    /// state between batches: labelled texts each start from zeros).
    init(_ c: Checkpoint, optimizer: inout Optimizer, batchesPerEpoch: Int) throws(TrainingError) {
        typealias Key = Trainer.Key
        func damaged(_ k: String) -> TrainingError { .resumeMismatch("training state \(k) is missing or damaged") }
        /// A counter: at least 0, and at most `counterLimit` (no run counts that far; the trainer adds to them).
        func int(_ k: String) throws(TrainingError) -> Int {
            guard let s = c.training[k], let v = Int(s), (0...Self.counterLimit).contains(v) else { throw damaged(k) }
            return v
        }
        iteration = try int(Key.iteration)
        epoch = try int(Key.epoch)
        batchIndex = try int(Key.batch)
        guard batchIndex <= batchesPerEpoch else {
            throw .resumeMismatch("the corpus is not the one this checkpoint was trained on (batch \(batchIndex) of \(batchesPerEpoch))")
        }
        guard let r = c.training[Key.rng].flatMap(UInt64.init) else { throw .resumeMismatch("training state rng is missing") }
        rng = SplitMix64(seed: r)
        // A loss is ≥ 0 (+∞ before any evaluation improved); NaN would never be improved on, so `best` would never be written again.
        bestValidation = try c.training[Key.bestValidationLoss].map { s throws(TrainingError) in
            guard let v = Double(s), v >= 0 else { throw damaged(Key.bestValidationLoss) }
            return v
        }
        elapsedBefore = try c.training[Key.elapsedSeconds].map { s throws(TrainingError) in
            guard let v = Double(s), v >= 0, v.isFinite else { throw damaged(Key.elapsedSeconds) }
            return v
        } ?? 0
        evalsWithoutImprovement = c.training[Key.evalsWithoutImprovement] == nil ? 0 : try int(Key.evalsWithoutImprovement)
        if let h = c.training[Key.history], let pairs = try? JSONDecoder().decode([[Double]].self, from: Data(h.utf8)) {
            history = pairs.compactMap { $0.count == 2 && $0[0].isFinite && abs($0[0]) < 1e18 ? (Int($0[0]), $0[1]) : nil }
        }
        var tensors: [String: [Float]] = [:]
        for t in c.extraTensors { tensors[t.name] = t.data }
        do { try optimizer.restore(stepCount: try int(Key.optimizerSteps), tensors: tensors) } catch let e as TrainingError {
            throw e
        } catch {
            throw .resumeMismatch("optimizer state: \(error)")
        }
    }

}
