import RNN
import Tokenizer

/// Everything that defines a training run, with char-rnn's defaults.
/// Stored in every checkpoint (JSON), so a resumed run continues with the same settings.
public struct TrainingOptions: Codable, Equatable, Sendable {
    // MARK: data
    public var corpusPath: String = ""                       // the UTF-8 text to learn
    public var tokenizer = TokenizerSettings()               // grapheme clusters, NFC
    public var validationFraction: Double = 0.05             // contiguous splits: train | val | test
    public var testFraction: Double = 0.05

    // MARK: model
    public var cell: CellKind = .lstm                        // lstm | gru | rnn
    public var activation: RNNActivation = .tanh             // rnn cell only
    public var layerCount: Int = 2                           // L
    public var hiddenSize: Int = 128                         // H
    public var dropout: Float = 0                            // between layers and before the head
    public var forgetGateBias: Float? = 1                    // LSTM: char-rnn initialises the forget gate open
    public var identityRecurrent: Bool = false               // relu RNN: Le et al. 2015 identity init

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
    public var epochs: Int? = nil                            // default 50 when no other budget is given
    public var maxIterations: Int? = nil
    public var maxSeconds: Double? = nil                     // this session's wall-clock budget

    // MARK: evaluation and checkpoints
    public var evalEvery: Int = 250                          // iterations between validation passes
    public var logEvery: Int = 10                            // iterations between log records
    public var patience: Int? = nil                          // stop after this many evals without improvement
    public var keep: Int = 0                                 // numbered checkpoints to keep besides latest/best
    public var seed: UInt64 = 1

    public init() {}

    /// The model this run trains, for a vocabulary of `vocabularySize`.
    public func modelConfig(vocabularySize: Int) -> ModelConfig {
        ModelConfig(cell: cell, activation: activation, vocabularySize: vocabularySize,
                    hiddenSize: hiddenSize, layerCount: layerCount, dropout: dropout)
    }

    /// A one-line error for settings no run can use, or nil.
    public var problem: String? {
        if layerCount < 1 { return "--layers must be at least 1 (got \(layerCount))" }
        if hiddenSize < 1 { return "--hidden must be at least 1 (got \(hiddenSize))" }
        if hiddenSize > 16384 { return "--hidden \(hiddenSize) is too large (at most 16384)" }
        if layerCount > 64 { return "--layers \(layerCount) is too many (at most 64)" }
        if !(dropout >= 0 && dropout < 1) { return "--dropout must be in [0, 1) (got \(dropout))" }
        if batchSize < 1 { return "--batch-size must be at least 1 (got \(batchSize))" }
        if sequenceLength < 1 { return "--seq-length must be at least 1 (got \(sequenceLength))" }
        if batchSize * sequenceLength > 50_000_000 { return "--batch-size × --seq-length is too large" }
        if !(learningRate > 0 && learningRate.isFinite) { return "--learning-rate must be a number > 0 (got \(learningRate))" }
        if !(gradientClip >= 0 && gradientClip.isFinite) { return "--grad-clip must be ≥ 0 (got \(gradientClip))" }
        if !(validationFraction >= 0 && validationFraction < 1) { return "--val-frac must be in [0, 1) (got \(validationFraction))" }
        if !(testFraction >= 0 && testFraction < 1) { return "--test-frac must be in [0, 1) (got \(testFraction))" }
        if validationFraction + testFraction >= 0.9 { return "--val-frac + --test-frac leave too little to train on" }
        if let e = epochs, e < 1 { return "--epochs must be at least 1 (got \(e))" }
        if let m = maxIterations, m < 1 { return "--max-iters must be at least 1 (got \(m))" }
        if let s = maxSeconds, !(s > 0) { return "--max-time must be positive" }
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
        switch schedule {
        case .constant: break
        case .stepPerEpoch(let factor, let after):
            if !(factor > 0 && factor <= 1) { return "--lr-decay must be in (0, 1] (got \(factor))" }
            if after < 0 { return "--lr-decay-after must be ≥ 0 (got \(after))" }
        case .cosine(let warmup, let minimum):
            if warmup < 0 { return "--warmup must be ≥ 0 (got \(warmup))" }
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
}
