import Checkpoints
import RNN
import Tensor
import Tokenizer

/// Generates text one character at a time from a trained model.
///
/// The prime is fed through the network to set the hidden state; then each
/// step turns the logits into a choice (`SamplingPolicy`: temperature, top-k,
/// top-p, greedy) with one draw from a seeded `SplitMix64`, so a seed gives
/// the same text on any machine and thread count. Nothing is allocated per
/// character: the model's batch-1 `step` writes into buffers made once here,
/// each character's bytes come from a table made at init, and `generate`
/// keeps counters, not text, so any length runs in constant memory.
public final class Sampler {
    public let model: StackedRNN
    public let vocabulary: Vocabulary
    public let tokenizer: TokenizerSettings
    /// (V) each token's UTF-8 bytes (one byte in byte mode).
    let tokenBytes: [[UInt8]]
    /// The unknown token of a folding vocabulary: read, never emitted.
    let unknownID: Int32?
    /// A documents model's markers: generation starts after the start marker
    /// (never emitted) and ends at the end marker (not part of the text).
    let documentMarkers: DocumentMarkers?
    /// Ids never emitted: the unknown token, the start marker, and for a
    /// `--documents lines` model the line breaks (no line holds one).
    let neverEmitted: [Int32]

    /// The label every step feeds a label-conditioned model (`--label`), an id of
    /// `checkpoint.labels`; nil for every other model. Set it before generating:
    /// a conditioned model generates nothing without one.
    public var label: Int32?

    /// The label names of a label-conditioned model, in id order; nil for others.
    public let labels: [String]?

    /// `precision`: of the weight copies each step multiplies (`StackedRNN.weightPrecision`), made here, once.
    /// `stepWeightsOf`: a sampler of the same checkpoint and precision whose weight copies this one reads
    /// too (`StackedRNN.shareStepWeights`), to step on another thread beside it without a copy of its own.
    public init(checkpoint: Checkpoint, precision: WeightPrecision = .fp32, stepWeightsOf other: Sampler? = nil) {
        labels = checkpoint.config.input == .oneHotAndLabel ? checkpoint.labels : nil
        model = StackedRNN(config: checkpoint.config)
        if let other {
            precondition(other.model.weightPrecision == precision, "Sampler: a shared sampler's precision differs")
            model.shareStepWeights(of: other.model)
        } else {
            model.parameters = checkpoint.parameters
            model.weightPrecision = precision
        }
        vocabulary = checkpoint.vocabulary
        tokenizer = checkpoint.tokenizer
        tokenBytes = (0..<checkpoint.vocabulary.count).map { checkpoint.vocabulary.bytes(of: Int32($0)) }
        unknownID = checkpoint.vocabulary.unknownID
        documentMarkers = checkpoint.vocabulary.documentMarkers
        var never = [unknownID, documentMarkers?.start].compactMap { $0 }
        if checkpoint.documents == .lines {
            let breaks = LineBreaks(vocabulary: checkpoint.vocabulary)
            never += [breaks.newline, breaks.crlf, breaks.carriageReturn].filter { $0 >= 0 }
        }
        neverEmitted = never
        let model = self.model
        // A labelled run (--task generate, conditioned or not) read each document from the zero state.
        let warms = checkpoint.training[CheckpointLayout.Training.task] == nil && checkpoint.config.input != .oneHotAndLabel
        startState = checkpoint.vocabulary.documentMarkers.flatMap { m in
            warms ? Self.documentStartState(model: model, markers: m, neverEmitted: never) : nil
        } ?? RecurrentState.zeros(config: checkpoint.config, batchSize: 1)
    }

    /// The state every generation starts from (before `startingIDs`).
    let startState: RecurrentState

    /// How many characters `documentStartState` reads at most before it ends its document.
    static let warmupLimit = 256

    /// Where a documents model begins a document: the state after one whole
    /// document, not zeros. Training streams carry their state from each
    /// document into the next, so the model reads `<s>` after a `</s>` nearly
    /// every time and from the zero state only where a stream starts (B times an
    /// epoch); read from zeros, `<s>` is a state it hardly knows, and it gave
    /// `</s>` at once to 2% of documents (issue 22). The warm-up document is the
    /// greedy one (no randomness, so every seed's text stays a function of the
    /// seed), cut at `warmupLimit` characters.
    static func documentStartState(model: StackedRNN, markers: DocumentMarkers, neverEmitted: [Int32]) -> RecurrentState {
        var state = RecurrentState.zeros(config: model.config, batchSize: 1)
        var logits = [Float](repeating: 0, count: model.config.vocabularySize)
        logits.withUnsafeMutableBufferPointer { l in
            model.step(token: markers.start, state: &state, logits: l)
            for _ in 0..<warmupLimit {
                for id in neverEmitted { l[Int(id)] = -.infinity }
                var best = 0
                for i in 1..<l.count where l[i] > l[best] { best = i }   // a NaN never wins: the start stays
                if Int32(best) == markers.end { break }
                model.step(token: Int32(best), state: &state, logits: l)
            }
            model.step(token: markers.end, state: &state, logits: l)
        }
        return state
    }

    /// The state and logits after what is fed before the first choice (`startingIDs`), from `startState`.
    func started(prime: [Int32], label: Int32?) -> (state: RecurrentState, logits: [Float]) {
        started(prime: prime, label: label, pause: { true })!
    }

    /// Characters of a prime read between two calls of `started`'s `pause`.
    public static let primePause = 32

    /// `started`, calling `pause` after every `primePause` characters of a long prime (serve hands its
    /// lane to others there); nil when `pause` says false (its reader is gone: the rest is not read).
    func started(prime: [Int32], label: Int32?, pause: () -> Bool) -> (state: RecurrentState, logits: [Float])? {
        var state = startState
        var logits = [Float](repeating: 0, count: vocabulary.count)   // (V)
        let read = logits.withUnsafeMutableBufferPointer { l in
            for (i, id) in startingIDs(prime: prime).enumerated() {
                if i > 0 && i % Self.primePause == 0 && !pause() { return false }
                model.step(token: id, label: label, state: &state, logits: l)
            }
            return true
        }
        return read ? (state, logits) : nil
    }

    /// What to do with prime characters the model has never seen.
    public enum UnknownCharacters: String, Sendable { case fail, skip }

    /// The prime's token ids under the checkpoint's tokenizer settings, and the
    /// distinct characters outside the vocabulary: dropped (`skipped`, only
    /// under `.skip`), or read as the unknown token (`readAsUnknown`) when the
    /// vocabulary folds rare characters, whatever `unknown` says.
    public func encodePrime(_ text: String, unknown: UnknownCharacters) throws(SamplerError)
        -> (ids: [Int32], skipped: [String], readAsUnknown: [String]) {
        let units: [String]
        do { units = try Tokenizer(settings: tokenizer).units(of: text) } catch { throw .prime("\(error)") }
        var ids: [Int32] = []
        ids.reserveCapacity(units.count)
        var outside: [String] = []
        var seen = Set<String>()
        for u in units {
            if vocabulary.id(of: u) == nil, seen.insert(u).inserted { outside.append(u) }
            if let id = vocabulary.readingID(of: u) { ids.append(id) }
        }
        if unknownID != nil { return (ids, [], outside) }
        if unknown == .fail && !outside.isEmpty {
            throw .unknownCharacters(outside)
        }
        return (ids, outside, [])
    }

    /// What `generate` reports besides the text, which went to `emit`.
    public struct Generation: Equatable, Sendable {
        public var characterCount: Int             // characters generated (not the prime)
        public var logProbabilitySum: Double       // Σ log p(char) under the untempered model, nats (and the end marker's)
        public var stopped: Bool                   // ended by a stop string
        public var endedDocument = false           // documents model: ended by the end marker

        /// Mean log p in nats per step (the characters, and the end marker when
        /// it was chosen); 0 when nothing was generated.
        public var meanLogProbability: Double {
            Sampler.mean(logProbabilitySum, characters: characterCount, endedDocument: endedDocument)
        }
    }

    /// The mean log-probability per step of a generation (every search ranks by it).
    static func mean(_ sum: Double, characters: Int, endedDocument: Bool) -> Double {
        let steps = characters + (endedDocument ? 1 : 0)
        return steps == 0 ? 0 : sum / Double(steps)
    }

    /// A generated text held whole: `sample(…)`'s result.
    public struct Sample: Sendable {
        public var generated: [Int32]              // ids of the generated characters (not the prime)
        public var text: String                    // their text
        public var meanLogProbability: Double      // mean log p(char) under the untempered model, nats
        public var stopped: Bool                   // ended by a stop string
        public var endedDocument: Bool             // documents model: ended by the end marker
    }

    /// Feeds `prime` (ids), then generates up to `length` characters, calling
    /// `emit` with each character's id and bytes as soon as it is chosen; `emit`
    /// returns false to end generation there (its reader has gone). With an
    /// empty prime the model starts from a newline when it knows one (the
    /// start of a line is a natural beginning), else from its first character;
    /// that start is not part of the output.
    ///
    /// A documents model (its vocabulary has `DocumentMarkers`) starts a
    /// document: the start marker, then the prime; it ends at the end marker,
    /// which is not emitted (its log-probability counts, as the document's
    /// ending), and never emits the start marker (masked like the unknown token).
    ///
    /// A folding vocabulary's unknown token is never chosen: its logit is set
    /// to −∞ before every choice, in every policy, so the reported
    /// log-probabilities are those of the model renormalised over the
    /// characters it can emit.
    ///
    /// A generation ends at the first of `stops` its text ends with. Memory
    /// does not grow with `length`: only counters and, with `stops`, the last
    /// few bytes are kept. Throws when the logits a character would be drawn
    /// from hold an infinity or a NaN (the model's activations overflowed),
    /// after emitting the characters before it.
    public func generate(prime: [Int32], length: Int, policy: SamplingPolicy, seed: UInt64, stops: [String] = [],
                         emit: (_ id: Int32, _ bytes: [UInt8]) -> Bool) throws(NonFiniteOutputError) -> Generation {
        // One row of a batch (`BatchedGeneration`): the one place a generation's steps are written.
        var outcome: Result<Generation, NonFiniteOutputError>?
        withoutActuallyEscaping(emit) { emit in
            let batch = BatchedGeneration(sampler: self)
            batch.add(BatchedGeneration.Request(prime: prime, length: length, policy: policy, seed: seed, stops: stops, label: label),
                      emit: emit, finished: { outcome = $0 })
            while !batch.isEmpty { batch.tick() }
        }
        return try outcome!.get()
    }

    /// Makes a step's logits ready to choose from: an infinity or a NaN (the model's
    /// activations overflowed) is an error naming the character at `position`, and
    /// the unknown token, which stands for many characters and is none of them, is
    /// set to −∞ so that it is never emitted, and so are a documents model's start
    /// marker (a document has begun) and, for `lines`, its line breaks (a line
    /// holds none; the model never saw one inside a document). Sampling and search both call it.
    func admit(_ logits: inout [Float], position: Int) throws(NonFiniteOutputError) {
        if let (_, kind) = logits.withUnsafeBufferPointer({ NonFiniteValue.first(in: $0) }) {
            throw NonFiniteOutputError(use: .sampling, position: .generatedCharacter(position), quantity: .outputs, value: kind)
        }
        for id in neverEmitted { logits[Int(id)] = -.infinity }
    }

    /// What is fed before the first choice: a documents model's start marker
    /// and the prime; else the prime, or a newline (else id 0) when it is empty.
    func startingIDs(prime: [Int32]) -> [Int32] {
        if let m = documentMarkers { return [m.start] + prime }
        return prime.isEmpty ? [vocabulary.id(of: "\n") ?? 0] : prime
    }

    /// `generate`, keeping the ids and text. Memory grows with the text: for
    /// tests and short samples; `charrnn sample` streams through `generate`.
    public func sample(prime: [Int32], length: Int, policy: SamplingPolicy, seed: UInt64,
                       stops: [String] = []) throws(NonFiniteOutputError) -> Sample {
        var ids: [Int32] = []
        var bytes: [UInt8] = []
        let generation = try generate(prime: prime, length: length, policy: policy, seed: seed, stops: stops) { id, b in
            ids.append(id)
            bytes += b
            return true
        }
        return Sample(generated: ids, text: String(decoding: bytes, as: UTF8.self),
                      meanLogProbability: generation.meanLogProbability, stopped: generation.stopped,
                      endedDocument: generation.endedDocument)
    }
}

public enum SamplerError: Error, Equatable, CustomStringConvertible, Sendable {
    case prime(String)
    case unknownCharacters([String])

    public var description: String {
        switch self {
        case .prime(let m): return "prime: \(m)"
        case .unknownCharacters(let cs):
            return "the prime has \(cs.count) character\(cs.count == 1 ? "" : "s") the model has never seen: \(Vocabulary.displayList(cs)) (use --unknown skip to drop them)"
        }
    }
}
