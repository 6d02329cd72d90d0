/// charrnn's one JSON string quoting: every string it writes into JSON by hand
/// (the safetensors header, train.jsonl, the commands' `--json` output) goes
/// through here. `quoted(_:)` quotes a whole string; an escaper instance writes
/// the inside of a string literal from UTF-8 bytes that arrive in pieces (one
/// generated character at a time), so that `sample --json` can stream a text of
/// any length instead of holding it.
///
/// The bytes written are those `JSONEncoder` writes for
/// `String(decoding: allBytes, as: UTF8.self)` (Swift 6 Foundation, default
/// options), whatever the cut into pieces; with `escapingSlashes: false`, those
/// of `.withoutEscapingSlashes`, which is also what serde_json writes (the
/// safetensors header and the training log):
///
///   - invalid UTF-8 (byte mode can generate any byte sequence) becomes
///     U+FFFD, one per maximal subpart as `String(decoding:as:)` does
///     (Unicode §3.9, "U+FFFD substitution of maximal subparts"); a sequence
///     cut between two pieces waits for the next one;
///   - `"` `\` (and `/` unless `escapingSlashes` is false) are escaped with a backslash; U+0008, U+0009, U+000A,
///     U+000C, U+000D as `\b \t \n \f \r`; other controls below U+0020 as
///     `\u00xx` (lower-case hex); everything else, DEL and non-ASCII included,
///     is written as it is.
public struct JSONStringEscaper: Sendable {
    /// The bytes of an incomplete sequence (lead first), at most 3.
    private var partial: [UInt8] = []
    /// Continuation bytes the sequence in `partial` still needs.
    private var needed = 0
    /// The range the next continuation byte must fall in (narrower after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80, upper: UInt8 = 0xBF

    /// Whether `/` is written `\/` (JSONEncoder's default) or as it is.
    public let escapingSlashes: Bool

    public init(escapingSlashes: Bool = true) {
        self.escapingSlashes = escapingSlashes
        partial.reserveCapacity(4)
    }

    /// `s` as a JSON string literal, quotes included.
    public static func quoted(_ s: String, escapingSlashes: Bool = true) -> String {
        var out: [UInt8] = []
        append(quoted: s, to: &out, escapingSlashes: escapingSlashes)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `s` as a JSON string literal, quotes included, to `output`.
    public static func append(quoted s: String, to output: inout [UInt8], escapingSlashes: Bool = true) {
        var escaper = JSONStringEscaper(escapingSlashes: escapingSlashes)
        output.append(UInt8(ascii: "\""))
        escaper.append(Array(s.utf8), to: &output)
        escaper.finish(to: &output)
        output.append(UInt8(ascii: "\""))
    }

    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]   // U+FFFD
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends the escaped form of `bytes` to `output`.
    public mutating func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        for b in bytes { append(b, to: &output) }
    }

    /// Ends the text: an incomplete sequence left over becomes U+FFFD.
    public mutating func finish(to output: inout [UInt8]) {
        if needed > 0 { output += JSONStringEscaper.replacement }
        partial.removeAll(keepingCapacity: true)
        needed = 0
    }

    private mutating func append(_ b: UInt8, to output: inout [UInt8]) {
        if needed > 0 {
            if b >= lower && b <= upper {
                partial.append(b)
                needed -= 1
                lower = 0x80
                upper = 0xBF
                if needed == 0 {
                    output += partial
                    partial.removeAll(keepingCapacity: true)
                }
                return
            }
            // The maximal subpart so far is one U+FFFD; `b` starts afresh.
            output += JSONStringEscaper.replacement
            partial.removeAll(keepingCapacity: true)
            needed = 0
        }
        // Well-formed sequences (Unicode Table 3-7): lead byte, continuation count, first continuation's range.
        switch b {
        case 0x00...0x7F: escapeASCII(b, to: &output); return
        case 0xC2...0xDF: needed = 1; lower = 0x80; upper = 0xBF
        case 0xE0: needed = 2; lower = 0xA0; upper = 0xBF
        case 0xE1...0xEC, 0xEE...0xEF: needed = 2; lower = 0x80; upper = 0xBF
        case 0xED: needed = 2; lower = 0x80; upper = 0x9F     // no surrogates
        case 0xF0: needed = 3; lower = 0x90; upper = 0xBF
        case 0xF1...0xF3: needed = 3; lower = 0x80; upper = 0xBF
        case 0xF4: needed = 3; lower = 0x80; upper = 0x8F     // nothing above U+10FFFF
        default: output += JSONStringEscaper.replacement; return   // 80…C1, F5…FF never start a sequence
        }
        partial.append(b)
    }

    private func escapeASCII(_ b: UInt8, to output: inout [UInt8]) {
        let escape: UInt8   // what follows the backslash
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): escape = b
        case UInt8(ascii: "/") where escapingSlashes: escape = b
        case 0x08: escape = UInt8(ascii: "b")
        case 0x09: escape = UInt8(ascii: "t")
        case 0x0A: escape = UInt8(ascii: "n")
        case 0x0C: escape = UInt8(ascii: "f")
        case 0x0D: escape = UInt8(ascii: "r")
        case 0x00..<0x20: escape = UInt8(ascii: "u")
        default: output.append(b); return
        }
        output.append(UInt8(ascii: "\\"))
        output.append(escape)
        if escape == UInt8(ascii: "u") {   // \u00xx
            output.append(UInt8(ascii: "0"))
            output.append(UInt8(ascii: "0"))
            output.append(JSONStringEscaper.hexDigits[Int(b >> 4)])
            output.append(JSONStringEscaper.hexDigits[Int(b & 0xF)])
        }
    }
}
