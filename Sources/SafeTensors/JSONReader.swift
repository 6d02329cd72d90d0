/// A strict, allocation-light JSON (RFC 8259) pull reader over a byte buffer.
///
/// The header grammar of a safetensors file is fixed (an object of objects of
/// strings and integer arrays), so rather than building a tree of boxed values
/// the decoder walks the bytes with these calls and keeps only what it needs.
/// Every method either consumes one syntactic element or throws
/// `SafeTensorsError.malformedJSON` naming the byte offset; every index is
/// checked against the buffer before use, and nesting (only reachable through unknown fields, which
/// are skipped) is limited to `maximumDepth` so hostile input cannot exhaust
/// the stack.
struct JSONReader {
    enum Kind: String {
        case object = "an object", array = "an array", string = "a string"
        case number = "a number", bool = "a boolean", null = "null"
    }

    /// A number token, classified for the decoder's only use: sizes and offsets.
    enum Number: Equatable {
        case integer(Int)       // non-negative, fits in Int
        case negative           // an integer below zero (incl. "-0")
        case tooLarge           // a non-negative integer above Int.max
        case notInteger         // has a fraction or an exponent
    }

    /// Iteration state of one object or array.
    struct Cursor { fileprivate var first = true }

    static let maximumDepth = 128

    /// Only valid inside the `withUnsafeBufferPointer` call that created the reader.
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: Structure

    /// Consumes `{`.
    mutating func beginObject() throws(SafeTensorsError) -> Cursor {
        try expect(UInt8(ascii: "{"), "'{'")
        return Cursor()
    }

    /// The next member's key (consuming it and its `:`), or nil after the closing `}`.
    mutating func nextKey(_ cursor: inout Cursor) throws(SafeTensorsError) -> String? {
        skipWhitespace()
        if peekByte() == UInt8(ascii: "}") { position += 1; return nil }
        if !cursor.first { try expect(UInt8(ascii: ","), "',' or '}'") }
        cursor.first = false
        skipWhitespace()
        guard peekByte() == UInt8(ascii: "\"") else { throw error("expected a string key") }
        let key = try readString()
        try expect(UInt8(ascii: ":"), "':'")
        return key
    }

    /// Consumes `[`.
    mutating func beginArray() throws(SafeTensorsError) -> Cursor {
        try expect(UInt8(ascii: "["), "'['")
        return Cursor()
    }

    /// Whether another element follows (consuming its leading `,`); false after the closing `]`.
    mutating func nextElement(_ cursor: inout Cursor) throws(SafeTensorsError) -> Bool {
        skipWhitespace()
        if peekByte() == UInt8(ascii: "]") { position += 1; return false }
        if !cursor.first { try expect(UInt8(ascii: ","), "',' or ']'") }
        cursor.first = false
        return true
    }

    /// The kind of the next value, without consuming it.
    mutating func peekKind() throws(SafeTensorsError) -> Kind {
        skipWhitespace()
        guard let b = peekByte() else { throw error("unexpected end of header") }
        switch b {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw error("unexpected character \(describe(b))")
        }
    }

    /// Throws unless only whitespace remains.
    mutating func expectEnd() throws(SafeTensorsError) {
        skipWhitespace()
        if position < bytes.count { throw error("unexpected \(describe(bytes[position])) after the header object") }
    }

    // MARK: Scalars

    /// A string value, unescaped.
    mutating func readString() throws(SafeTensorsError) -> String {
        skipWhitespace()
        try expect(UInt8(ascii: "\""), "'\"'")
        let start = position
        // Fast path: no escapes, the common case for names and long metadata values alike.
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let s = decodeUTF8(start..<position)
                position += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character \(describe(b)) inside a string") }
            position += 1
        }
        // Slow path: copy what was scanned, then unescape the rest.
        var out: [UInt8] = []
        out.reserveCapacity(position - start + 16)
        for i in start..<position { out.append(bytes[i]) }
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try readEscape(into: &out)
            case 0..<0x20:
                position -= 1
                throw error("control character \(describe(b)) inside a string")
            default:
                out.append(b)
            }
        }
        throw error("unterminated string")
    }

    /// A number token, classified (see `Number`).
    mutating func readNumber() throws(SafeTensorsError) -> Number {
        skipWhitespace()
        let negative = peekByte() == UInt8(ascii: "-")
        if negative { position += 1 }
        guard let first = peekByte(), isDigit(first) else { throw error("expected a digit") }
        var value = 0
        var overflow = false
        if first == UInt8(ascii: "0") {
            position += 1
            if let b = peekByte(), isDigit(b) { throw error("leading zero in a number") }
        } else {
            while let b = peekByte(), isDigit(b) {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                value = s
                position += 1
            }
        }
        var integral = true
        if peekByte() == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard let b = peekByte(), isDigit(b) else { throw error("expected a digit after '.'") }
            while let b = peekByte(), isDigit(b) { position += 1 }
        }
        if let e = peekByte(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            integral = false
            position += 1
            if let s = peekByte(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { position += 1 }
            guard let b = peekByte(), isDigit(b) else { throw error("expected a digit in the exponent") }
            while let b = peekByte(), isDigit(b) { position += 1 }
        }
        if !integral { return .notInteger }
        if negative { return .negative }
        return overflow ? .tooLarge : .integer(value)
    }

    /// Consumes any one value, checking its syntax.
    mutating func skipValue(depth: Int = 0) throws(SafeTensorsError) {
        guard depth < JSONReader.maximumDepth else { throw error("nesting deeper than \(JSONReader.maximumDepth) levels") }
        switch try peekKind() {
        case .object:
            var c = try beginObject()
            while try nextKey(&c) != nil { try skipValue(depth: depth + 1) }
        case .array:
            var c = try beginArray()
            while try nextElement(&c) { try skipValue(depth: depth + 1) }
        case .string: _ = try readString()
        case .number: _ = try readNumber()
        case .bool:
            if !consumeLiteral("true") && !consumeLiteral("false") { throw error("invalid literal") }
        case .null:
            if !consumeLiteral("null") { throw error("invalid literal") }
        }
    }

    /// Consumes `null` if it is next.
    mutating func readNull() -> Bool {
        skipWhitespace()
        return consumeLiteral("null")
    }

    // MARK: Helpers

    private func peekByte() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(SafeTensorsError) {
        skipWhitespace()
        guard position < bytes.count else { throw error("expected \(what), found the end of the header") }
        guard bytes[position] == byte else { throw error("expected \(what), found \(describe(bytes[position]))") }
        position += 1
    }

    private mutating func consumeLiteral(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard position + n <= bytes.count else { return false }
        let p = literal.utf8Start
        for i in 0..<n where bytes[position + i] != p[i] { return false }
        position += n
        return true
    }

    /// The text of `range`, which the caller has checked holds no quote, backslash or control byte.
    /// The whole header was validated as UTF-8 before parsing and the range is bounded by ASCII
    /// quotes, so decoding never substitutes anything.
    private func decodeUTF8(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// After a backslash: appends the escaped character's UTF-8.
    private mutating func readEscape(into out: inout [UInt8]) throws(SafeTensorsError) {
        guard let c = peekByte() else { throw error("unterminated escape") }
        position += 1
        switch c {
        case UInt8(ascii: "\""): out.append(c)
        case UInt8(ascii: "\\"): out.append(c)
        case UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var code = try readHex4()
            if (0xD800..<0xDC00).contains(code) {
                // A high surrogate must be followed by an escaped low one.
                guard consumeLiteral("\\u") else { throw error("unpaired surrogate escape") }
                let low = try readHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate escape") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(code) {
                throw error("unpaired surrogate escape")
            }
            let scalar = Unicode.Scalar(code)!  // surrogates excluded above
            out.append(contentsOf: String(Character(scalar)).utf8)
        default:
            position -= 1
            throw error("invalid escape \\\(describe(c))")
        }
    }

    private mutating func readHex4() throws(SafeTensorsError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit \(describe(b)) in \\u escape")
            }
            v = v << 4 | d
            position += 1
        }
        return v
    }

    private func describe(_ b: UInt8) -> String {
        (0x21..<0x7F).contains(b) ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16, uppercase: true))"
    }

    func error(_ reason: String) -> SafeTensorsError {
        .malformedJSON(reason: reason, byteOffset: position)
    }
}
