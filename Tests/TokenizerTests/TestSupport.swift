import Foundation
@testable import Tokenizer

/// Writes `data` to a fresh temporary file, runs `body` with its path, then removes it.
@discardableResult
func withTemporaryFile<R>(_ data: Data, _ body: (String) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("charrnn-tokenizer-\(UUID().uuidString).txt")
    try data.write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// Scalars of each string, so that "é" and "e\u{301}" compare as different.
func scalars(_ strings: [String]) -> [[UInt32]] {
    strings.map { $0.unicodeScalars.map(\.value) }
}

/// The tokens of `corpus` in text order.
func tokens(of corpus: Corpus) -> [String] {
    corpus.ids.map { corpus.vocabulary.tokens[Int($0)] }
}

/// A reference split with no fast path and no streaming: the whole text to
/// UTF-16, ICU NFC if asked, then ICU's break iterator (or scalars).
func referenceUnits(_ text: String, settings: TokenizerSettings) throws -> [String] {
    switch settings.mode {
    case .byte:
        return text.utf8.map { String(Unicode.Scalar($0)) }
    case .scalar, .grapheme:
        let icu = try ICUText(graphemes: settings.mode == .grapheme, normalize: settings.normalize)
        var bytes = Array(text.utf8)
        let length = try bytes.withUnsafeMutableBufferPointer { b in try icu.convert(b.baseAddress!, b.count) }
        let (p, count) = try icu.normalize(length: length)
        let units = Array(UnsafeBufferPointer(start: p, count: count))
        if settings.mode == .scalar {
            return String(decoding: units, as: UTF16.self).unicodeScalars.map { String($0) }
        }
        var out: [String] = []
        try icu.forEachCluster(p, count) { s, e in out.append(String(decoding: units[s..<e], as: UTF16.self)) }
        return out
    }
}

/// A small seeded generator for test texts (SplitMix64).
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Pieces that stress cluster and normalization boundaries.
let trickyPieces: [String] = [
    "a", "b", " ", "\n", "\r\n", "\r", "\t", "e\u{301}", "é", "o\u{308}\u{301}", "\u{301}", "\u{200D}",
    "👨‍👩‍👧", "👍🏽", "🇫🇷", "🇩🇪", "\u{1F1E6}", "क्षि", "ह", "\u{94D}", "한", "\u{1100}\u{1161}\u{11A8}", "\u{1100}",
    "\u{1161}", "\u{11A8}", "\u{600}", "\u{600}1", "日本", "語", "ж", "Ω", "\u{2126}", "x\u{20DD}", "\u{FEFF}",
    "\u{0958}", "\u{1D160}", "ﬀ", "A\u{30A}", "\u{212B}", "❤️", "©\u{FE0F}", "\u{E0041}", "q\u{0323}\u{0307}",
    "Hello, world. ", "The quick brown fox ", "—", "’", "…", "😀", "\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
    // Letters that take marks, marks alone, and characters NFC changes.
    "и", "\u{306}", "й", "Привет ", "α\u{301}", "ά", "\u{1E9B}\u{323}", "\u{344}", "\u{F73}", "\u{FB2C}", "\u{2ADC}",
    // Controls and format characters, Thai, Arabic, CJK punctuation, BMP pictographs.
    "\u{85}", "\u{AD}", "\u{200B}", "\u{200C}", "กำ", "\u{E33}", "ال", "。", "，", "\u{2764}", "\u{FE0F}", "©",
    // Hangul syllables next to conjoining jamo, Devanagari pieces that form conjuncts.
    "가", "\u{11A8}", "\u{1161}", "क", "\u{94D}", "ष", "\u{93F}", "\u{200D}",
]

func randomTrickyText(seed: UInt64, pieces count: Int) -> String {
    var rng = TestRandom(state: seed)
    var text = ""
    for _ in 0..<count { text += trickyPieces[rng.below(trickyPieces.count)] }
    return text
}
