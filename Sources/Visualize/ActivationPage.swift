import Checkpoints
import Foundation
import RNN
import Tokenizer

/// A self-contained HTML page showing a text coloured by one hidden unit's
/// activation per character (Karpathy 2015, "The Unreasonable Effectiveness of
/// Recurrent Neural Networks"): red negative, white 0, blue positive. A picker
/// chooses the layer, h or (LSTM) c, and the unit; hovering a character shows
/// the model's five best guesses for the next one; a side list ranks units by
/// how well they follow simple features of the text, each a link to that unit.
///
/// Safety: the text is user data and never becomes markup. Everything the page
/// shows sits in one `<script type="application/json">` element whose JSON has
/// `<`, `>`, `&`, U+2028 and U+2029 escaped (`Markup.scriptSafeJSON`); the
/// script builds the page with `textContent` only; and a Content-Security-Policy
/// allows no network access and only the page's own script (by its SHA-256).
public struct ActivationPage: Sendable {
    /// What the page embeds, as JSON. Activations are int8, unit-major, base64.
    public struct Payload: Codable, Equatable, Sendable {
        public struct Model: Codable, Equatable, Sendable {
            public var cell: String
            public var activation: String
            public var layers: Int
            public var hidden: Int
            public var vocabulary: Int
            public var tokenizer: String
        }
        /// One layer's h or c for every unit and character.
        public struct States: Codable, Equatable, Sendable {
            public var layer: Int
            /// "h" (the layer's output) or "c" (the LSTM cell state).
            public var kind: String
            public var label: String
            /// Per unit: value ≈ q / 127 · scales[unit] for a stored int8 q (±127:
            /// at least that far out). 1 for values in tanh's range; for unbounded
            /// ones (c, relu) the unit's 98th-percentile |value| over the text, so
            /// that each unit uses the whole colour range.
            public var scales: [Double]
            /// Int8 values, unit-major (unit u, character i at u·N + i), base64.
            public var data: String
        }
        public struct Feature: Codable, Equatable, Sendable {
            public struct Unit: Codable, Equatable, Sendable {
                public var layer: Int
                public var kind: String
                public var unit: Int
                public var r: Double
            }
            public var name: String
            public var explanation: String
            /// One value per character.
            public var values: [Double]
            /// Best-correlated units first.
            public var units: [Unit]
        }
        public struct Selection: Codable, Equatable, Sendable {
            public var layer: Int
            public var kind: String
            public var unit: Int
        }

        public var version: Int
        public var source: String
        public var checkpoint: String
        public var model: Model
        /// The characters, exactly as the text has them (graphemes, scalars or bytes).
        public var chars: [String]
        /// How a character is drawn when it is not drawn as itself (invisible,
        /// control, or a non-ASCII byte in byte mode), keyed by its index.
        public var shown: [String: String]
        /// (N) each character's vocabulary id, -1 for one outside the vocabulary (not fed to the model).
        public var ids: [Int]
        /// The vocabulary as drawn in the guess lists.
        public var vocabulary: [String]
        public var states: [States]
        /// Guesses kept per character.
        public var k: Int
        /// (N, k) token ids of the best guesses for the next character, -1 where none.
        public var guesses: [Int]
        /// (N, k) their probabilities in thousandths.
        public var guessPermille: [Int]
        /// (N) the probability of the actual next character in thousandths, -1 where unknown.
        public var nextPermille: [Int]
        public var features: [Feature]
        public var initial: Selection
        /// Characters in the whole text (more than `chars.count` when cut by --max-chars).
        public var totalChars: Int
    }

    public var payload: Payload

    public init(payload: Payload) {
        self.payload = payload
    }

    /// Runs `checkpoint`'s model over `characters` and gathers everything the page shows.
    /// - initial: the unit shown first; nil picks the unit that best follows a
    ///   feature (in `layer` if given).
    /// Throws when the model's hidden state or outputs overflow to infinity or
    /// NaN (see `ActivationTrace`): such a trace has no colours to show.
    public init(checkpoint: Checkpoint, checkpointName: String, source: String, characters: [String],
                totalCharacters: Int? = nil, layer: Int? = nil, unit: Int? = nil,
                cellState: Bool = false) throws(NonFiniteOutputError) {
        let model = StackedRNN(config: checkpoint.config)
        model.parameters = checkpoint.parameters
        let vocabulary = checkpoint.vocabulary
        let ids = characters.map { ActivationPage.id(of: $0, in: vocabulary) }
        let trace = try ActivationTrace(model: model, ids: ids, topK: 5)
        let features = TextFeature.standard(of: characters)
        let known = ids.map { $0 != nil }
        let ranked = UnitCorrelation.rank(trace, features: features, mask: known, limit: 8)

        let config = checkpoint.config
        var states: [Payload.States] = []
        let bounded = config.cellFacts.outputIsBounded
        for l in 0..<trace.layerCount {
            let hScales = bounded ? [Double](repeating: 1, count: trace.hiddenSize)
                : ActivationPage.unitScales(trace.hidden[l], units: trace.hiddenSize)
            states.append(.init(layer: l, kind: "h", label: bounded ? "output h" : "output h (relu; scaled per unit)",
                                scales: hScales, data: ActivationPage.quantized(trace.hidden[l], scales: hScales)))
            if !trace.cell.isEmpty {
                let cScales = ActivationPage.unitScales(trace.cell[l], units: trace.hiddenSize)
                states.append(.init(layer: l, kind: "c", label: "cell state c (scaled per unit)",
                                    scales: cScales, data: ActivationPage.quantized(trace.cell[l], scales: cScales)))
            }
        }

        let k = 5, n = characters.count
        var guesses = [Int](repeating: -1, count: n * k), permille = [Int](repeating: 0, count: n * k)
        for (i, g) in trace.guesses.enumerated() {
            for (j, guess) in g.prefix(k).enumerated() {
                guesses[i * k + j] = Int(guess.token)
                permille[i * k + j] = ActivationPage.permille(guess.probability)
            }
        }
        let next = trace.nextProbability.map { p in p.map(ActivationPage.permille) ?? -1 }

        let payloadFeatures = zip(features, ranked).map { feature, ranking in
            Payload.Feature(name: feature.name, explanation: feature.explanation, values: feature.values,
                            units: ranking.entries.map { .init(layer: $0.layer, kind: $0.cellState ? "c" : "h", unit: $0.unit,
                                                               r: ($0.r * 1000).rounded() / 1000) })
        }
        var initial = Payload.Selection(layer: layer ?? config.layerCount - 1, kind: cellState && config.cellFacts.carriesCellState ? "c" : "h",
                                        unit: unit ?? 0)
        if unit == nil {
            // The unit that best follows any feature, in the chosen layer if there is one.
            let candidates = ranked.flatMap(\.entries).filter { layer == nil || $0.layer == layer }
                .filter { !cellState || $0.cellState }
            if let best = candidates.max(by: { abs($0.r) < abs($1.r) }) {
                initial = .init(layer: best.layer, kind: best.cellState ? "c" : "h", unit: best.unit)
            }
        }

        let tokenizer = checkpoint.tokenizer.mode
        var shown: [String: String] = [:]
        for (i, c) in characters.enumerated() {
            if let s = ActivationPage.drawnForm(c, mode: tokenizer) { shown[String(i)] = s }
        }
        payload = Payload(
            version: 1, source: source, checkpoint: checkpointName,
            model: .init(cell: config.cell.rawValue, activation: config.activation.rawValue, layers: config.layerCount,
                         hidden: config.hiddenSize, vocabulary: config.vocabularySize, tokenizer: tokenizer.rawValue),
            chars: characters, shown: shown, ids: ids.map { $0.map(Int.init) ?? -1 },
            vocabulary: vocabulary.tokens.map { ActivationPage.guessForm($0, mode: tokenizer) },
            states: states, k: k, guesses: guesses, guessPermille: permille, nextPermille: next,
            features: payloadFeatures, initial: initial, totalChars: totalCharacters ?? n)
    }

    /// The whole HTML document.
    public func html() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = Markup.scriptSafeJSON(String(decoding: try encoder.encode(payload), as: UTF8.self))
        let title = "charrnn · \(payload.source) · hidden units"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
            script-src \(Markup.scriptHashSource(ActivationPage.script))">
            <title>\(Markup.escaped(title))</title>
            <style>
            \(ActivationPage.style)
            </style>
            </head>
            <body>
            <noscript>This page draws the text with JavaScript; please allow scripts for this file.</noscript>
            <script type="application/json" id="charrnn-data">\(json)</script>
            <script>\(ActivationPage.script)</script>
            </body>
            </html>

            """
    }

    /// Reads the payload back out of a page made by `html()`.
    public static func payload(fromHTML html: String) throws -> Payload {
        let open = "<script type=\"application/json\" id=\"charrnn-data\">"
        guard let start = html.range(of: open), let end = html.range(of: "</script>", range: start.upperBound..<html.endIndex) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "no charrnn-data element"))
        }
        return try JSONDecoder().decode(Payload.self, from: Data(html[start.upperBound..<end.lowerBound].utf8))
    }

    // MARK: - Pieces

    /// The id of a character (the unknown token's for one a folding vocabulary
    /// lacks), or nil when the model does not know it.
    static func id(of character: String, in vocabulary: Vocabulary) -> Int32? {
        vocabulary.readingID(of: character)
    }

    /// A probability in thousandths, 0…1000. Float → Int traps on NaN or
    /// infinity; the trace refuses those, and this clamps rather than trust it.
    static func permille(_ probability: Float) -> Int {
        let scaled = (probability * 1000).rounded()
        return scaled >= 0 ? Int(min(scaled, 1000)) : 0   // NaN fails `>= 0`
    }

    /// Unit-major values (H units of equal length) as int8, unit u divided by
    /// `scales[u]` (clamped to ±1), base64. Values that are not finite, or
    /// whose scaled form is not (a scale of 0, NaN or infinity), are stored as 0.
    static func quantized(_ values: [Float], scales: [Double]) -> String {
        let n = values.count / max(1, scales.count)
        var bytes = [UInt8](repeating: 0, count: values.count)
        for (u, scale) in scales.enumerated() {
            let f = Float(127 / scale)
            for i in u * n ..< (u + 1) * n {
                let q = (values[i] * f).rounded()
                guard values[i].isFinite, !q.isNaN else { continue }
                bytes[i] = UInt8(bitPattern: Int8(max(-127, min(127, q))))   // ±inf clamps to ±127
            }
        }
        return Data(bytes).base64EncodedString()
    }

    /// Each unit's colour scale: the 98th percentile of its |value| over the
    /// text (at least 1e-6, so that a dead unit divides safely). Not the largest:
    /// an LSTM cell can wander far out for a few characters, and scaling by that
    /// would wash out everything else. Values beyond it are stored clamped.
    static func unitScales(_ values: [Float], units: Int) -> [Double] {
        let n = values.count / max(1, units)
        return (0..<units).map { u in
            let magnitudes = values[u * n ..< (u + 1) * n].map { abs($0) }.sorted()
            guard !magnitudes.isEmpty else { return 1 }
            let q = magnitudes[min(magnitudes.count - 1, Int((0.98 * Double(magnitudes.count - 1)).rounded(.up)))]
            return Double(max(q, 1e-6))
        }
    }

    /// Decodes `quantized`'s output back to values (for tests and tools): (H) × (N).
    public static func dequantized(_ base64: String, scales: [Double]) -> [[Double]]? {
        guard let data = Data(base64Encoded: base64), !scales.isEmpty, data.count % scales.count == 0 else { return nil }
        let bytes = [UInt8](data), n = bytes.count / scales.count
        return scales.enumerated().map { u, scale in
            bytes[u * n ..< (u + 1) * n].map { Double(Int8(bitPattern: $0)) / 127 * scale }
        }
    }

    /// How a character of the text is drawn when not as itself: invisible and
    /// control characters as `\u{…}`, bytes ≥ 0x80 in byte mode as `\xE9`. Nil
    /// for characters drawn as they are (including space, tab and line breaks,
    /// which the page lays out).
    static func drawnForm(_ c: String, mode: TokenizerMode) -> String? {
        if c == " " || c == "\t" || TextFeature.isLineBreak(c) { return nil }
        if mode == .byte, let s = c.unicodeScalars.first, s.value >= 0x80 {
            return "\\x" + String(s.value, radix: 16, uppercase: true)
        }
        let invisible = c.unicodeScalars.allSatisfy { s in
            switch s.properties.generalCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate, .lineSeparator, .paragraphSeparator,
                 .spaceSeparator, .nonspacingMark, .enclosingMark:
                return true
            default:
                return false
            }
        }
        guard invisible else { return nil }
        return c.unicodeScalars.map { "\\u{" + String($0.value, radix: 16, uppercase: true) + "}" }.joined()
    }

    /// A vocabulary entry as shown in a guess list: space, tab and line breaks as
    /// visible symbols, anything else invisible escaped.
    static func guessForm(_ token: String, mode: TokenizerMode) -> String {
        switch token {
        case " ": return "␣"
        case "\n": return "↵"
        case "\r\n": return "␍↵"
        case "\t": return "⇥"
        default: return drawnForm(token, mode: mode) ?? token
        }
    }
}
