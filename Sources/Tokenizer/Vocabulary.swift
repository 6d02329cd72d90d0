#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The characters a model knows, each with an integer id.
///
/// Id order is deterministic: tokens sorted by their Unicode scalar values
/// (lexicographically, which is also UTF-8 byte order). In `byte` mode each
/// token is one byte `b`, stored as the one-scalar string `U+00bb` so that the
/// vocabulary is always an array of strings (JSON-friendly); `bytes(of:)` turns
/// it back into the raw byte.
///
/// Tokens are told apart by their exact scalars, not by `String`'s `==`
/// (which calls canonically equivalent strings equal): without NFC, "é" and
/// "e\u{301}" are two different tokens.
public struct Vocabulary: Equatable, Sendable {
    /// Token strings in id order.
    public let tokens: [String]
    /// Whether tokens are raw bytes (see the type's documentation).
    public let mode: TokenizerMode
    /// The id of the unknown token, when rare characters are folded into one
    /// (`VocabularyPolicy`): the character no text produces, which every
    /// character outside the vocabulary reads as. nil for a vocabulary of every
    /// character of its corpus.
    public let unknownID: Int32?
    /// The start and end markers of a documents vocabulary (`DocumentMarkers`):
    /// entries no text produces, which frame every document. nil otherwise.
    public let documentMarkers: DocumentMarkers?
    /// Text tokens only: the unknown token and the markers are not found by `id(of:)`.
    private let index: [ExactToken: Int32]

    /// The unknown token's entry in `tokens`. It is several characters in every
    /// mode (a grapheme, scalar or byte is one), so no text produces it; it
    /// shows as U+FFFD in decoded text.
    public static let unknownToken = "<unk>"

    /// A vocabulary over exactly these tokens, in this order; `unknownID`, when
    /// given, is the position of `unknownToken`, and `documentMarkers` those of
    /// the document markers.
    /// Throws if a token repeats or is empty.
    public init(tokens: [String], mode: TokenizerMode, unknownID: Int32? = nil,
                documentMarkers: DocumentMarkers? = nil) throws(VocabularyError) {
        func names(_ id: Int32, _ token: String) -> Bool { 0 <= id && Int(id) < tokens.count && tokens[Int(id)] == token }
        if let u = unknownID, !names(u, Vocabulary.unknownToken) {
            throw .misplacedUnknownToken(u)
        }
        if let m = documentMarkers,
           !(names(m.start, DocumentMarkers.startToken) && names(m.end, DocumentMarkers.endToken)) {
            throw .misplacedDocumentMarkers(m)
        }
        let special = [unknownID, documentMarkers?.start, documentMarkers?.end].compactMap { $0 }
        var index: [ExactToken: Int32] = [:]
        index.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() where !special.contains(Int32(i)) {
            if t.isEmpty { throw .emptyToken(index: i) }
            if index.updateValue(Int32(i), forKey: ExactToken(t)) != nil { throw .duplicateToken(t) }
            if mode == .byte, !(t.unicodeScalars.count == 1 && t.unicodeScalars.first!.value < 256) {
                throw .invalidByteToken(t)
            }
        }
        self.tokens = tokens
        self.mode = mode
        self.unknownID = unknownID
        self.documentMarkers = documentMarkers
        self.index = index
    }

    /// This vocabulary with the document markers appended (start, then end),
    /// or itself when it has them.
    public func addingDocumentMarkers() -> Vocabulary {
        if documentMarkers != nil { return self }
        let markers = DocumentMarkers(start: Int32(count), end: Int32(count + 1))
        // The markers are named where they are, and no text token is several characters.
        return try! Vocabulary(tokens: tokens + [DocumentMarkers.startToken, DocumentMarkers.endToken], mode: mode,
                               unknownID: unknownID, documentMarkers: markers)
    }

    /// A vocabulary of the distinct tokens in `units`, in the documented order.
    public init(collecting units: some Sequence<String>, mode: TokenizerMode) {
        let sorted = Set(units.lazy.map(ExactToken.init)).map(\.string).sorted(by: Vocabulary.precedes)
        try! self.init(tokens: sorted, mode: mode)  // distinct and non-empty by construction
    }

    /// Number of tokens, V.
    public var count: Int { tokens.count }

    /// The id of `token`, or nil when it is not in the vocabulary.
    public func id(of token: String) -> Int32? { index[ExactToken(token)] }

    /// The id a character of a text reads as: its own, else the unknown token's
    /// (nil when it has none and the character is not in the vocabulary).
    public func readingID(of token: String) -> Int32? { index[ExactToken(token)] ?? unknownID }

    /// The bytes of U+FFFD REPLACEMENT CHARACTER: how the unknown token shows in text.
    static let unknownTokenBytes: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// The raw bytes a token stands for (its UTF-8, or the one byte in `byte`
    /// mode; U+FFFD for the unknown token; none for a document marker, which is no text).
    public func bytes(of id: Int32) -> [UInt8] {
        if id == unknownID { return Vocabulary.unknownTokenBytes }
        if let m = documentMarkers, id == m.start || id == m.end { return [] }
        let t = tokens[Int(id)]
        return mode == .byte ? [UInt8(t.unicodeScalars.first!.value)] : Array(t.utf8)
    }

    /// Ids of `units` (a unit outside the vocabulary reads as the unknown token
    /// when there is one); throws listing every distinct unknown token (in first-seen order).
    public func encode(_ units: some Sequence<String>) throws(VocabularyError) -> [Int32] {
        var ids: [Int32] = []
        var unknown: [String] = []
        var seen = Set<ExactToken>()
        for u in units {
            if let i = readingID(of: u) { ids.append(i) } else if seen.insert(ExactToken(u)).inserted { unknown.append(u) }
        }
        if !unknown.isEmpty { throw .unknownTokens(unknown) }
        return ids
    }

    /// The text of `ids`, bytes joined (lossy UTF-8 decoding only matters in `byte` mode).
    public func decode(_ ids: some Sequence<Int32>) -> String {
        var bytes: [UInt8] = []
        for i in ids { bytes += self.bytes(of: i) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: JSON (a plain array of strings, id order)

    public func jsonString() -> String {
        let data = try! JSONEncoder().encode(tokens)  // [String] always encodes
        return String(decoding: data, as: UTF8.self)
    }

    public init(jsonString: String, mode: TokenizerMode, unknownID: Int32? = nil,
                documentMarkers: DocumentMarkers? = nil) throws(VocabularyError) {
        guard let tokens = try? JSONDecoder().decode([String].self, from: Data(jsonString.utf8)) else {
            throw .malformedJSON
        }
        try self.init(tokens: tokens, mode: mode, unknownID: unknownID, documentMarkers: documentMarkers)
    }

    public static func == (a: Vocabulary, b: Vocabulary) -> Bool {
        a.mode == b.mode && a.unknownID == b.unknownID && a.documentMarkers == b.documentMarkers
            && a.tokens.count == b.tokens.count
            && zip(a.tokens, b.tokens).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    /// The id order: by Unicode scalar values, lexicographically (also UTF-8 byte order).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }
}

/// A string hashed and compared by its exact UTF-8 bytes.
struct ExactToken: Hashable {
    let string: String
    init(_ string: String) { self.string = string }
    static func == (a: ExactToken, b: ExactToken) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }
    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

public enum VocabularyError: Error, Equatable, CustomStringConvertible, Sendable {
    case emptyToken(index: Int)
    case duplicateToken(String)
    case invalidByteToken(String)
    case malformedJSON
    /// Tokens not in the vocabulary, distinct, in first-seen order.
    case unknownTokens([String])
    /// The unknown token's id is outside the vocabulary or names another entry.
    case misplacedUnknownToken(Int32)
    /// A document marker's id is outside the vocabulary or names another entry.
    case misplacedDocumentMarkers(DocumentMarkers)

    public var description: String {
        switch self {
        case .emptyToken(let i): return "vocabulary entry \(i) is empty"
        case .duplicateToken(let t): return "vocabulary lists \(Vocabulary.displayForm(t)) twice"
        case .invalidByteToken(let t): return "byte vocabulary entry \(Vocabulary.displayForm(t)) is not one byte"
        case .malformedJSON: return "vocabulary is not a JSON array of strings"
        case .misplacedUnknownToken(let id):
            return "the unknown token's id \(id) does not name a \"\(Vocabulary.unknownToken)\" entry of the vocabulary"
        case .misplacedDocumentMarkers(let m):
            return "the document markers' ids \(m.start) and \(m.end) do not name the \"\(DocumentMarkers.startToken)\" and \"\(DocumentMarkers.endToken)\" entries of the vocabulary"
        case .unknownTokens(let ts):
            return "\(ts.count) character\(ts.count == 1 ? " is" : "s are") not in the model's vocabulary: \(Vocabulary.displayList(ts))"
        }
    }
}

extension Vocabulary {
    /// A token as a person should see it in a message or listing: quoted, with
    /// invisible and control characters escaped (`"\n"`, `"\u{200D}"`).
    /// A mark that would sit on the opening quote (a token that starts with one,
    /// as in scalar mode or without NFC) is escaped too. A token of more than
    /// `displayedScalars` scalars (a grapheme cluster can stack thousands of
    /// marks; a label can be a whole line) shows its first ones, then how many
    /// it has, so that a message stays a line.
    public static func displayForm(_ token: String) -> String {
        var out = "\""
        let count = token.unicodeScalars.count
        for (i, s) in token.unicodeScalars.prefix(count > displayedScalars ? displayedScalars - 20 : count).enumerated() {
            switch s {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                let invisible = s.properties.generalCategory == .control || s.properties.generalCategory == .format
                    || s.properties.generalCategory == .unassigned || s.properties.generalCategory == .spaceSeparator && s != " "
                    || s.properties.generalCategory == .lineSeparator || s.properties.generalCategory == .paragraphSeparator
                    || s.properties.generalCategory == .privateUse || s.properties.generalCategory == .surrogate
                    || i == 0 && [.nonspacingMark, .enclosingMark, .spacingMark].contains(s.properties.generalCategory)
                out += invisible ? "\\u{\(String(s.value, radix: 16, uppercase: true))}" : String(s)
            }
        }
        return out + (count > displayedScalars ? "…\" (\(count) scalars)" : "\"")
    }

    /// The most scalars `displayForm(_:)` shows whole.
    public static let displayedScalars = 100

    /// `displayForm(_:)` for a token of a vocabulary in `mode`: in byte mode a
    /// byte above 0x7F is not a character of its own and shows as `\xE9`.
    public static func displayForm(_ token: String, mode: TokenizerMode) -> String {
        if mode == .byte, let b = token.unicodeScalars.first?.value, b >= 0x80, token.unicodeScalars.count == 1 {
            let hex = String(b, radix: 16, uppercase: true)
            return "\"\\x\(hex)\""
        }
        return displayForm(token)
    }

    /// Distinct characters as a message lists them: sorted by scalar values
    /// (the vocabulary's order), each in `displayForm(_:)`, the first 20 and
    /// then "…" when there are more. Every "unknown characters" message uses it.
    public static func displayList(_ characters: some Sequence<String>) -> String {
        let sorted = characters.sorted(by: precedes)
        return sorted.prefix(20).map(displayForm).joined(separator: " ") + (sorted.count > 20 ? " …" : "")
    }

    /// The display form of the token with this id (see `displayForm(_:mode:)`);
    /// the unknown token and the document markers show as <unk>, <s> and </s>, without quotes.
    public func displayForm(of id: Int32) -> String {
        if id == unknownID || id == documentMarkers?.start || id == documentMarkers?.end { return tokens[Int(id)] }
        return Vocabulary.displayForm(tokens[Int(id)], mode: mode)
    }
}
