import Checkpoints
import Foundation
import RNN
import Tensor
import Tokenizer

/// Translates sources with an encoder–decoder checkpoint (`train --task
/// translate`): `charrnn translate`, `charrnn eval` of such a model and the
/// server's `POST /v1/translate`.
///
/// A source is read as training read the pairs (the checkpoint's tokenizer and
/// vocabulary). What cannot be read is an error of that source, never a quiet
/// change of its meaning (`TranslationError`): a character the model never saw
/// (unless the vocabulary has `<unk>`), an empty source, a source longer than
/// `maxSourceCharacters`. The output starts at `<s>` and ends at `</s>` or after
/// `maxLength` characters (then `finished` is false). Greedy decoding is a beam
/// of width 1.
public final class Translator {
    public let model: EncoderDecoder
    public let vocabulary: Vocabulary
    public let tokenizer: TokenizerSettings
    let markers: DocumentMarkers

    /// The longest source read (characters): attention costs S·H per output character and
    /// the encoder's states S·H floats, so a limit keeps one request from holding the machine.
    public static let maxSourceCharacters = 10_000
    /// The widest beam the commands take (`translate`, `eval`, `viz` of a translation model).
    public static let beamWidths = 1...64
    /// `maxLength`'s default: output characters before a translation is cut.
    public static let defaultMaxLength = 500

    /// One source's translation.
    public struct Translation: Equatable, Sendable {
        public var text: String
        /// The output's ids, without <s> and </s>.
        public var ids: [Int32]
        /// Σ log p of the output's characters and of </s> when `finished`, nats (untempered model).
        public var logProbability: Double
        /// Whether the decoder ended it with </s> (else it was cut at the maximum length).
        public var finished: Bool
        /// When asked for: per output step (its characters, then </s> when finished), the S attention weights.
        public var attention: [[Float]]
    }

    /// nil, or why `checkpoint` is not a translation model.
    public static func problem(with checkpoint: Checkpoint) -> String? {
        checkpoint.config.attention != nil && checkpoint.vocabulary.documentMarkers != nil ? nil
            : "the checkpoint is not a translation model (train one with --task translate on source<TAB>target pairs)"
    }

    public init(checkpoint: Checkpoint) {
        precondition(Self.problem(with: checkpoint) == nil, "Translator: \(Self.problem(with: checkpoint)!)")
        model = EncoderDecoder(config: checkpoint.config)
        model.parameters = checkpoint.parameters
        vocabulary = checkpoint.vocabulary
        tokenizer = checkpoint.tokenizer
        markers = checkpoint.vocabulary.documentMarkers!
    }

    /// The ids of `source` in the model's vocabulary.
    public func encode(_ source: String) throws(TranslationError) -> [Int32] {
        let units: [String]
        do { units = try Tokenizer(settings: tokenizer).units(of: source) } catch { throw .unreadable("\(error)") }
        if units.isEmpty { throw .emptySource }
        if units.count > Self.maxSourceCharacters { throw .tooLong(units.count, limit: Self.maxSourceCharacters) }
        var ids: [Int32] = []
        ids.reserveCapacity(units.count)
        for u in units {
            // The markers are the decoder's, never a source character.
            guard let id = vocabulary.readingID(of: u), id != markers.start, id != markers.end else {
                throw .unknownCharacter(u)
            }
            ids.append(id)
        }
        return ids
    }

    /// The best output for `source` (ids) by beam search of `beam` hypotheses (1: greedy).
    public func translate(_ source: [Int32], beam: Int = 1, maxLength: Int = Translator.defaultMaxLength,
                          keepAttention: Bool = false) throws(NonFiniteOutputError) -> Translation {
        precondition(beam >= 1 && maxLength >= 0, "translate: beam ≥ 1 and maxLength ≥ 0 (callers check them)")
        let encoded = model.encode(source)
        let v = vocabulary.count, s = encoded.length
        struct Hypothesis {
            var ids: [Int32], sum: Double, state: RecurrentState, attention: [[Float]], ended = false
            var last: Int32
        }
        var logits = [Float](repeating: 0, count: v), weights = [Float](repeating: 0, count: s)
        var live = [Hypothesis(ids: [], sum: 0, state: encoded.initialState, attention: [], last: markers.start)]
        var finished: [Hypothesis] = []
        for position in 0..<(maxLength + 1) where !live.isEmpty {
            // Each live hypothesis's next distribution; then the `beam` best extensions overall
            // (ties: the earlier hypothesis, then the lower id); those that end leave the beam.
            // After `maxLength` characters only an extension by </s> is kept: a hypothesis whose best
            // choices do not include it is cut there (not finished), as the model did not end it.
            var extensions: [(sum: Double, from: Int, id: Int32, state: RecurrentState, weights: [Float])] = []
            for (index, hypothesis) in live.enumerated() {
                var state = hypothesis.state
                logits.withUnsafeMutableBufferPointer { l in
                    weights.withUnsafeMutableBufferPointer { w in
                        model.step(token: hypothesis.last, state: &state, source: encoded, logits: l, attention: w)
                    }
                }
                let logp = try Self.logSoftmax(logits, position: position + 1)
                for id in 0..<v where id != Int(markers.start) {
                    extensions.append((hypothesis.sum + logp[id], index, Int32(id), state, weights))
                }
            }
            extensions.sort { ($0.sum, -$0.from, -Int($0.id)) > ($1.sum, -$1.from, -Int($1.id)) }
            var next: [Hypothesis] = []
            for e in extensions.prefix(beam) {
                var h = live[e.from]
                if position == maxLength && e.id != markers.end { continue }
                h.sum = e.sum
                h.state = e.state
                h.last = e.id
                if keepAttention { h.attention.append(e.weights) }
                if e.id == markers.end { h.ended = true; finished.append(h) } else { h.ids.append(e.id); next.append(h) }
            }
            if position == maxLength { break }
            live = next
            // A sum of log-probabilities only falls as a hypothesis grows, so once an ended one scores
            // at least every live one, none can overtake it: stop (the answer is the one running to
            // `maxLength` would give, and beam 4 costs about 3× greedy rather than 16× on numbers-de).
            if let ended = finished.map(\.sum).max(), live.allSatisfy({ $0.sum <= ended }) { break }
        }
        // The most probable output (as `sample --beam` finds the most probable continuation): ended
        // hypotheses by their sum, </s> included, ties to the first found; when none ended, the
        // hypotheses cut at `maxLength` do.
        let pool = finished.isEmpty ? live : finished
        var best = pool[0]
        for h in pool.dropFirst() where h.sum > best.sum { best = h }
        return Translation(text: best.ids.map { vocabulary.tokens[Int($0)] }.joined(), ids: best.ids, logProbability: best.sum,
                           finished: best.ended, attention: best.attention)
    }

    /// log softmax of the logits in Double; a non-finite logit is an error (a damaged model).
    static func logSoftmax(_ logits: [Float], position: Int) throws(NonFiniteOutputError) -> [Double] {
        if let bad = NonFiniteValue.first(in: logits) {
            throw NonFiniteOutputError(use: .translation, position: .generatedCharacter(position), quantity: .outputs, value: bad.kind)
        }
        let m = Double(logits.max()!)
        var sum = 0.0
        for x in logits { sum += exp(Double(x) - m) }
        let log = m + Foundation.log(sum)
        return logits.map { Double($0) - log }
    }
}

/// Why a source cannot be translated: one line each (`description`).
public enum TranslationError: Error, Equatable, CustomStringConvertible {
    case unknownCharacter(String)
    case emptySource
    case tooLong(Int, limit: Int)
    case unreadable(String)

    public var description: String {
        switch self {
        case .unknownCharacter(let c):
            "the source has \(Vocabulary.displayForm(c)), a character the model never saw in training"
        case .emptySource: "the source is empty"
        case .tooLong(let n, let limit): "the source has \(n) characters; at most \(limit) are read"
        case .unreadable(let why): "the source cannot be read: \(why)"
        }
    }
}
