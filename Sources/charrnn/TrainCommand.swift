import ArgumentParser
import Checkpoints
import Files
import Foundation
import MPI
import RNN
import Sampler
import Tensor
import Tokenizer
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on UTF-8 text files (truncated BPTT, checkpoints, resume).",
        discussion: """
            Checkpoints go to checkpoints/<corpus name>/ (latest.safetensors at every evaluation, \
            best.safetensors when the validation loss improves) with a JSON-lines log, train.jsonl. \
            Ctrl-C saves a checkpoint and exits; --resume continues exactly where a run stopped. \
            Give files and directories: a directory is read whole (sorted, depth first; hidden files and \
            files that are not text are skipped with a notice), the files are joined in order with a line \
            break between two when the first does not end with one, and the corpus name is the first \
            path's, +N for N more paths.
            """)

    @Argument(help: "Text files or directories to learn from.") var corpus: [String] = []

    /// A run's settings when no flag is given: the help texts show these, never numbers of their own.
    static let defaults = TrainingOptions()
    /// A default as a help text shows it: 5 rather than 5.0, 0.002 as it is.
    static func shown(_ x: Float) -> String { x == x.rounded() && abs(x) < 1e6 ? String(Int(x)) : "\(x)" }

    // Model. Numeric options parse `.unconditional`ly: `--dropout -0.1` reaches the range check (one line)
    // instead of reading as a missing value.
    @Option(help: "Cell type (default \(TrainingOptions().cell.rawValue)).") var model: CellKind?
    @Option(help: "Nonlinearity of the rnn cell: tanh or relu.") var activation: RNNActivation?
    @Option(parsing: .unconditional, help: "Number of stacked layers (default \(defaults.layerCount)).") var layers: Int?
    @Option(parsing: .unconditional, help: "Hidden units per layer (default \(defaults.hiddenSize)).") var hidden: Int?
    @Option(parsing: .unconditional, help: "Dropout between layers and before the output, in [0, 1) (default \(shown(defaults.dropout))).") var dropout: Float?
    // Unconditional, so that "--recurrent-dropout -0.1" reaches the range check (one line) instead of a usage error.
    @Option(parsing: .unconditional, help: "Variational dropout on h(t−1) inside the recurrence, one mask per stream per window (Gal & Ghahramani 2016), in [0, 1) (default \(shown(defaults.recurrentDropout))).") var recurrentDropout: Float?
    @Option(parsing: .unconditional, help: "LSTM forget-gate bias at initialisation (default \(shown(defaults.forgetGateBias ?? 0)), as char-rnn; may be negative).") var forgetBias: Float?
    @Flag(help: "relu RNN: initialise the recurrent weights to the identity (Le et al. 2015).") var identityInit = false
    @Flag(inversion: .prefixedNo, help: "Layer-normalized cells (Ba et al. 2016): each gate block's pre-activation, and the LSTM's cell state, normalized.") var layerNorm: Bool? = nil
    @Flag(help: "Choose the model, dropout and schedule for this corpus, budget and machine (flags given explicitly win).") var auto = false

    // Data
    @OptionGroup var tokenizer: TokenizerOptions
    @OptionGroup var folding: FoldingOptions
    @Option(parsing: .unconditional, help: "Characters per truncated-BPTT window, T (default \(defaults.sequenceLength)).") var seqLength: Int?
    @Option(parsing: .unconditional, help: "Parallel streams per batch, B (default \(defaults.batchSize)).") var batchSize: Int?
    @Option(parsing: .unconditional, help: "Fraction of the corpus for validation (default \(defaults.validationFraction); of the documents with --documents).") var valFrac: Double?
    @Option(parsing: .unconditional, help: "Fraction of the corpus for the final test (default \(defaults.testFraction); of the documents with --documents).") var testFrac: Double?
    @Option(help: ArgumentHelp("Train on labelled texts (label<TAB>text lines, or a folder per label): classify (a classifier of texts) or generate (a character model that writes from a label); or on source<TAB>target pairs: translate (an encoder–decoder with attention).",
                               valueName: "task")) var task: LabelledTask?
    @Option(help: "classify: the state the classifier reads, last or mean (over the text) (default last).") var pooling: HeadDescription.Pooling?
    @Option(help: "classify: none, or balanced (each class weighs the same in the loss) (default none).") var classWeights: ClassWeighting?
    @Flag(help: "--task generate: the same model without the label input, to measure what conditioning adds.") var unconditioned = false
    @Option(help: "--task translate: how the decoder scores the encoder's states, dot or general (a learnt H×H weight) (default general).") var attention: AttentionKind?
    @Option(parsing: .unconditional, help: "--task: characters of a text the model reads at most (default \(TrainingOptions.defaultMaxTextLength)).") var maxChars: Int?
    @Option(help: ArgumentHelp("Learn whole documents: lines, paragraphs or files. Each is framed by <s> and </s>, the split is by documents (seeded), and sample writes whole documents.",
                               valueName: "mode")) var documents: DocumentMode?

    // Optimization
    @Option(help: "adam, rmsprop, adagrad or sgd (default \(defaults.optimizer.kind.rawValue)).") var optimizer: OptimizerKind?
    @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional, help: "Learning rate (default \(shown(defaults.learningRate))).") var learningRate: Float?
    @Option(parsing: .unconditional, help: "Momentum for sgd (default \(shown(defaults.optimizer.momentum))).") var momentum: Float?
    @Option(parsing: .unconditional, help: "Decay rate for rmsprop (default \(shown(defaults.optimizer.decay))).") var decayRate: Float?
    @Option(parsing: .unconditional, help: "Gradient clipping threshold; 0 turns it off (default \(shown(defaults.gradientClip))).") var gradClip: Float?
    @Option(help: "norm: scale by the global norm; value: clamp each element (char-rnn) (default \(defaults.clipMode.rawValue)).") var clipMode: ClipMode?
    @Option(help: "Learning-rate schedule: constant (default), step or cosine.") var lrSchedule: ScheduleName?
    @Option(parsing: .unconditional, help: "step: factor per epoch (default \(shown(ScheduleSpec.defaultStepFactor))).") var lrDecay: Float?
    @Option(parsing: .unconditional, help: "step: first epoch of decay (default \(ScheduleSpec.defaultStepAfterEpochs)).") var lrDecayAfter: Int?
    @Option(parsing: .unconditional, help: "cosine: warmup iterations (default \(ScheduleSpec.defaultWarmup)).") var warmup: Int?
    @Option(parsing: .unconditional, help: "cosine: final learning rate as a fraction of the first (default \(shown(ScheduleSpec.defaultMinimumFactor))).") var minLrFactor: Float?

    // Budget, evaluation, checkpoints
    @Option(parsing: .unconditional, help: "Epochs to train (default \(TrainingOptions.defaultEpochs) when no other budget is given).") var epochs: Int?
    @Option(parsing: .unconditional, help: "Total iterations to reach (counted across resumes).") var maxIters: Int?
    @Option(help: "Wall-clock budget for this session: 90s, 10m, 2h.") var maxTime: String?
    @Option(parsing: .unconditional, help: "Iterations between validation passes and checkpoints (default \(defaults.evalEvery)).") var evalEvery: Int?
    @Option(parsing: .unconditional, help: "Iterations between log records (default \(defaults.logEvery)).") var logEvery: Int?
    @Option(parsing: .unconditional, help: "Stop after this many evaluations without improvement.") var patience: Int?
    @Option(parsing: .unconditional, help: "Also keep the newest N numbered checkpoints.") var keep: Int?
    @Option(help: "Where checkpoints go (default checkpoints/<corpus name>).") var checkpointDir: String?
    @Option(help: "Where the corpus's token ids are cached, so that the same corpus is tokenized once and a corpus larger than memory trains from disk (default: .token-cache beside the checkpoint directory).") var cacheDir: String?
    @Flag(help: "Hold the token ids in memory; write no token cache.") var noCache = false
    @Flag(help: "Continue the run in the checkpoint directory from its latest checkpoint.") var resume = false
    @Option(help: "Continue the run saved in this checkpoint file.") var resumeFrom: String?
    @Option(help: "Start a new run from this checkpoint's weights (a file, or a run directory: its best, else latest; fine-tuning; same vocabulary).") var initFrom: String?
    @Flag(help: "Start a new run in a checkpoint directory that already holds one, deleting it.") var overwrite = false
    @Option(parsing: .unconditional, help: "Random seed (default \(defaults.seed)).") var seed: UInt64?
    @OptionGroup var threads: ThreadOptions
    @Option(help: ArgumentHelp(
        "Products of training: fp32 (default); bf16 (both operands rounded to bfloat16, accumulated in fp32; weights, gradients and optimizer stay fp32); auto (bf16 where the CPU multiplies bf16 natively, AVX512_BF16, else fp32; --auto's choice).",
        valueName: "fp32|bf16|auto")) var precision: TrainingPrecisionChoice?

    func validate() throws {
        if corpus.isEmpty { throw ValidationError("give at least one text file or directory to learn from") }
        if initFrom != nil && folding.given {
            throw ValidationError("--init-from keeps the checkpoint's vocabulary; --min-count and --max-vocab cannot change it")
        }
        if resume && resumeFrom != nil { throw ValidationError("give --resume or --resume-from, not both") }
        if noCache && cacheDir != nil { throw ValidationError("give --cache-dir or --no-cache, not both") }
        if cacheDir == "" { throw ValidationError("--cache-dir needs a directory (or give --no-cache)") }
        if checkpointDir == "" { throw ValidationError("--checkpoint-dir needs a directory") }
        if (resume || resumeFrom != nil) && initFrom != nil { throw ValidationError("--init-from starts a new run; it cannot be combined with --resume") }
        if (resume || resumeFrom != nil) && overwrite { throw ValidationError("--overwrite starts a new run; it cannot be combined with --resume") }
        if auto && (resume || resumeFrom != nil) { throw ValidationError("--auto chooses a new run's settings; a resumed run keeps its own") }
        if auto && initFrom != nil { throw ValidationError("--auto cannot be combined with --init-from: the checkpoint fixes the model") }
        if task == nil {
            for (flag, given) in [("--pooling", pooling != nil), ("--class-weights", classWeights != nil), ("--max-chars", maxChars != nil)] where given {
                throw ValidationError("\(flag) applies to labelled data: give --task classify or --task generate")
            }
        }
        if unconditioned && task != .generate { throw ValidationError("--unconditioned applies to --task generate") }
        if attention != nil && task != .translate { throw ValidationError("--attention applies to --task translate") }
        if task == .translate {
            for (flag, given) in [("--pooling", pooling != nil), ("--class-weights", classWeights != nil)] where given {
                throw ValidationError("\(flag) applies to --task classify, not translate")
            }
        }
        if task == .generate {
            for (flag, given) in [("--pooling", pooling != nil), ("--class-weights", classWeights != nil)] where given {
                throw ValidationError("\(flag) applies to --task classify, not generate")
            }
        }
        if let m = maxTime, parseDuration(m) == nil { throw ValidationError("--max-time takes a duration such as 90s, 10m or 2h (got '\(m)')") }
        if let m = maxTime, let s = parseDuration(m), s > TrainingOptions.Limits.maxSeconds { throw ValidationError("--max-time must be at most 366 days (got '\(m)')") }
    }

    /// The flags applied on top of `base`.
    func apply(to base: TrainingOptions) -> TrainingOptions {
        var o = base
        o.corpusPaths = corpus
        let here = FileManager.default.currentDirectoryPath
        o.absoluteCorpusPaths = corpus.map { $0.hasPrefix("/") ? $0 : here + "/" + $0 }
        if let v = folding.minCount { o.minCount = v }
        if let v = folding.maxVocab { o.maxVocabulary = v }
        if let v = model { o.cell = v }
        if let v = activation { o.activation = v }
        if let v = layers { o.layerCount = v }
        if let v = hidden { o.hiddenSize = v }
        if let v = dropout { o.dropout = v }
        if let v = recurrentDropout { o.recurrentDropout = v }
        if let v = forgetBias { o.forgetGateBias = v }
        if identityInit { o.identityRecurrent = true }
        if let v = layerNorm { o.layerNorm = v }
        o.tokenizer = tokenizer.apply(to: o.tokenizer)
        if let v = seqLength { o.sequenceLength = v }
        if let v = batchSize { o.batchSize = v }
        if let v = valFrac { o.validationFraction = v }
        if let v = testFrac { o.testFraction = v }
        if let v = documents { o.documents = v }
        if let v = task { o.task = v }
        if let v = pooling { o.pooling = v }
        if let v = classWeights { o.classWeighting = v }
        if let v = maxChars { o.maxTextLength = v }
        if unconditioned { o.unconditioned = true }
        if let v = attention { o.attention = v }
        if let v = optimizer { o.optimizer.kind = v }
        if let v = learningRate { o.learningRate = v }
        if let v = momentum { o.optimizer.momentum = v }
        if let v = decayRate { o.optimizer.decay = v }
        if let v = gradClip { o.gradientClip = v }
        if let v = clipMode { o.clipMode = v }
        if let v = epochs { o.epochs = v }
        if let v = maxIters { o.maxIterations = v }
        if let v = maxTime { o.maxSeconds = parseDuration(v) }
        if let v = evalEvery { o.evalEvery = v }
        if let v = logEvery { o.logEvery = v }
        if let v = patience { o.patience = v }
        if let v = keep { o.keep = v }
        if let v = seed { o.seed = v }
        if let v = precision ?? (auto ? .auto : nil) { o.precision = Self.resolve(v, kernels: Kernels.current).precision }
        switch lrSchedule {
        case nil: break
        case .constant?: o.schedule = .constant
        case .step?: o.schedule = .stepPerEpoch(factor: lrDecay ?? ScheduleSpec.defaultStepFactor,
                                               afterEpochs: lrDecayAfter ?? ScheduleSpec.defaultStepAfterEpochs)
        case .cosine?: o.schedule = .cosine(warmup: warmup ?? ScheduleSpec.defaultWarmup,
                                             minimumFactor: minLrFactor ?? ScheduleSpec.defaultMinimumFactor)
        }
        return o
    }

    /// `.token-cache` in the folder that holds the checkpoint directory: shared
    /// by every run under `checkpoints/`.
    /// `--resume` where `latest` is missing: where to go on from instead (a run that kept only its best, or
    /// one never trained here).
    static func nothingToResume(_ latest: String, directory: String) -> ExitCode {
        if let link = BrokenLink(latest) { return failure("cannot resume: \(latest) is \(link)") }
        let best = directory + "/best.safetensors"
        if FileManager.default.fileExists(atPath: best) {
            return failure("nothing to resume: \(latest) does not exist; continue from the run's best with --resume-from \(best)")
        }
        return failure("nothing to resume: \(latest) does not exist (train without --resume first)")
    }

    static func defaultCacheDirectory(beside checkpointDirectory: String) -> String {
        let trimmed = checkpointDirectory.hasSuffix("/") && checkpointDirectory.count > 1 ? String(checkpointDirectory.dropLast()) : checkpointDirectory
        guard let slash = trimmed.lastIndex(of: "/") else { return ".token-cache" }
        let parent = trimmed[..<slash]
        return (parent.isEmpty ? "" : String(parent)) + "/.token-cache"
    }

    func run() throws {
        BLAS.threadCount = threads.count
        let directory = checkpointDir ?? "checkpoints/" + CorpusFiles.runName(for: corpus)
        let group = try joinGroup()
        if group != nil, let task {
            throw failure("mpirun runs language-model training (no --task) for now; --task \(task.rawValue) trains in one process")
        }
        if task != nil { return try runLabelled(directory: directory) }
        // Ranks after the first write nothing of the run: their directory is a private, temporary one.
        let privateDirectory = group.flatMap { $0.rank == 0 ? nil : FileManager.default.temporaryDirectory
            .appendingPathComponent("charrnn-rank\($0.rank)-\(getpid())").path }
        defer { if let privateDirectory { try? FileManager.default.removeItem(atPath: privateDirectory) } }

        var options: TrainingOptions
        var resumeCheckpoint: Checkpoint? = nil
        var resumedPath: String? = nil
        var initCheckpoint: Checkpoint? = nil
        do {
            if resume || resumeFrom != nil {
                let path = resumeFrom ?? directory + "/latest.safetensors"
                if resumeFrom == nil, !FileManager.default.fileExists(atPath: path) {
                    throw Self.nothingToResume(path, directory: directory)
                }
                let checkpoint = try Checkpoint.read(from: path)
                if let problem = Trainer.labelledSourceProblem(checkpoint) { throw failure(problem) }
                let stored = try Trainer.storedOptions(in: checkpoint)
                options = apply(to: stored)
                if options.documents != stored.documents {  // documents: a run keeps how it cut its corpus
                    throw failure("cannot resume with --documents \(options.documents?.rawValue ?? "off"): this run was trained "
                                  + (stored.documents.map { "with --documents \($0.rawValue)" } ?? "without --documents"))
                }
                if Self.comparable(options, to: stored) != stored {
                    throw failure("cannot resume with different settings: only --epochs, --max-iters, --max-time, --eval-every, --log-every, --patience, --keep, --threads and --precision may change (use --init-from to start a new run from these weights)")
                }
                if maxTime == nil { options.maxSeconds = nil }  // a time budget is per session
                try refuseSpentBudget(of: checkpoint, options, path: path)
                resumedPath = path   // said once the trainer has checked the inputs against it: an error stays one line
                resumeCheckpoint = checkpoint
            } else {
                options = apply(to: TrainingOptions())
                if let given = initFrom {
                    let path = try CheckpointLocator.resolve(given)   // a file, or a run directory's best (else latest)
                    let checkpoint = try Checkpoint.read(from: path)
                    if let problem = Trainer.labelledSourceProblem(checkpoint) { throw failure(problem) }
                    if documents != nil && documents != checkpoint.documents {  // documents: the checkpoint's mode goes on
                        throw failure("--init-from keeps the checkpoint's documents mode ("
                                      + (checkpoint.documents.map { "--documents \($0.rawValue)" } ?? "none") + "); --documents cannot change it")
                    }
                    options.documents = checkpoint.documents
                    if let conflict = modelFlagConflict(with: checkpoint.config) { throw failure(conflict) }
                    if let conflict = tokenizerConflict(with: checkpoint.tokenizer) { throw failure(conflict) }
                    initCheckpoint = checkpoint
                    note("starting from the weights of \(path)")
                }
            }
        } catch let e as ExitCode {
            throw e
        } catch {
            throw failure("\(error)")
        }
        options.epochs = options.epochBudget  // stored in the checkpoint, as every budget is
        noteEmulatedPrecision()

        let plan: ((AutoPlan.Corpus, TrainingOptions) -> TrainingOptions)? = auto ? { corpus, options in autoPlan(corpus, options) } : nil
        let trainer: Trainer
        do {
            // In a group, rank 0 prepares first (its token cache written), then the others (reading it where they share its disk).
            if let group, group.rank != 0 { try group.barrier() }
            let quiet = privateDirectory != nil   // ranks after the first say nothing of the cache
            let cache = noCache ? nil : TokenCache(directory: cacheDir ?? Self.defaultCacheDirectory(beside: directory),
                                                   threads: threads.count, notify: { if !quiet { note($0) } })
            trainer = try Trainer(options: options, checkpointDirectory: privateDirectory ?? directory, resume: resumeCheckpoint,
                                  initFrom: initCheckpoint, overwrite: overwrite,
                                  resumeSource: resumeCheckpoint == nil ? nil : resumeFrom ?? directory + "/latest.safetensors",
                                  tokenCache: cache, plan: plan, group: group)
            if let group, group.rank == 0 { try group.barrier() }
        } catch {
            throw failure("\(error)")
        }
        if let resumedPath { note("resuming \(resumedPath)") }

        // mpirun forwards Ctrl-C to every rank (they stop together and rank 0 saves); its SIGTERM means a rank has gone.
        let interruption = Interruption(atOnce: group.map { g in
            (SIGTERM, "charrnn: rank \(g.rank) of \(g.size) stopped: mpirun ends every rank when one fails or ends; "
                + "the last checkpoint, \(directory)/latest.safetensors, stays: continue with --resume")
        })
        let display = ProgressDisplay(terminal: isTerminal(STDOUT_FILENO))
        let summary: TrainingSummary
        do {
            summary = try trainer.run(shouldStop: { interruption.requested }, report: privateDirectory == nil ? display.show : { _ in })
        } catch {
            display.finishLine()
            throw failure("\(error)")
        }
        group?.finish()
        if privateDirectory != nil { return }
        display.finishLine()
        display.summarize(summary, directory: directory)
        if summary.ending == .interrupted {
            throw ExitCode(interruption.receivedSignal == SIGTERM ? 143 : 130)
        }
    }
}

extension TrainCommand {
    /// `options` with what a resumed run may change set back to `stored`'s: the paths (a corpus
    /// may move; its content is checked instead), the budget and the bookkeeping. Equal to
    /// `stored` exactly when nothing else changed, for anything else would not be the same run.
    static func comparable(_ options: TrainingOptions, to stored: TrainingOptions) -> TrainingOptions {
        var c = options
        c.corpusPaths = stored.corpusPaths
        c.absoluteCorpusPaths = stored.absoluteCorpusPaths
        c.epochs = stored.epochs; c.maxIterations = stored.maxIterations; c.maxSeconds = stored.maxSeconds
        c.evalEvery = stored.evalEvery; c.logEvery = stored.logEvery; c.patience = stored.patience; c.keep = stored.keep
        c.precision = stored.precision
        return c
    }

    /// With `--init-from`: the model flags typed that the checkpoint's model contradicts, as one line, or nil.
    func modelFlagConflict(with c: ModelConfig) -> String? {
        var flags: [String] = []
        if let v = model, v != c.cell { flags.append("--model \(v.rawValue)") }
        if let v = activation, v != c.activation { flags.append("--activation \(v.rawValue)") }
        if let v = layers, v != c.layerCount { flags.append("--layers \(v)") }
        if let v = hidden, v != c.hiddenSize { flags.append("--hidden \(v)") }
        if let v = layerNorm, v != c.layerNorm { flags.append(v ? "--layer-norm" : "--no-layer-norm") }
        guard !flags.isEmpty else { return nil }
        return "--init-from keeps the checkpoint's model (\(c.cellFacts.readableName), \(c.layerCount) × \(c.hiddenSize)); "
            + "\(flags.joined(separator: ", ")) cannot change it"
    }

    /// A resumed run whose iteration budget is already spent is refused before anything is read or
    /// rewritten (it would reach its budget at once, evaluate and save again, and say it trained).
    func refuseSpentBudget(of checkpoint: Checkpoint, _ options: TrainingOptions, path: String) throws {
        guard let budget = options.maxIterations, let at = checkpoint.training[CheckpointLayout.Training.iteration].flatMap(Int.init),
              at >= budget else { return }
        throw failure("\(path) is at iteration \(at), and --max-iters \(budget) counts from the run's start: "
                      + "give a larger --max-iters to train on")
    }

    /// With `--init-from`: the tokenizer flags typed that the checkpoint's tokenizer contradicts (its ids
    /// name its characters, so what a character is cannot change), as one line, or nil.
    func tokenizerConflict(with t: TokenizerSettings) -> String? {
        var flags: [String] = []
        if let mode = tokenizer.mode, mode != t.mode { flags.append("--tokenizer \(mode.rawValue)") }
        if tokenizer.noNormalize && t.normalize && t.mode != .byte { flags.append("--no-normalize") }
        guard !flags.isEmpty else { return nil }
        let kept = t.mode == .byte ? "byte" : "\(t.mode.rawValue), \(t.normalize ? "NFC" : "not normalized")"
        return "--init-from keeps the checkpoint's tokenizer (\(kept)); \(flags.joined(separator: ", ")) cannot change it"
    }

    /// `--auto`'s line on the precision it chose, when `--precision` was not typed.
    var autoPrecisionReason: String? {
        guard precision == nil else { return nil }
        return ProductPrecision.isNative(in: Kernels.current)
            ? "precision bf16: this CPU multiplies bf16 natively (\(Kernels.current) kernels)"
            : "precision fp32: this CPU has no native bf16 products (\(Kernels.current) kernels)"
    }

    /// The settings the user typed (they win over `--auto`'s).
    var explicitSettings: AutoPlan.Explicit {
        var e: AutoPlan.Explicit = []
        if model != nil { e.insert(.cell) }
        if layers != nil { e.insert(.layers) }
        if hidden != nil { e.insert(.hidden) }
        if layerNorm != nil { e.insert(.layerNorm) }
        if dropout != nil { e.insert(.dropout) }
        if learningRate != nil { e.insert(.learningRate) }
        if lrSchedule != nil { e.insert(.schedule) }
        if seqLength != nil { e.insert(.sequenceLength) }
        if batchSize != nil { e.insert(.batchSize) }
        return e
    }

    /// `--auto`: probes each candidate's speed for a moment, prints what it chose and why.
    func autoPlan(_ corpus: AutoPlan.Corpus, _ options: TrainingOptions) -> TrainingOptions {
        let plan = AutoPlan.plan(base: options, explicit: explicitSettings, corpus: corpus) { candidate in
            var setup = TrainingProbe.Setup(config: candidate.modelConfig(vocabularySize: corpus.vocabularySize))
            setup.batchSize = candidate.batchSize; setup.sequenceLength = candidate.sequenceLength
            setup.precision = candidate.productPrecision
            return TrainingProbe.measure(setup, seconds: AutoPlan.probeSeconds, warmup: 3, minimumSteps: 2).charactersPerSecond
        }
        return announce(plan)
    }

    /// `--auto`'s choice with its line on the precision, each reason printed: the options to train with.
    func announce(_ plan: AutoPlan.Plan) -> TrainingOptions {
        var chosen = plan.options
        if let reason = autoPrecisionReason { chosen.autoReasons = (chosen.autoReasons ?? []) + [reason] }
        for line in chosen.autoReasons ?? [] { print("auto: " + line) }
        flushStandardOutput()
        return chosen
    }
}

/// A run's progress line: rewritten in place on a terminal, a plain line every 5 s
/// (and at the first iteration) in a pipe or file. Both training displays draw through it.
final class ProgressLine {
    let terminal: Bool
    private var lastPlain = ContinuousClock.now
    private var lineOpen = false

    init(terminal: Bool) { self.terminal = terminal }

    func show(_ line: String, first: Bool) {
        if terminal {
            print("\r\u{1B}[K" + line, terminator: "")
            lineOpen = true
            flushStandardOutput()
        } else if ContinuousClock.now - lastPlain > .seconds(5) || first {
            lastPlain = .now
            print(line)
            flushStandardOutput()
        }
    }

    /// Ends an open terminal line, so that what follows starts on its own.
    func finish() {
        if lineOpen { print(""); lineOpen = false }
    }
}

extension TrainingSummary.Ending {
    /// How a summary says why the run ended.
    var phrase: String {
        switch self {
        case .interrupted: "interrupted"
        case .patience: "stopped early (no improvement)"
        case .time: "time budget reached"
        case .iterations: "iteration budget reached"
        case .epochs, .budget: "done"
        }
    }
}

/// Draws training progress: a live line on a terminal, plain lines in a pipe or file.
final class ProgressDisplay {
    private let line: ProgressLine

    init(terminal: Bool) { line = ProgressLine(terminal: terminal) }

    func show(_ event: TrainingEvent) {
        switch event {
        case .started(let s):
            if s.ranks > 1 {
                print("ranks: \(s.ranks) (mpirun; each trains B/\(s.ranks) of every window's streams, rank 0 logs and writes checkpoints)")
            }
            print(TrainCommand.precisionLine(s.precision, kernels: s.kernels))
            let resumed = s.resumedAt.map { " (resumed at iteration \($0))" } ?? ""
            if let skipped = s.skipped { note(skipped) }
            let files = s.inputs.files == 1 ? "" : "\(s.inputs.files) files, "
            print("corpus: \(files)\(s.inputs.bytes) bytes, \(s.corpusCharacters) characters, \(s.vocabularySize) distinct; train \(s.trainCharacters), val \(s.validationCharacters), test \(s.testCharacters)")
            if let f = s.folding { print("vocabulary: \(f.summary); \(s.vocabularySize) ids with \(Vocabulary.unknownToken)") }
            if let d = s.documents {
                print("documents: \(d.summary); each framed by \(DocumentMarkers.startToken) … \(DocumentMarkers.endToken)")
            }
            if let t = s.tokens { print("tokens: " + t) }
            print("model: \(s.parameterCount) parameters; \(s.iterationsPerEpoch) iterations per epoch\(s.plannedIterations.map { ", \($0) planned" } ?? "")\(resumed)")
            if let b = s.baselines {
                print(String(format: "baselines on the validation split: unigram %.4f, bigram %.4f nats/char (a model must beat these)",
                             b.unigram, b.bigram))
            }
            print("checkpoints: \(s.directory)")
            flush()
        case .step(let p):
            let total = p.plannedIterations.map { "/\($0)" } ?? ""
            let val = p.validationLoss.map { String(format: "  val %.3f", $0) } ?? ""
            let eta = p.remaining.map { "  ETA \(formatDuration($0))" } ?? ""
            let line = String(format: "iter %d%@  epoch %.2f  loss %.3f%@  lr %.1e  %@ chars/s%@",
                              p.iteration, total, p.epoch, p.smoothedLoss, val, p.learningRate,
                              formatRate(p.charactersPerSecond), eta)
            self.line.show(line, first: p.iteration == 1)
        case .evaluated(let iteration, let v, let improved):
            finishLine()
            print(String(format: "eval at iter %d: val loss %.4f nats/char (%.4f bits/char)%@",
                         iteration, v.loss, v.bitsPerCharacter, improved ? ", best so far" : ""))
            flush()
        case .saved:
            break
        }
    }

    func finishLine() { line.finish() }

    func summarize(_ s: TrainingSummary, directory: String) {
        print(String(format: "%@: %d iterations (%.2f epochs) in %@, %@ chars/s",
                     s.ending.phrase, s.iterations, s.epoch, formatDuration(s.seconds), formatRate(s.charactersPerSecond)))
        if let b = s.bestValidation {
            print(String(format: "best validation loss %.4f nats/char (%.4f bits/char)", b, b / log(2.0)))
        }
        if let t = s.test {
            print(String(format: "test loss %.4f nats/char (%.4f bits/char)", t.loss, t.bitsPerCharacter))
        }
        print("checkpoints: \(s.latest)" + (s.best.map { ", \($0)" } ?? ""))
        print("sample: charrnn sample --checkpoint \(directory) --temp \(SampleDefaults.temperature)")
        flush()
    }

    private func flush() { flushStandardOutput() }
}

/// `train --precision`: what a run asks for; `auto` is resolved at the start (`TrainCommand.resolve`).
enum TrainingPrecisionChoice: String, CaseIterable, ExpressibleByArgument {
    case fp32, bf16, auto
}

extension TrainCommand {
    /// The products a run computes in for `choice` on `kernels` (the CPU's set), and the one-line
    /// note when bf16 runs emulated. A pure function, so that tests can ask for CPUs they are not on.
    /// The same for every task: language models, classifiers, label-conditioned generators, translators.
    static func resolve(_ choice: TrainingPrecisionChoice, kernels: KernelSet)
        -> (precision: ProductPrecision, note: String?) {
        let native = ProductPrecision.isNative(in: kernels)
        switch choice {
        case .fp32: return (.fp32, nil)
        case .auto: return (native ? .bf16 : .fp32, nil)
        case .bf16:
            return (.bf16, native ? nil : "bf16 products are emulated on this CPU (no AVX512_BF16; \(kernels) kernels): "
                                          + "the same results as native bf16, slower than fp32")
        }
    }

    /// The one-line note of a run that asked for bf16 (or `--auto`) where bf16 runs emulated.
    func noteEmulatedPrecision() {
        if let choice = precision ?? (auto ? .auto : nil), let emulated = Self.resolve(choice, kernels: Kernels.current).note {
            note(emulated)
        }
    }

    /// The first line of a run: which precision its products are in, and where.
    static func precisionLine(_ precision: ProductPrecision, kernels: String) -> String {
        switch precision {
        case .fp32: return "precision: fp32 products (\(kernels) kernels)"
        case .bf16:
            let how = KernelSet.named(kernels).map { ProductPrecision.isNative(in: $0) } == true ? "native" : "emulated"
            return "precision: bf16 products, fp32 accumulation, fp32 weights and optimizer (\(kernels) kernels, \(how))"
        }
    }
}

extension TrainCommand {
    /// The ranks of a data-parallel run when `mpirun` started more than one (Open MPI, loaded now), else nil.
    func joinGroup() throws -> MPIGroup? {
        guard let ranks = MPIGroup.launchedRanks, ranks > 1 else { return nil }
        do { return try MPIGroup() } catch { throw failure("\(error)") }
    }
}
