import Tensor
import RNN
import Tokenizer

/// Everything that defines a training run, with char-rnn's defaults.
/// Stored in every checkpoint (JSON), so a resumed run continues with the same settings.
public struct TrainingOptions: Codable, Equatable, Sendable {
    // MARK: data
    public var corpusPath: String = ""                       // the UTF-8 text to learn (the first path given)
    public var tokenizer = TokenizerSettings()               // grapheme clusters, NFC
    public var minCount: Int? = nil                          // --min-count: rarer characters fold into <unk>
    public var maxVocabulary: Int? = nil                     // --max-vocab: only the K most frequent keep an id
    /// Every path given (files and directories, read as `CorpusFiles` says).
    public var corpusPaths: [String] {
        get { [corpusPath] + (moreCorpusPaths ?? []) }
        set {
            corpusPath = newValue.first ?? ""
            moreCorpusPaths = newValue.count > 1 ? Array(newValue.dropFirst()) : nil
        }
    }
    /// The paths after the first: absent (nil) for one, so that a run on one
    /// file encodes as it did before several inputs existed.
    private var moreCorpusPaths: [String]? = nil
    /// `corpusPaths` made absolute against the directory training ran in, so
    /// that `eval` finds the training corpus (its baselines) from any working
    /// directory. Set by the command line; nil in checkpoints written before it
    /// existed, whose paths are then read as typed.
    public var absoluteCorpusPaths: [String]? = nil
    /// Which characters get an id of their own.
    public var vocabularyPolicy: VocabularyPolicy { VocabularyPolicy(minCount: minCount, maxCharacters: maxVocabulary) }
    public var validationFraction: Double = 0.05             // contiguous splits: train | val | test
    public var testFraction: Double = 0.05
    /// --documents: frame documents and split by documents (`DocumentSplit`); nil (absent in JSON): one stream.
    public var documents: DocumentMode? = nil
    /// --task: a labelled data set (`label<TAB>text` lines, or a folder per label) trained
    /// as a classifier or a label-conditioned generator (`LabelledTrainer`); nil: one text.
    public var task: LabelledTask? = nil
    /// --pooling: the state a classifier reads (last, or the mean over the text); nil: last.
    public var pooling: HeadDescription.Pooling? = nil
    /// --class-weights: a classifier's loss weighting; nil: none.
    public var classWeighting: ClassWeighting? = nil
    /// --unconditioned: `generate` without the label input (the model conditioning is measured against); nil: conditioned.
    public var unconditioned: Bool? = nil
    /// --attention: how a translate run's decoder scores the encoder's states; nil: general.
    public var attention: AttentionKind? = nil
    /// --max-chars: steps a labelled text is cut to (classify: its first characters; generate: <s> and the text).
    public var maxTextLength: Int? = nil
    /// `maxTextLength`'s default.
    public static let defaultMaxTextLength = 500

    // MARK: model (`ModelConfig`'s defaults: the model is described there, once)
    public var cell: CellKind = standardModel.cell           // any `CellKind`
    public var activation: RNNActivation = standardModel.activation  // rnn cell only
    public var layerCount: Int = standardModel.layerCount    // L
    public var hiddenSize: Int = standardModel.hiddenSize    // H
    public var dropout: Float = standardModel.dropout        // between layers and before the head
    /// The model `ModelConfig`'s initializer builds when told only V.
    private static let standardModel = ModelConfig(vocabularySize: 1)
    /// Variational dropout on h_{t−1} in the recurrent product (`ModelConfig.recurrentDropout`).
    public var recurrentDropout: Float {
        get { recurrentDropoutProbability ?? 0 }
        set { recurrentDropoutProbability = newValue == 0 ? nil : newValue }
    }
    /// `recurrentDropout`'s storage: absent (nil) when 0, so the options of every other
    /// run encode as they did before it existed and older checkpoints decode.
    private var recurrentDropoutProbability: Float? = nil
    public var forgetGateBias: Float? = 1                    // LSTM: char-rnn initialises the forget gate open
    public var identityRecurrent: Bool = false               // relu RNN: Le et al. 2015 identity init
    /// Layer-normalized cells (`ModelConfig.layerNorm`).
    public var layerNorm: Bool {
        get { layerNormalization ?? false }
        set { layerNormalization = newValue ? true : nil }
    }
    /// `layerNorm`'s storage: absent (nil) when off, so the options of every other
    /// run encode as they did before it existed and older checkpoints decode.
    private var layerNormalization: Bool? = nil

    // MARK: arithmetic
    /// --precision: the products of training windows (`ProductPrecision`), resolved from `auto`
    /// at the start; nil (absent in JSON): fp32, never asked, so other runs encode as before.
    public var precision: ProductPrecision? = nil
    /// The products this run computes in.
    public var productPrecision: ProductPrecision { precision ?? .fp32 }

    /// How a new run of these options draws a model of `config`'s weights (the forget-gate bias
    /// where the cell has one, identity recurrent weights when asked).
    public func initOptions(for config: ModelConfig) -> InitOptions {
        InitOptions(forgetGateBias: config.cellFacts.takesForgetGateBias ? forgetGateBias : nil, identityRecurrent: identityRecurrent)
    }

    // MARK: batches (char-rnn's layout: B contiguous streams, windows of T)
    public var batchSize: Int = 50                           // B
    public var sequenceLength: Int = 50                      // T, the truncated-BPTT horizon

    // MARK: optimization
    public var optimizer = OptimizerSettings()               // adam (PyTorch defaults)
    public var learningRate: Float = 2e-3
    public var schedule: ScheduleSpec = .constant
    public var gradientClip: Float = 5                       // 0 disables clipping
    public var clipMode: ClipMode = .norm                    // global norm, or char-rnn's element-wise value

    // MARK: budget (whichever comes first; iterations and epochs count from the run's start, across resumes)
    public var epochs: Int? = nil                            // default `defaultEpochs` when no other budget is given
    public var maxIterations: Int? = nil
    public var maxSeconds: Double? = nil                     // this session's wall-clock budget

    /// The epoch budget of a run given no budget at all (char-rnn's `max_epochs`).
    public static let defaultEpochs = 50

    /// The epoch budget in force: `epochs`, else `defaultEpochs` when neither
    /// iterations nor time bound the run.
    public var epochBudget: Int? {
        epochs ?? (maxIterations == nil && maxSeconds == nil ? Self.defaultEpochs : nil)
    }

    // MARK: evaluation and checkpoints
    public var evalEvery: Int = 250                          // iterations between validation passes
    public var logEvery: Int = 10                            // iterations between log records
    public var patience: Int? = nil                          // stop after this many evals without improvement
    public var keep: Int = 0                                 // numbered checkpoints to keep besides latest/best
    public var seed: UInt64 = 1

    /// What `--auto` chose and why, one line per choice (absent for runs configured by hand).
    public var autoReasons: [String]? = nil

    public init() {}

    /// The model this run trains, for a vocabulary of `vocabularySize`.
    /// `adoptModel` is its inverse for every field but V and the dropouts (a test checks that none is left out).
    public func modelConfig(vocabularySize: Int) -> ModelConfig {
        ModelConfig(cell: cell, activation: activation, vocabularySize: vocabularySize,
                    hiddenSize: hiddenSize, layerCount: layerCount, dropout: dropout, recurrentDropout: recurrentDropout,
                    layerNorm: layerNorm)
    }

    /// The encoder–decoder these options build (`--task translate`): `modelConfig` with
    /// `--attention` (general when not given).
    public func translationConfig(vocabularySize: Int) -> ModelConfig {
        var config = modelConfig(vocabularySize: vocabularySize)
        config.attention = attention ?? .general
        return config
    }

    /// Takes a checkpoint's model whole (`--init-from`, `--resume`): every field
    /// that fixes its parameters and forward computation. The dropouts are
    /// training settings, not the model's: they stay this run's.
    public mutating func adoptModel(_ model: ModelConfig) {
        cell = model.cell
        activation = model.activation
        hiddenSize = model.hiddenSize
        layerCount = model.layerCount
        layerNorm = model.layerNorm
    }

    /// The documented range of every numeric setting (the README's "Limits"
    /// table says the same). Bounds keep every product the trainer forms
    /// (B·T, epochs × iterations per epoch, the decay start) far from overflow.
    public enum Limits {
        public static let layers = 1...64
        public static let hidden = 1...16_384
        public static let batchSize = 1...100_000
        public static let sequenceLength = 1...100_000
        public static let positions = 50_000_000               // B·T
        public static let epochs = 1...1_000_000
        public static let iterations = 1...1_000_000_000_000   // --max-iters, --warmup
        public static let maxSeconds = 366.0 * 86_400          // --max-time: a year
        public static let decayAfterEpochs = 0...1_000_000
    }

    /// A one-line error for settings no run can use, or nil.
    public var problem: String? {
        func outside<R: RangeExpression<Int>>(_ flag: String, _ value: Int, _ range: R, _ text: String) -> String? {
            range.contains(value) ? nil : "\(flag) must be \(text) (got \(value))"
        }
        let L = Limits.self
        if let p = outside("--layers", layerCount, L.layers, "between 1 and 64") { return p }
        if let p = outside("--hidden", hiddenSize, L.hidden, "between 1 and 16384") { return p }
        if !(dropout >= 0 && dropout < 1) { return "--dropout must be in [0, 1) (got \(dropout))" }
        if !(recurrentDropout >= 0 && recurrentDropout < 1) { return "--recurrent-dropout must be in [0, 1) (got \(recurrentDropout))" }
        if let f = forgetGateBias, !f.isFinite || abs(f) > 1000 { return "--forget-bias must be a number between -1000 and 1000 (got \(f))" }
        if let p = outside("--batch-size", batchSize, L.batchSize, "between 1 and 100000") { return p }
        if let p = outside("--seq-length", sequenceLength, L.sequenceLength, "between 1 and 100000") { return p }
        if let m = maxTextLength, let p = outside("--max-chars", m, L.sequenceLength, "between 1 and 100000") { return p }
        if let m = maxTextLength, batchSize * m > L.positions {
            return "--batch-size × --max-chars must be at most 50000000 (got \(batchSize) × \(m))"
        }
        if batchSize * sequenceLength > L.positions {
            return "--batch-size × --seq-length must be at most 50000000 (got \(batchSize) × \(sequenceLength))"
        }
        if !(learningRate > 0 && learningRate.isFinite) { return "--learning-rate must be a number > 0 (got \(learningRate))" }
        if !(gradientClip >= 0 && gradientClip.isFinite) { return "--grad-clip must be ≥ 0 (got \(gradientClip))" }
        if !(validationFraction >= 0 && validationFraction < 1) { return "--val-frac must be in [0, 1) (got \(validationFraction))" }
        if !(testFraction >= 0 && testFraction < 1) { return "--test-frac must be in [0, 1) (got \(testFraction))" }
        if validationFraction + testFraction >= 0.9 { return "--val-frac + --test-frac leave too little to train on" }
        if let e = epochs, let p = outside("--epochs", e, L.epochs, "between 1 and 1000000") { return p }
        if let m = maxIterations, let p = outside("--max-iters", m, L.iterations, "between 1 and 10^12") { return p }
        if let s = maxSeconds, !(s > 0 && s <= L.maxSeconds) { return "--max-time must be more than 0 and at most 366 days" }
        if evalEvery < 1 { return "--eval-every must be at least 1 (got \(evalEvery))" }
        if logEvery < 1 { return "--log-every must be at least 1 (got \(logEvery))" }
        if let p = patience, p < 1 { return "--patience must be at least 1 (got \(p))" }
        if keep < 0 { return "--keep must be ≥ 0 (got \(keep))" }
        if optimizer.kind == .sgd, !(optimizer.momentum >= 0 && optimizer.momentum < 1) {
            return "--momentum must be in [0, 1) (got \(optimizer.momentum))"
        }
        if optimizer.kind == .rmsprop, !(optimizer.decay > 0 && optimizer.decay < 1) {
            return "--decay-rate must be in (0, 1) (got \(optimizer.decay))"
        }
        if let p = optimizer.problem { return p }
        if let p = vocabularyPolicy.problem { return p }
        switch schedule {
        case .constant: break
        case .stepPerEpoch(let factor, let after):
            if !(factor > 0 && factor <= 1) { return "--lr-decay must be in (0, 1] (got \(factor))" }
            if let p = outside("--lr-decay-after", after, L.decayAfterEpochs, "between 0 and 1000000") { return p }
        case .cosine(let warmup, let minimum):
            if let p = outside("--warmup", warmup, 0...L.iterations.upperBound, "between 0 and 10^12") { return p }
            if !(minimum >= 0 && minimum <= 1) { return "--min-lr-factor must be in [0, 1] (got \(minimum))" }
        }
        return nil
    }
}

/// The learning-rate schedule as a user states it, in epochs where char-rnn does;
/// the trainer turns it into a `LearningRateSchedule` over iterations once it
/// knows how many iterations an epoch has.
public enum ScheduleSpec: Codable, Equatable, Sendable {
    case constant
    /// × `factor` at the end of every epoch from epoch `afterEpochs` on (char-rnn: 0.97 after 10).
    case stepPerEpoch(factor: Float, afterEpochs: Int)
    /// Linear warmup over `warmup` iterations, then cosine decay to `minimumFactor` × the rate at the run's planned end.
    case cosine(warmup: Int, minimumFactor: Float)

    /// `--lr-schedule step` without --lr-decay / --lr-decay-after: char-rnn's × 0.97 per epoch from epoch 10.
    public static let defaultStepFactor: Float = 0.97
    public static let defaultStepAfterEpochs = 10
    /// `--lr-schedule cosine` without --warmup / --min-lr-factor.
    public static let defaultWarmup = 0
    public static let defaultMinimumFactor: Float = 0.1
}
