import Foundation
import RNN
import Tensor

/// `charrnn train --auto`: the model, its regularisation and its schedule, chosen
/// for this corpus (its size and vocabulary), this budget (`--max-time`,
/// `--max-iters` or `--epochs`) and this machine (a throughput probe per
/// candidate size). Every setting the user gave on the command line is kept.
///
/// The rules, each one line of `plan` (the README's "How well it learns" has the runs behind them):
///
/// 1. A layer-normalized LSTM of 2 layers, T = 50, B = 50 (char-rnn's window); for an
///    encoder–decoder (`Corpus.Shape.pairs`) both stacks so, B = 50 pairs.
/// 2. The budget in characters, D: iterations × B·T (B × a pair's mean characters), epochs × the training split,
///    or the probed characters per second × the seconds (less what evaluation takes).
/// 3. The hidden size: the largest of `hiddenLadder` whose parameter count N has
///    D ≥ `charactersPerParameter` × N (enough steps to train it) and
///    N ≤ `parametersPerTrainingCharacter` × the training split (char-rnn's advice:
///    parameters about the number of characters, not far more).
/// 4. Dropout between layers from the epochs the budget allows, D ÷ the split:
///    none below `dropoutEpochs[0]`, then 0.1, 0.2, 0.3 at each threshold; one step
///    more (at most 0.3) when N ≥ `nearCapParameters` × the split, a model near rule 3's
///    cap memorising sooner.
/// 5. Adam at 2e-3 (1e-3 above H = 256), a cosine over the budget to 0.1 of it,
///    with a linear warmup of 2% of the expected iterations (at most 200).
public enum AutoPlan {
    /// What the plan knows of the data.
    public struct Corpus: Sendable {
        /// How the data reaches the model.
        public enum Shape: Sendable, Equatable {
            /// One text in B streams of T characters (a language model).
            case streams
            /// Source–target pairs for an encoder–decoder (`--task translate`), a batch row being one
            /// pair of `meanCharacters` (source, target and its end marker).
            case pairs(meanCharacters: Double)
        }
        /// Characters of the training split (for pairs: every source and target character and end marker).
        public var trainCharacters: Int
        public var vocabularySize: Int
        public var shape: Shape
        public init(trainCharacters: Int, vocabularySize: Int, shape: Shape = .streams) {
            self.trainCharacters = trainCharacters
            self.vocabularySize = vocabularySize
            self.shape = shape
        }
    }

    /// The settings the user gave explicitly (they win over the plan).
    public struct Explicit: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let cell = Explicit(rawValue: 1 << 0)
        public static let layers = Explicit(rawValue: 1 << 1)
        public static let hidden = Explicit(rawValue: 1 << 2)
        public static let layerNorm = Explicit(rawValue: 1 << 3)
        public static let dropout = Explicit(rawValue: 1 << 4)
        public static let learningRate = Explicit(rawValue: 1 << 5)
        public static let schedule = Explicit(rawValue: 1 << 6)
        public static let sequenceLength = Explicit(rawValue: 1 << 7)
        public static let batchSize = Explicit(rawValue: 1 << 8)
    }

    /// The chosen options and one line per choice saying why.
    public struct Plan: Sendable {
        public var options: TrainingOptions
        public var reasons: [String]
    }

    public static let hiddenLadder = [64, 96, 128, 192, 256, 384, 512, 768, 1024]
    /// ρ: budget characters per parameter below which a larger model would not get enough steps.
    public static let charactersPerParameter = 12.0
    /// Parameters per training character above which a model mostly memorises.
    public static let parametersPerTrainingCharacter = 1.0
    /// Epochs of the budget at which dropout steps to 0.1, 0.2 and 0.3.
    public static let dropoutEpochs = [4.0, 16.0, 64.0]
    /// Parameters per training character from which dropout takes one step more (rule 4).
    public static let nearCapParameters = 0.75
    /// Seconds of timed training steps per candidate size (after three untimed steps).
    public static let probeSeconds = 0.5
    /// The share of a time budget that evaluation is assumed to take.
    public static let evaluationShare = 0.05

    /// The plan for `base` (TrainingOptions with the user's flags applied) on `corpus`.
    /// `throughput` measures training characters per second of a candidate (only
    /// called with a time budget, smallest candidate first, and only while it can still be chosen).
    public static func plan(base: TrainingOptions, explicit: Explicit, corpus: Corpus,
                            throughput: (TrainingOptions) -> Double) -> Plan {
        var o = base, reasons: [String] = []
        if !explicit.contains(.cell) { o.cell = .lstm }
        if !explicit.contains(.layerNorm) { o.layerNorm = true }
        if !explicit.contains(.layers) { o.layerCount = 2 }
        if !explicit.contains(.sequenceLength), corpus.shape == .streams { o.sequenceLength = 50 }
        if !explicit.contains(.batchSize) { o.batchSize = 50 }
        let window = corpus.shape == .streams ? "T = \(o.sequenceLength), B = \(o.batchSize)" : "B = \(o.batchSize) pairs"
        reasons.append("cell: \(o.layerNorm ? "layer-normalized " : "")\(o.cell.rawValue), \(o.layerCount) layers, \(window)"
                       + (o.layerNorm && !explicit.contains(.layerNorm) ? " (layer norm: lower loss in the same minutes)" : ""))

        /// Characters of one iteration: B windows of T, or B pairs of the mean length.
        let positions: Double
        switch corpus.shape {
        case .streams: positions = Double(o.batchSize * o.sequenceLength)
        case .pairs(let mean): positions = Double(o.batchSize) * mean
        }
        let train = Double(max(1, corpus.trainCharacters))
        /// D for a candidate, and its rate when it was measured.
        func budget(_ candidate: TrainingOptions) -> (characters: Double, rate: Double?) {
            var d = Double.infinity, rate: Double? = nil
            if let i = o.maxIterations { d = min(d, Double(i) * positions) }
            if let e = o.epochBudget { d = min(d, Double(e) * train) }
            if let s = o.maxSeconds {
                let r = throughput(candidate)
                rate = r
                d = min(d, r * s * (1 - evaluationShare))
            }
            return (d, rate)
        }
        func parameters(_ h: Int) -> Int {
            var c = o
            c.hiddenSize = h
            let config = corpus.shape == .streams ? c.modelConfig(vocabularySize: corpus.vocabularySize)
                : c.translationConfig(vocabularySize: corpus.vocabularySize)
            return config.parameterCount
        }

        var chosen: (characters: Double, rate: Double?)
        if explicit.contains(.hidden) {
            chosen = budget(o)
            reasons.append("hidden \(o.hiddenSize): given")
        } else {
            var pick = hiddenLadder[0]
            var candidate = o
            candidate.hiddenSize = pick
            chosen = budget(candidate)
            var why = "the smallest size"
            for h in hiddenLadder.dropFirst() {
                let n = Double(parameters(h))
                if n > parametersPerTrainingCharacter * train { why = "the next size has more parameters than the training split has characters"; break }
                candidate.hiddenSize = h
                let b = budget(candidate)
                if b.characters < charactersPerParameter * n {
                    why = "the next size would see fewer than \(Int(charactersPerParameter)) characters per parameter"
                    break
                }
                pick = h; chosen = b
                why = "the largest size tried"
            }
            if pick == hiddenLadder[0], chosen.characters < charactersPerParameter * Double(parameters(pick)) {
                why = "the smallest size (the budget is short even for it)"
            }
            o.hiddenSize = pick
            reasons.append("hidden \(pick) (\(parameters(pick)) parameters): \(why)")
        }
        let epochs = chosen.characters / train
        reasons.append(String(format: "budget: about %@ characters%@, %.1f epochs of the %@-character training split",
                              formatRate(chosen.characters),
                              chosen.rate.map { String(format: " at %@ chars/s", formatRate($0)) } ?? "",
                              epochs, formatRate(train)))

        if !explicit.contains(.dropout) {
            let steps = dropoutEpochs.filter { epochs >= $0 }.count
            let perCharacter = Double(parameters(o.hiddenSize)) / train
            let nearCap = steps > 0 && steps < dropoutEpochs.count && perCharacter >= nearCapParameters
            o.dropout = Float(steps + (nearCap ? 1 : 0)) / 10
            reasons.append(o.dropout == 0 ? String(format: "dropout 0: under %g epochs, little to overfit", dropoutEpochs[0])
                           : String(format: "dropout %.1f: %.0f epochs or more repeat the data enough to overfit", o.dropout, dropoutEpochs[steps - 1])
                             + (nearCap ? String(format: ", and a model of %.2f parameters per training character memorises sooner", perCharacter) : ""))
        }
        if !explicit.contains(.learningRate) {
            o.learningRate = o.hiddenSize > 256 ? 1e-3 : 2e-3
        }
        if !explicit.contains(.schedule) {
            let iterations = chosen.characters / positions
            let warmup = iterations.isFinite ? min(200, Int(iterations * 0.02)) : 0
            o.schedule = .cosine(warmup: warmup, minimumFactor: ScheduleSpec.defaultMinimumFactor)
            reasons.append(String(format: "Adam %g, cosine to 0.1× over the budget after %d warmup iterations", o.learningRate, warmup))
        } else if !explicit.contains(.learningRate) {
            reasons.append(String(format: "Adam %g", o.learningRate))
        }
        o.autoReasons = reasons
        return Plan(options: o, reasons: reasons)
    }
}
